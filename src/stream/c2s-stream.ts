/**
 * A client-to-server stream (RFC 6120 §4-§7), independent of the transport: stream header, STARTTLS,
 * SASL, resource binding, then stanzas to the router. Every protocol failure ends in the right stream
 * error (§4.9) and a cleanly closed stream; nothing one client sends reaches another unchecked.
 */
import type { Element } from "ltx";
import { xml } from "@xmpp/xml";
import { parseJid, prepResource, Jid, type BareJid, type FullJid } from "../jid.js";
import type { Logger } from "../log.js";
import type { IqResult, StreamContext } from "../modules.js";
import type { SessionControl } from "../session/control.js";
import type { ClientSession } from "../session/types.js";
import type { SaslContext, SaslExchange, SaslStep } from "../sasl/types.js";
import { channelBindingFeature } from "../sasl/channel-binding.js";
import { accountKey } from "../sasl/throttle.js";
import { StreamParser } from "../xml/parser.js";
import { errorReply, StanzaError } from "../xml/stanza-error.js";
import type { Transport } from "../transport/types.js";
import { randomId } from "../random-id.js";
import type { CoreContext } from "../core-context.js";
import { NS_STREAMS, streamErrorElement, type StreamErrorCondition } from "./errors.js";
import { badIqReply, validIq } from "./stanza-checks.js";
import { NS_FRAMING, type Framing } from "./framing.js";

const NS_CLIENT = "jabber:client";
const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
const NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session";
/** RFC 6120 §6.4.5: a reasonable number of SASL retries. */
const MAX_SASL_ATTEMPTS = 5;
const MAX_RESOURCES_PER_ACCOUNT = 100;
const MAX_PENDING_WRITE_BYTES = 8 * 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** RFC 6120 §7.2 and RFC 3921 §3 (optional, RFC 6121 Appendix E): offered once authenticated. */
const POST_AUTH_CORE_FEATURES = `<bind xmlns="${NS_BIND}"/><session xmlns="${NS_SESSION}"><optional/></session>`;

/** <mechanisms/> (RFC 6120 §6.4.1) for a list of names; a stream offers one of a handful of lists, so each is made once. */
const mechanismsElements = new Map<string, string>();
function mechanismsFeature(names: readonly string[]): string {
  const key = names.join(" ");
  let out = mechanismsElements.get(key);
  if (out === undefined) {
    out = xml("mechanisms", { xmlns: NS_SASL }, names.map((n) => xml("mechanism", null, n))).toString();
    if (mechanismsElements.size < 64) mechanismsElements.set(key, out);
  }
  return out;
}

type Phase =
  | { kind: "await-header" }
  /** Header exchanged; negotiating TLS and SASL. */
  | { kind: "negotiating" }
  /** A SASL exchange is under way. */
  | { kind: "sasl"; mechanism: string; exchange: SaslExchange }
  /** Authenticated; waiting for resource binding. */
  | { kind: "authenticated"; username: string }
  | { kind: "bound"; session: ClientSessionImpl }
  | { kind: "closed" };

export interface StreamListener {
  /** Limits and plaintext policy of the listener the connection came in on. */
  allowPlaintext: boolean;
}

export class C2sStream implements StreamContext {
  readonly id = randomId();
  private logger: Logger | null = null;
  private parser!: StreamParser;
  private phase: Phase = { kind: "await-header" };
  private headerSent = false;
  /** The id in our stream header; new at every restart (RFC 6120 §4.3.3). `id` names the connection. */
  private streamId = randomId();
  private hostName = "";
  private username: string | null = null;
  private saslAttempts = 0;
  private saslCtx: SaslContext | null = null;
  /** Elements received while an asynchronous step (SASL) runs; processed in order afterwards. */
  private backlog: Array<[Element, string]> | null = null;
  /** With `framing.oneElementPerMessage`: the elements parsed from the message being read. */
  private message: Array<[Element, string]> | null = null;
  readonly connectedAt = Date.now();
  lastActivity = Date.now();

  constructor(
    private readonly core: CoreContext,
    private readonly transport: Transport,
    private readonly framing: Framing,
    private readonly listener: StreamListener,
  ) {
    this.newParser();
    transport.attach({
      data: (chunk) => {
        this.lastActivity = Date.now();
        try {
          if (this.framing.oneElementPerMessage) this.readMessage(chunk);
          else this.parser.write(chunk);
        } catch (err) {
          // A bug reached by one client's input ends that client's stream, never the server.
          this.log.error("unexpected error while processing input", { err });
          this.close("internal-server-error");
        }
      },
      closed: (reason) => this.onTransportClosed(reason),
    });
  }

  // StreamContext (what module stream features and nonza handlers see)
  /** Made on first use: most connections never log at the configured level. */
  get log(): Logger { return this.logger ??= this.core.log.child({ stream: this.id, ip: this.transport.ip }); }
  get host(): string { return this.hostName; }
  get ip(): string { return this.transport.ip; }
  get secure(): boolean { return this.transport.secure; }
  get account(): BareJid | null { return this.username === null ? null : Jid.ofPrepared(this.username, this.hostName) as BareJid; }
  get session(): ClientSession | null { return this.phase.kind === "bound" ? this.phase.session : null; }
  get control(): SessionControl | null { return this.phase.kind === "bound" ? this.phase.session : null; }
  get isBound(): boolean { return this.phase.kind === "bound"; }
  get isClosed(): boolean { return this.phase.kind === "closed"; }

  send(el: Element): void {
    this.writeRaw(el.toString());
  }

  writeRaw(data: string): void {
    if (this.phase.kind === "closed") return;
    this.transport.write(data);
    if (this.transport.pendingBytes() > MAX_PENDING_WRITE_BYTES) {
      // A client that does not read must not make the server hold unbounded data for it.
      this.log.warn("client not reading; closing", { pending: this.transport.pendingBytes() });
      this.close("policy-violation", "too much unread data");
    }
  }

  private newParser(): void {
    const limits = this.core.config.limits;
    this.parser = new StreamParser({
      streamOpen: (name, attrs) => this.onStreamOpen(name, attrs),
      element: (el, ns) => this.message ? this.message.push([el, ns]) : this.onElement(el, ns),
      streamClose: () => this.onStreamClose(),
      error: (condition, text) => this.close(condition, text),
    }, limits, this.framing.parserMode);
  }

  /**
   * RFC 7395 §3.3.3: a WebSocket message is a standalone XML document holding one element. The whole message is
   * parsed before anything in it is processed, so two stanzas in one message, or half of one, are refused
   * without acting on either.
   */
  private readMessage(chunk: Buffer | string): void {
    const parser = this.parser;
    const elements: Array<[Element, string]> = [];
    this.message = elements;
    try {
      parser.write(chunk);
    } finally {
      this.message = null;
    }
    if (this.phase.kind === "closed") return; // the parser reported an error
    if (elements.length !== 1 || parser.inElement) {
      const what = elements.length > 1 ? `${elements.length} elements` : "no complete element";
      return this.close("not-well-formed", `a WebSocket message must hold exactly one complete element (RFC 7395 §3.3.3), not ${what}`);
    }
    this.onElement(elements[0]![0], elements[0]![1]);
  }

  // ---- stream header (RFC 6120 §4.7) ----

  private onStreamOpen(name: string, attrs: Record<string, string>): void {
    const colon = name.indexOf(":");
    const local = colon === -1 ? name : name.slice(colon + 1);
    const ns = colon === -1 ? attrs.xmlns : attrs[`xmlns:${name.slice(0, colon)}`];
    if (local !== "stream" || ns !== NS_STREAMS) return this.close("invalid-namespace", "the stream element must be stream:stream");
    if (attrs.xmlns !== NS_CLIENT) return this.close("invalid-namespace", "the default namespace must be jabber:client");
    this.openStream(attrs);
  }

  private openStream(attrs: Record<string, string>): void {
    const to = attrs.to ? parseJid(attrs.to) : null;
    const requested = to?.ok ? to.jid.domain : attrs.to ? "" : this.transport.sniName ?? this.core.server.hosts[0]!;
    const servable = this.core.server.isLocalHost(requested) && (!this.hostName || this.hostName === requested);
    this.sendHeader(servable ? requested : this.hostName || this.core.server.hosts[0]!);
    if (!servable) return this.close("host-unknown", `this server does not serve ${attrs.to ?? "that domain"}`);
    // RFC 6120 §4.7.5: version 1.0 is required; a higher major version is not supported.
    const version = /^(\d+)\.(\d+)$/.exec(attrs.version ?? "");
    if (!version || version[1] !== "1") return this.close("unsupported-version", "version 1.0 is required");
    this.hostName = requested;
    if (this.phase.kind === "await-header") this.phase = { kind: "negotiating" };
    this.writeRaw(this.features());
  }

  private sendHeader(from: string): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.transport.write(this.framing.open({ id: this.streamId, from, version: "1.0", "xml:lang": "en" }));
  }

  /** After STARTTLS and SASL success the stream restarts (RFC 6120 §4.3.3): new parser, new header. */
  private restart(): void {
    this.headerSent = false;
    this.saslCtx = null; // after STARTTLS the stream is secure and may offer channel binding
    this.streamId = randomId();
    this.newParser();
  }

  private get tlsRequired(): boolean {
    return !this.transport.secure && !this.listener.allowPlaintext;
  }

  /** The <stream:features/> to send now, serialised (RFC 6120 §4.3.2). */
  private features(): string {
    // RFC 7395 §3.3.3: without an enclosing stream element, the prefix is declared on the element itself.
    let out = this.framing.parserMode === "framed" ? `<stream:features xmlns:stream="${NS_STREAMS}">` : "<stream:features>";
    const phase = this.phase.kind;
    if (phase === "negotiating" || phase === "sasl") {
      if (this.transport.canStartTls) {
        out += this.tlsRequired ? `<starttls xmlns="${NS_TLS}"><required/></starttls>` : `<starttls xmlns="${NS_TLS}"/>`;
      }
      // RFC 6120 §5.3.1: while TLS is mandatory, it is the only feature offered.
      if (!this.tlsRequired) {
        const ctx = this.saslContext();
        out += mechanismsFeature(this.core.sasl.filter((m) => m.available(ctx, this.listener.allowPlaintext)).map((m) => m.name));
        const cb = channelBindingFeature(ctx.channelBinding);
        if (cb) out += cb.toString();
        out += this.moduleFeatures("pre-auth");
      }
    } else if (phase === "authenticated") {
      out += POST_AUTH_CORE_FEATURES + this.moduleFeatures("post-auth");
    }
    return out + "</stream:features>";
  }

  private moduleFeatures(stage: "pre-auth" | "post-auth"): string {
    let out = "";
    for (const f of this.core.modules.streamFeatures(stage)) {
      try {
        const el = f.offer(this);
        if (el) out += el.toString();
      } catch (err) {
        this.log.error("stream feature failed", { err });
      }
    }
    return out;
  }

  // ---- elements ----

  private onElement(el: Element, ns: string): void {
    if (this.backlog) {
      this.backlog.push([el, ns]);
      return;
    }
    if (ns === NS_FRAMING && this.framing.parserMode === "framed") {
      if (el.name === "open") return this.openStream(el.attrs);
      if (el.name === "close") return this.onStreamClose();
    }
    switch (this.phase.kind) {
      case "await-header":
        // RFC 7395 §3.3.2: a framed stream header outside the framing namespace is invalid-namespace.
        if (this.framing.parserMode === "framed" && (el.name === "open" || el.name === "close")) {
          return this.close("invalid-namespace", `<${el.name}/> must be in ${NS_FRAMING}`);
        }
        return this.close("not-well-formed", "expected a stream header");
      case "negotiating":
      case "sasl":
        return this.negotiate(el, ns);
      case "authenticated":
        return this.beforeBind(el, ns);
      case "bound":
        return this.afterBind(this.phase.session, el, ns);
      case "closed":
        return;
    }
  }

  private negotiate(el: Element, ns: string): void {
    if (ns === NS_TLS && el.name === "starttls") return this.startTls();
    if (ns === NS_SASL) {
      if (this.tlsRequired) {
        // RFC 6120 §6.4.1 with §5.3.1: no SASL before TLS here.
        return this.saslFailure("encryption-required", "use STARTTLS first");
      }
      if (el.name === "auth") return this.saslAuth(el);
      if (el.name === "response") return this.saslResponse(el);
      if (el.name === "abort") return this.saslFailure("aborted");
      return this.close("unsupported-stanza-type");
    }
    if (this.tlsRequired) return this.close("policy-violation", "use STARTTLS first");
    if (ns === NS_CLIENT && el.name === "iq") return this.preAuthIq(el);
    const handler = this.core.modules.nonza(ns, el.name);
    if (handler) return handler(this, el);
    if (ns === NS_CLIENT) return this.close("not-authorized", "authenticate first");
    this.close(this.tlsRequired ? "policy-violation" : "unsupported-stanza-type");
  }

  /** Before authentication only IQs a module accepts then (in-band registration) are answered. */
  private preAuthIq(iq: Element): void {
    const type = iq.attrs.type;
    const payload = iq.getChildElements()[0];
    const handler = (type === "get" || type === "set") && payload && iq.attrs.id !== undefined
      ? this.core.modules.preAuthIq(type, payload.attrs.xmlns ?? "", payload.getName())
      : undefined;
    if (!handler) return this.close("not-authorized", "authenticate first");
    const answer = (result: IqResult) => {
      if (this.phase.kind === "closed") return;
      if (result instanceof StanzaError) {
        const reply = errorReply(iq, result);
        if (reply) { delete reply.attrs.from; delete reply.attrs.to; this.send(reply); }
      } else {
        this.send(xml("iq", { type: "result", id: iq.attrs.id }, result));
      }
    };
    const failed = (err: unknown) => {
      this.log.error("pre-authentication IQ handler failed", { err });
      answer(new StanzaError("internal-server-error"));
    };
    try {
      const r = handler(this, payload!, iq);
      if (r instanceof Promise) r.then(answer, failed);
      else answer(r);
    } catch (err) {
      failed(err);
    }
  }

  // ---- STARTTLS (RFC 6120 §5) ----

  private startTls(): void {
    if (!this.transport.canStartTls) {
      this.send(xml("failure", { xmlns: NS_TLS }));
      return this.close();
    }
    this.transport.write(`<proceed xmlns='${NS_TLS}'/>`);
    this.backlog = []; // nothing sent in plain text after <starttls/> may be processed (STARTTLS injection)
    this.transport.startTls().then(
      () => {
        this.backlog = null;
        this.restart();
      },
      (err: Error) => {
        this.log.info("TLS handshake failed", { err: err.message });
        this.phase = { kind: "closed" };
        this.transport.destroy();
      },
    );
  }

  // ---- SASL (RFC 6120 §6) ----

  /** What the mechanisms see of this stream; made again when the host or the security changes (restart). */
  private saslContext(): SaslContext {
    const known = this.saslCtx;
    if (known !== null && known.host === this.hostName) return known;
    const host = this.hostName;
    const accounts = this.core.storage.accounts;
    return this.saslCtx = {
      host,
      ip: this.transport.ip,
      secure: this.transport.secure,
      channelBinding: this.transport.channelBinding(),
      lookup: (username) => accounts.get(host, username),
    };
  }

  private decode(el: Element): Buffer | null {
    const text = el.getText().trim();
    if (text === "=" || text === "") return Buffer.alloc(0);
    if (!BASE64.test(text)) return null;
    return Buffer.from(text, "base64");
  }

  private saslAuth(el: Element): void {
    if (this.phase.kind === "sasl") return this.saslFailure("aborted", "a new exchange started before the old one ended");
    const ctx = this.saslContext();
    const mech = this.core.sasl.find((m) => m.name === el.attrs.mechanism);
    if (!mech || !mech.available(ctx, this.listener.allowPlaintext)) return this.saslFailure("invalid-mechanism");
    const data = this.decode(el);
    if (!data) return this.saslFailure("incorrect-encoding");
    const exchange = mech.start(ctx);
    this.phase = { kind: "sasl", mechanism: mech.name, exchange };
    const wait = this.core.throttle.delayFor(this.transport.ip);
    this.runSasl(exchange, data, wait);
  }

  private saslResponse(el: Element): void {
    if (this.phase.kind !== "sasl") return this.saslFailure("malformed-request", "no exchange in progress");
    const data = this.decode(el);
    if (!data) return this.saslFailure("incorrect-encoding");
    this.runSasl(this.phase.exchange, data, 0);
  }

  private runSasl(exchange: SaslExchange, data: Buffer, wait: number): void {
    this.backlog = [];
    const step = wait > 0
      ? new Promise<void>((r) => setTimeout(r, wait).unref()).then(() => exchange.step(data))
      : exchange.step(data);
    step.then(
      (result) => {
        try {
          this.onSaslStep(result);
        } finally {
          this.drainBacklog();
        }
      },
      (err) => {
        this.log.error("SASL mechanism failed", { err });
        try {
          this.onSaslStep({ kind: "failure", condition: "temporary-auth-failure" });
        } finally {
          this.drainBacklog();
        }
      },
    );
  }

  private onSaslStep(result: SaslStep): void {
    if (this.phase.kind !== "sasl") return;
    const mechanism = this.phase.mechanism;
    switch (result.kind) {
      case "challenge":
        // Base64 needs no escaping.
        this.writeRaw(`<challenge xmlns="${NS_SASL}">${result.data.toString("base64")}</challenge>`);
        return;
      case "success": {
        this.core.throttle.success(this.transport.ip, accountKey(this.hostName, result.username));
        this.username = result.username;
        this.phase = { kind: "authenticated", username: result.username };
        this.writeRaw(result.data?.length
          ? `<success xmlns="${NS_SASL}">${result.data.toString("base64")}</success>`
          : `<success xmlns="${NS_SASL}"/>`);
        if (this.core.log.enabled?.("info") !== false) {
          this.log.info("authenticated", { user: `${result.username}@${this.hostName}`, mechanism });
        }
        if (this.core.hooks.has("auth:success")) {
          this.core.hooks.fire("auth:success", { jid: Jid.ofPrepared(result.username, this.hostName), ip: this.transport.ip, mechanism });
        }
        this.restart();
        return;
      }
      case "failure": {
        const account = result.username ? accountKey(this.hostName, result.username) : undefined;
        if (result.wrongPassword) this.core.throttle.failure(this.transport.ip, account);
        this.core.hooks.fire("auth:failure", { username: result.username ?? "", host: this.hostName, ip: this.transport.ip, mechanism });
        this.log.info("authentication failed", { user: result.username, mechanism, condition: result.condition });
        // Throttled: the answer to a failed attempt is delayed as the throttle says (RFC 6120 §6.4.5).
        const delay = this.core.throttle.delayFor(this.transport.ip, account);
        this.phase = { kind: "negotiating" };
        if (delay > 0) {
          this.backlog ??= [];
          setTimeout(() => { this.saslFailure(result.condition, result.text); this.drainBacklog(); }, delay).unref();
        } else {
          this.saslFailure(result.condition, result.text);
        }
      }
    }
  }

  private saslFailure(condition: string, text?: string): void {
    if (this.phase.kind === "closed") return;
    if (this.phase.kind === "sasl") this.phase = { kind: "negotiating" };
    this.send(xml("failure", { xmlns: NS_SASL }, xml(condition), text ? xml("text", { "xml:lang": "en" }, text) : null));
    if (++this.saslAttempts >= MAX_SASL_ATTEMPTS) this.close("policy-violation", "too many failed authentication attempts");
  }

  private drainBacklog(): void {
    const pending = this.backlog;
    this.backlog = null;
    if (!pending) return;
    for (let i = 0; i < pending.length; i++) {
      const busy = this.backlog as Array<[Element, string]> | null;
      if (busy) {
        // Another asynchronous step began: keep the rest for after it.
        busy.push(...pending.slice(i));
        return;
      }
      this.onElement(pending[i]![0], pending[i]![1]);
    }
  }

  // ---- resource binding (RFC 6120 §7) ----

  private beforeBind(el: Element, ns: string): void {
    if (ns === NS_CLIENT && el.name === "iq") {
      const payload = el.getChildElements()[0];
      if (el.attrs.type === "set" && payload?.name === "bind" && payload.attrs.xmlns === NS_BIND) return this.bind(el, payload);
      if (el.attrs.type === "set" && payload?.name === "session" && payload.attrs.xmlns === NS_SESSION) {
        return this.send(xml("iq", { type: "result", id: el.attrs.id }));
      }
      const reply = errorReply(el, new StanzaError("not-authorized", "bind a resource first"));
      if (reply) this.send(reply);
      return;
    }
    const handler = this.core.modules.nonza(ns, el.name);
    if (handler) return handler(this, el);
    if (ns === NS_CLIENT) return this.close("not-authorized", "bind a resource first");
    this.close("unsupported-stanza-type");
  }

  private bind(iq: Element, payload: Element): void {
    if (this.phase.kind !== "authenticated") return;
    const replyError = (e: StanzaError) => { const r = errorReply(iq, e); if (r) this.send(r); };
    const requested = payload.getChildText("resource");
    let resource: string;
    if (requested) {
      const r = prepResource(requested);
      if (!r.ok) return replyError(new StanzaError("bad-request", r.error));
      resource = r.value;
    } else {
      resource = `palaver-${randomId()}`;
    }
    const bare = Jid.ofPrepared(this.phase.username, this.hostName) as BareJid;
    const existing = this.core.sessions.resources(bare.full);
    const full = bare.withResource(resource);
    if (existing.length >= MAX_RESOURCES_PER_ACCOUNT && !this.core.sessions.get(full.full)) {
      return replyError(new StanzaError("resource-constraint", "too many resources"));
    }
    const session = new ClientSessionImpl(this.core, this, full, bare);
    this.phase = { kind: "bound", session };
    // RFC 6120 §7.7.2.2: the new session wins; the old one is told why it ends.
    const displaced = this.core.sessions.add(session);
    if (displaced) displaced.close("conflict", "replaced by a new connection");
    this.send(xml("iq", { type: "result", id: iq.attrs.id }, xml("bind", { xmlns: NS_BIND }, xml("jid", null, full.full))));
    if (this.core.log.enabled?.("info") !== false) this.log.info("resource bound", { jid: full.full });
    this.core.hooks.fire("session:bound", { session });
  }

  // ---- stanzas (RFC 6120 §8) ----

  private afterBind(session: ClientSessionImpl, el: Element, ns: string): void {
    if (ns !== NS_CLIENT) {
      const handler = this.core.modules.nonza(ns, el.name);
      if (handler) return handler(this, el);
      return this.close("unsupported-stanza-type", `<${el.name}/> in ${ns || "no namespace"}`);
    }
    const kind = el.name;
    if (kind !== "message" && kind !== "presence" && kind !== "iq") {
      return this.close("unsupported-stanza-type", `<${kind}/> is not a stanza`);
    }
    this.stanza(session, el, kind);
    // Routed or answered: the server has taken responsibility for it (what acknowledgements count).
    if (this.phase.kind === "bound") this.core.hooks.fire("stanza:in", { session, stanza: el });
  }

  private stanza(session: ClientSessionImpl, el: Element, kind: string): void {
    // RFC 6120 §8.1.2.1: the server stamps `from`; a client may only give its own address.
    const claimed = el.attrs.from;
    if (claimed !== undefined && claimed !== session.jid.full && claimed !== session.bare.full) {
      const parsed = parseJid(claimed);
      if (!parsed.ok || (parsed.jid.full !== session.jid.full && parsed.jid.full !== session.bare.full)) {
        return this.close("invalid-from", "the from address is not this session's");
      }
    }
    if (el.attrs.xmlns === NS_CLIENT) delete el.attrs.xmlns;
    el.attrs.from = session.jid.full;
    let to: Jid = session.bare;
    if (el.attrs.to !== undefined) {
      const parsed = parseJid(el.attrs.to);
      if (!parsed.ok) {
        const reply = errorReply(el, new StanzaError("jid-malformed", parsed.error));
        if (reply) { delete reply.attrs.from; session.send(reply); }
        return;
      }
      to = parsed.jid;
    }
    if (kind === "iq" && !this.validIq(el)) return;
    // Legacy session establishment (RFC 3921 §3) comes after binding; Strophe.js and Converse.js still send it
    // when the feature is offered, even as <optional/>. There is nothing to establish: acknowledge it.
    if (kind === "iq" && el.attrs.type === "set" && (el.attrs.to === undefined || to.full === this.hostName)) {
      const payload = el.getChildElements()[0];
      if (payload?.name === "session" && payload.attrs.xmlns === NS_SESSION) {
        return this.send(xml("iq", { type: "result", id: el.attrs.id }));
      }
    }
    this.core.router.route(session, el, session.jid, to);
  }

  /** RFC 6120 §8.2.3, answered with bad-request. */
  private validIq(el: Element): boolean {
    if (validIq(el)) return true;
    const reply = badIqReply(el);
    if (reply) { reply.attrs.from = el.attrs.to; this.send(reply); }
    return false;
  }

  // ---- ending ----

  private onStreamClose(): void {
    if (this.phase.kind === "closed") return;
    this.transport.write(this.framing.close());
    this.finish("stream closed by client", false);
    this.transport.end();
  }

  /**
   * Close the stream, with a stream error when a condition is given (RFC 6120 §4.9.1.1) and `appCondition` as its
   * application-specific condition (§4.9.4). A bound session ends with it.
   */
  close(error?: StreamErrorCondition, text?: string, appCondition?: Element): void {
    this.terminate(false, error, text, appCondition);
  }

  /** `interrupted`: the client did not end the stream, the connection is presumed lost (see `session:interrupted`). */
  private terminate(interrupted: boolean, error?: StreamErrorCondition, text?: string, appCondition?: Element): void {
    if (this.phase.kind === "closed") return;
    if (error) {
      this.sendHeader(this.hostName || this.core.server.hosts[0]!);
      const el = streamErrorElement(error, text, appCondition);
      el.attrs["xmlns:stream"] = NS_STREAMS;
      this.transport.write(el.toString());
      this.log.info("stream error", { condition: error, text });
    }
    this.transport.write(this.framing.close());
    this.finish(error ? `stream error: ${error}` : "closed by server", interrupted);
    this.transport.end();
  }

  adopt(control: SessionControl): boolean {
    if (this.phase.kind !== "authenticated" || !(control instanceof ClientSessionImpl)) return false;
    const session = control;
    if (session.ended || session.bare.local !== this.phase.username || session.host !== this.hostName) return false;
    const previous = session.attach(this);
    this.phase = { kind: "bound", session };
    this.log.info("session adopted", { jid: session.jid.full, previous: previous ? previous.id : null });
    previous?.close("conflict", "the session continues on another connection");
    return true;
  }

  /** Drop the connection without waiting for the peer (after close(), at shutdown). */
  abort(): void {
    this.transport.destroy();
  }

  /** Check negotiation and idle timeouts (called by the server's sweeper). */
  checkTimeouts(now: number): void {
    const limits = this.core.config.limits;
    if (this.phase.kind !== "bound") {
      if (now - this.connectedAt > limits.negotiationTimeout * 1000) this.close("connection-timeout", "negotiation took too long");
    } else if (now - this.lastActivity > limits.idleTimeout * 1000) {
      // A silent client is most likely a lost connection: its session may be kept (`session:interrupted`).
      this.terminate(true, "connection-timeout", "idle for too long");
    }
  }

  private onTransportClosed(reason: string): void {
    this.finish(reason, true);
  }

  private finish(reason: string, interrupted: boolean): void {
    const phase = this.phase;
    if (phase.kind === "closed") return;
    this.phase = { kind: "closed" };
    this.backlog = null;
    this.core.streamEnded(this);
    if (phase.kind === "bound") phase.session.streamEnded(this, reason, interrupted);
  }
}

/**
 * The session object modules see once a resource is bound, and its control (session/control.ts). It outlives its
 * first stream when a `session:interrupted` handler keeps it, and moves to the stream that adopts it.
 */
class ClientSessionImpl implements ClientSession, SessionControl {
  readonly kind = "c2s" as const;
  /** The id of the stream that bound it; kept across streams, so modules may key state by it. */
  readonly id: string;
  readonly host: string;
  presence: Element | null = null;
  priority = 0;
  readonly data = new Map<string, unknown>();
  ended = false;
  /** The stream carrying the session; null while detached. */
  private stream: C2sStream | null;
  /** The latest stream that carried it: address, security and logger while detached. */
  private latest: C2sStream;

  constructor(private readonly core: CoreContext, stream: C2sStream, readonly jid: FullJid, readonly bare: BareJid) {
    this.id = stream.id;
    this.host = jid.domain;
    this.stream = stream;
    this.latest = stream;
  }

  get session(): ClientSession { return this; }
  get attached(): boolean { return this.stream !== null; }
  get log(): Logger { return this.latest.log; }
  get ip(): string { return this.latest.ip; }
  get secure(): boolean { return this.latest.secure; }

  send(stanza: Element): void {
    if (this.core.hooks.fire("stanza:hold", { session: this, stanza })) return;
    this.write(stanza, stanza.toString());
  }

  sendSerialized(stanza: Element, serialized: string): void {
    if (this.core.hooks.fire("stanza:hold", { session: this, stanza, serialized })) return;
    this.write(stanza, serialized);
  }

  write(stanza: Element, serialized: string): void {
    if (this.ended) return;
    this.core.hooks.fire("stanza:out", { session: this, stanza, serialized });
    this.stream?.writeRaw(serialized);
  }

  writeRaw(data: string): void {
    this.stream?.writeRaw(data);
  }

  /** Close the stream (the session ends with it); a detached session ends at once. */
  close(error?: StreamErrorCondition, text?: string): void {
    if (this.stream) this.stream.close(error, text);
    else this.end(error ? `stream error: ${error}` : text ?? "closed by server");
  }

  /** Move to `stream` (StreamContext.adopt); returns the stream that carried the session until now, if any. */
  attach(stream: C2sStream): C2sStream | null {
    const previous = this.stream;
    this.stream = stream;
    this.latest = stream;
    return previous;
  }

  /** The stream carrying the session has ended: keep the session detached when a module asks to, or end it. */
  streamEnded(stream: C2sStream, reason: string, interrupted: boolean): void {
    if (this.stream !== stream) return; // another stream has adopted the session
    this.stream = null;
    if (interrupted && !this.ended && this.core.hooks.fire("session:interrupted", { session: this, reason })) {
      this.log.info("session detached", { jid: this.jid.full, reason });
      return;
    }
    this.end(reason);
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.stream = null;
    this.core.sessions.remove(this);
    if (this.core.log.enabled?.("info") !== false) this.log.info("session ended", { jid: this.jid.full, reason });
    this.core.hooks.fire("session:closed", { session: this, reason });
  }
}
