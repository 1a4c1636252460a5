/**
 * The receiving side of a server-to-server stream (RFC 6120 §4-§6 and §8; XEP-0220 §2.2 as Receiving and as
 * Authoritative Server; XEP-0178 §3; XEP-0288). Negotiates TLS, then accepts the peer's identity by SASL EXTERNAL
 * or by dialback requests, one domain pair at a time (several pairs on one stream: XEP-0220 §4 multiplexing),
 * answers verification requests for keys this server made, and routes stanzas only for authenticated pairs:
 * before any authentication a stanza is `not-authorized`; from a domain not authenticated, `invalid-from`.
 */
import type { Element } from "ltx";
import { xml } from "@xmpp/xml";
import { parseJid, prepDomain } from "../jid.js";
import type { Logger } from "../log.js";
import { decodeBase64 } from "../sasl/base64.js";
import type { ExternalContext } from "../sasl/external.js";
import type { SaslExchange } from "../sasl/types.js";
import { NS_STREAMS } from "../stream/errors.js";
import { checkIncoming } from "../stream/stanza-checks.js";
import { NS_STANZAS } from "../xml/stanza-error.js";
import type { Channel, S2sContext } from "./context.js";
import { decideDialback, inboundOffer, type DialbackErrorCondition } from "./policy.js";
import { S2sSession } from "./session.js";
import {
  localName, NS_DIALBACK, NS_SASL, NS_SERVER, NS_TLS, randomId, serialiseStanza, StreamBase,
} from "./stream-base.js";
import type { CertStatus } from "./trust.js";
import type { S2sTransport } from "./transport.js";

export const NS_BIDI_FEATURE = "urn:xmpp:features:bidi";
export const NS_BIDI = "urn:xmpp:bidi";
export const NS_DIALBACK_FEATURE = "urn:xmpp:features:dialback";
const MAX_SASL_ATTEMPTS = 3;

/** Error types of the dialback error conditions (XEP-0220 §2.4, RFC 6120 §8.3.3). */
const DIALBACK_ERROR_TYPES: Record<DialbackErrorCondition, string> = {
  "item-not-found": "cancel", "remote-connection-failed": "cancel", "remote-server-not-found": "cancel",
  "remote-server-timeout": "wait", "policy-violation": "modify", "not-authorized": "auth", forbidden: "auth",
  "not-acceptable": "modify", "resource-constraint": "wait",
};

/** A dialback element with type "error" (XEP-0220 §2.4): a stanza error inside, the stream stays open. */
export function dialbackError(name: "result" | "verify", attrs: Record<string, string | undefined>, condition: DialbackErrorCondition, text: string): Element {
  return xml(`db:${name}`, { ...attrs, type: "error" }, xml("error", { type: DIALBACK_ERROR_TYPES[condition] },
    xml(condition, { xmlns: NS_STANZAS }), xml("text", { xmlns: NS_STANZAS, "xml:lang": "en" }, text)));
}

export class S2sInbound extends StreamBase implements Channel {
  /** The id of our current response header (new at each restart); dialback keys are bound to it. */
  private streamId = randomId();
  private started = false;
  /** The local domain the peer addressed, and the domain it says it is (stream header 'to' and 'from'). */
  private local: string | null = null;
  private claimed: string | null = null;
  private legacy = false;
  private saslDomain: string | null = null;
  private sasl: SaslExchange | null = null;
  private saslAttempts = 0;
  private bidi = false;
  /** Dialback-verified pairs: remote domain -> local domains it may send to. */
  private readonly pairs = new Map<string, Set<string>>();
  private readonly pending = new Set<string>();
  readonly session: S2sSession;

  constructor(private readonly ctx: S2sContext, transport: S2sTransport) {
    super(transport, ctx.limits, ctx.log.child({ s2s: "in" }), NS_SERVER);
    this.session = new S2sSession(this, "in", (stanza) => ctx.sendRemote(stanza));
  }

  get authenticatedAny(): boolean { return this.session.anyAuthenticated; }

  protected errorHeader(): Record<string, string | undefined> {
    return { from: this.local ?? this.ctx.defaultHost(), id: this.streamId, version: "1.0" };
  }

  private cert(domain: string | null): CertStatus {
    return domain ? this.ctx.tls.verdict(this.transport.tlsSocket, domain).status : "none";
  }

  // ---- stream header (RFC 6120 §4.7) ----

  protected onHeader(attrs: Record<string, string>): void {
    let to = this.local;
    if (attrs.to !== undefined) {
      const d = prepDomain(attrs.to);
      to = d.ok ? d.value : null;
      if (!d.ok || !this.ctx.isServed(to!) || (this.local !== null && this.local !== to)) {
        this.local = this.local ?? this.ctx.defaultHost();
        return this.close("host-unknown", `this server does not serve ${attrs.to}`);
      }
    } else if (to === null) {
      // Verification-only streams of older servers may omit 'to' (XEP-0220 §2.1.2); SNI, else the first host.
      const sni = this.transport.sniName;
      to = sni && this.ctx.isServed(sni) ? sni : this.ctx.defaultHost();
    }
    this.local = to;
    if (attrs.from !== undefined) {
      const d = prepDomain(attrs.from);
      if (!d.ok) return this.close("invalid-from", "the 'from' of the stream header is not a domain");
      this.claimed = d.value;
    }
    const version = attrs.version;
    if (version !== undefined && !/^1\.\d+$/.test(version)) {
      if (/^\d+\.\d+$/.test(version) && Number(version.split(".")[0]) > 1) {
        return this.close("unsupported-version", "version 1.0 is supported");
      }
    }
    // RFC 6120 §4.7.5: without version 1.0 the peer is a pre-RFC 3920 server: no features, dialback only.
    this.legacy = version === undefined || !version.startsWith("1.");
    this.started = true;
    this.writeHeader({
      from: to!, to: this.claimed ?? undefined, id: this.streamId, version: this.legacy ? undefined : "1.0", "xml:lang": "en",
    });
    if (this.legacy) {
      if (this.ctx.policy.requireEncryption) return this.close("policy-violation", "TLS is required: use version 1.0 and STARTTLS");
      return;
    }
    this.send(this.features());
  }

  private features(): Element {
    const features = xml("stream:features");
    if (this.saslDomain !== null) return features; // RFC 6120 §6.4.6: after SASL, nothing more to negotiate
    const offer = inboundOffer(this.ctx.policy, { secure: this.secure, canStartTls: this.transport.canStartTls, cert: this.cert(this.claimed) });
    if (offer.starttls !== "no") features.cnode(xml("starttls", { xmlns: NS_TLS }, offer.starttls === "required" ? xml("required") : null));
    const mechanisms = this.ctx.sasl.filter((m) => m.available(this.saslContext(), false));
    if (offer.external && mechanisms.length > 0) {
      features.cnode(xml("mechanisms", { xmlns: NS_SASL }, mechanisms.map((m) => xml("mechanism", null, m.name))));
    }
    if (offer.dialback) features.cnode(xml("dialback", { xmlns: NS_DIALBACK_FEATURE }, xml("errors")));
    if (offer.bidi) features.cnode(xml("bidi", { xmlns: NS_BIDI_FEATURE }));
    return features;
  }

  protected override restart(): void {
    super.restart();
    this.streamId = randomId();
  }

  // ---- elements ----

  protected onElement(el: Element, ns: string): void {
    if (!this.started) return this.close("not-well-formed", "expected a stream header");
    const name = localName(el.name);
    if (ns === NS_STREAMS && name === "error") return this.peerStreamError(el);
    if (ns === NS_SERVER && (name === "message" || name === "presence" || name === "iq")) return this.stanza(el);
    if (ns === NS_DIALBACK) {
      if (name === "result" && el.attrs.type === undefined) return this.dialbackRequest(el);
      if (name === "verify" && el.attrs.type === undefined) return this.verifyRequest(el);
      // XEP-0220 §5: answers nobody asked for on this stream are ignored, never believed.
      this.log.warn("unsolicited dialback answer ignored", { name, type: el.attrs.type, from: el.attrs.from });
      return;
    }
    if (ns === NS_TLS && name === "starttls") return this.startTls();
    if (ns === NS_SASL) return this.saslElement(name, el);
    if (ns === NS_BIDI && name === "bidi") return this.enableBidi();
    if (!this.session.anyAuthenticated) return this.close("not-authorized", "authenticate first");
    this.close("unsupported-stanza-type", `<${el.name}/> in ${ns || "no namespace"}`);
  }

  // ---- STARTTLS (RFC 6120 §5.4) ----

  private startTls(): void {
    if (this.secure || !this.transport.canStartTls || this.session.anyAuthenticated) {
      this.send(xml("failure", { xmlns: NS_TLS }));
      return this.close();
    }
    this.transport.write(`<proceed xmlns='${NS_TLS}'/>`);
    this.holding = true; // nothing sent in clear after <starttls/> is processed (STARTTLS command injection)
    this.transport.startTls().then(
      () => { this.holding = false; this.started = false; this.restart(); },
      (err: Error) => { this.log.info("TLS handshake failed", { err: err.message }); this.abort(); },
    );
  }

  // ---- SASL EXTERNAL (RFC 6120 §6, XEP-0178 §3) ----

  private saslContext(): ExternalContext {
    const claimed = this.claimed;
    return {
      host: this.local ?? this.ctx.defaultHost(),
      ip: this.ip,
      secure: this.secure,
      channelBinding: null,
      lookup: () => Promise.resolve(undefined),
      certifiedIdentity: claimed !== null && this.cert(claimed) === "valid" ? claimed : null,
    };
  }

  private saslElement(name: string, el: Element): void {
    if (name === "auth") return this.saslAuth(el);
    if (name === "abort") { this.sasl = null; return this.saslFailure("aborted"); }
    if (name === "response") return this.saslFailure("malformed-request", "EXTERNAL takes no response");
    this.close("unsupported-stanza-type");
  }

  private saslAuth(el: Element): void {
    if (this.saslDomain !== null) return this.saslFailure("aborted", "already authenticated");
    if (this.sasl) return this.saslFailure("aborted", "an exchange is already under way");
    if (this.ctx.policy.requireEncryption && !this.secure) return this.saslFailure("encryption-required", "use STARTTLS first");
    const ctx = this.saslContext();
    const mech = this.ctx.sasl.find((m) => m.name === el.attrs.mechanism);
    if (!mech || !mech.available(ctx, false)) return this.saslFailure("invalid-mechanism");
    const text = el.getText().trim();
    const data = text === "=" || text === "" ? Buffer.alloc(0) : decodeBase64(text);
    if (!data) return this.saslFailure("incorrect-encoding");
    const exchange = mech.start(ctx);
    this.sasl = exchange;
    this.defer(); // what the peer sends next waits for the outcome
    exchange.step(data).then((step) => {
      this.sasl = null;
      if (this.isClosed) return;
      if (step.kind === "success") {
        this.saslDomain = step.username;
        this.transport.write(`<success xmlns='${NS_SASL}'/>`);
        this.accept(step.username, this.local!, "EXTERNAL");
        this.started = false;
        this.restart();
        this.resume(true);
        return;
      }
      // XEP-0178 §3 step 11: on failure the peer may go on with dialback on this same stream.
      if (step.kind === "failure") this.saslFailure(step.condition, step.text);
      else this.saslFailure("malformed-request", "EXTERNAL has no challenges");
      this.resume(false);
    }, (err) => {
      this.sasl = null;
      this.log.error("SASL EXTERNAL failed", { err });
      this.saslFailure("temporary-auth-failure");
      this.resume(false);
    });
  }

  private saslFailure(condition: string, text?: string): void {
    this.send(xml("failure", { xmlns: NS_SASL }, xml(condition), text ? xml("text", { "xml:lang": "en" }, text) : null));
    this.log.info("SASL EXTERNAL refused", { claimed: this.claimed, condition, text });
    if (++this.saslAttempts >= MAX_SASL_ATTEMPTS) this.close("policy-violation", "too many failed authentication attempts");
  }

  // ---- bidirectional streams (XEP-0288 §2) ----

  private enableBidi(): void {
    const allowed = this.ctx.policy.bidi && (this.secure || !this.ctx.policy.requireEncryption) && !this.session.anyAuthenticated;
    if (!allowed) {
      this.log.info("bidi request ignored", { secure: this.secure, authenticated: this.session.anyAuthenticated });
      return;
    }
    this.bidi = true;
    this.log.debug("bidirectional stream enabled");
  }

  // ---- Server Dialback (XEP-0220) ----

  /** A peer as Initiating Server asks to be accepted for a domain pair (§2.2.1). */
  private dialbackRequest(el: Element): void {
    const from = prepDomain(el.attrs.from ?? "");
    const to = prepDomain(el.attrs.to ?? "");
    if (!from.ok || !to.ok) return this.close("improper-addressing", "a dialback request needs valid 'from' and 'to' domains");
    const remote = from.value;
    const local = to.value;
    const key = el.getText().trim();
    const answer = (type: "valid" | "invalid") => this.send(xml("db:result", { from: local, to: remote, type }));
    if (this.pairs.get(remote)?.has(local)) return answer("valid");
    const pair = `${remote} ${local}`;
    const decision = decideDialback(this.ctx.policy, {
      targetServed: this.ctx.isServed(local), secure: this.secure, cert: this.cert(remote), alreadyPending: this.pending.has(pair),
    });
    switch (decision.action) {
      case "error":
        this.log.info("dialback request refused", { remote, local, condition: decision.condition });
        this.send(dialbackError("result", { from: local, to: remote }, decision.condition, decision.text));
        return;
      case "valid-by-certificate":
        // XEP-0344 §2.3: the certificate already proves the sender domain; no need to ask its server.
        this.acceptPair(remote, local, "certificate");
        answer("valid");
        return;
      case "callback":
        if (!key) return this.close("improper-addressing", "a dialback request needs a key");
        this.pending.add(pair);
        this.ctx.verifyDialback({ local, remote, streamId: this.streamId, key }).then((outcome) => {
          this.pending.delete(pair);
          if (this.isClosed) return;
          if (outcome.type === "error") {
            this.log.info("dialback could not be verified", { remote, local, condition: outcome.condition });
            this.send(dialbackError("result", { from: local, to: remote }, outcome.condition, outcome.text));
          } else if (outcome.type === "valid") {
            this.acceptPair(remote, local, "callback");
            answer("valid");
          } else {
            // Nothing from this pair is delivered; the peer may try again or give up (XEP-0220 §2.2.1).
            this.log.warn("dialback key did not verify", { remote, local });
            answer("invalid");
          }
        }, (err) => {
          this.pending.delete(pair);
          this.log.error("dialback verification failed", { err });
          if (!this.isClosed) this.send(dialbackError("result", { from: local, to: remote }, "remote-connection-failed", "verification failed"));
        });
    }
  }

  private acceptPair(remote: string, local: string, how: "callback" | "certificate"): void {
    let set = this.pairs.get(remote);
    if (!set) this.pairs.set(remote, (set = new Set()));
    set.add(local);
    this.log.info("s2s peer authenticated", { direction: "in", remote, local, mechanism: "dialback", verifiedBy: how, bidi: this.bidi });
    this.accept(remote, local, "dialback");
  }

  private accept(remote: string, local: string, mechanism: "EXTERNAL" | "dialback"): void {
    this.session.authenticate(remote, mechanism);
    if (mechanism === "EXTERNAL") this.log.info("s2s peer authenticated", { direction: "in", remote, local, mechanism, bidi: this.bidi });
    this.ctx.authenticated(this, local, remote, mechanism, "in", this.bidi);
  }

  /** A Receiving Server asks whether a key is ours (we are the Authoritative Server, §2.2.2). */
  private verifyRequest(el: Element): void {
    if (!answerVerifyRequest(this.ctx, el, (answer) => this.send(answer), this.log)) {
      this.close("improper-addressing", "a verification request needs 'from', 'to' and 'id'");
    }
  }

  // ---- stanzas (RFC 6120 §8) ----

  private stanza(el: Element): void {
    if (!this.session.anyAuthenticated) return this.close("not-authorized", "stanzas before authentication");
    // RFC 6120 §8.1.1.2 / §8.1.2.2: between servers both addresses are required.
    if (!el.attrs.from || !el.attrs.to) return this.close("improper-addressing", "a stanza between servers needs 'from' and 'to'");
    const from = parseJid(el.attrs.from);
    if (!from.ok) return this.close("invalid-from", `'from' is not a valid address: ${from.error}`);
    const remote = from.jid.domain;
    if (!this.session.isAuthenticated(remote)) return this.close("invalid-from", `${remote} is not authenticated on this stream`);
    const to = parseJid(el.attrs.to);
    if (to.ok) {
      const local = to.jid.domain;
      const allowed = this.saslDomain === remote ? this.ctx.isServed(local) : this.pairs.get(remote)?.has(local) === true;
      if (!allowed) return this.close("host-unknown", `the pair ${remote} -> ${local} is not authenticated on this stream`);
    }
    const checked = checkIncoming(el, NS_SERVER);
    if (!checked.ok) {
      if (checked.reply) this.ctx.sendRemote(checked.reply);
      return;
    }
    this.ctx.deliver(this.session, el, from.jid, checked.to);
  }

  // ---- Channel (XEP-0288: sending back over a stream the peer opened) ----

  canSend(local: string, remote: string): boolean {
    if (!this.bidi || this.isClosed) return false;
    // §2: SASL: from the stream's 'to' to the authenticated domain; dialback: the inverse of a verified pair.
    if (this.saslDomain === remote && this.local === local) return true;
    return this.pairs.get(remote)?.has(local) === true;
  }

  sendStanza(stanza: Element): void {
    this.writeRaw(serialiseStanza(stanza));
  }

  // ---- timeouts and ending ----

  checkTimeouts(now: number, negotiationMs: number, idleMs: number): void {
    if (this.isClosed) return;
    if (!this.session.anyAuthenticated) {
      if (now - this.connectedAt > negotiationMs) this.close("connection-timeout", "no domain authenticated in time");
    } else if (now - this.lastActivity > idleMs) {
      // A stanza left half-sent is a stalled peer; a quiet link is merely idle and closes cleanly.
      if (this.parser.inElement) this.close("connection-timeout", "stalled in the middle of an element");
      else this.close();
    }
  }

  protected onEnded(reason: string): void {
    this.pending.clear();
    this.log.info("s2s stream ended", { direction: "in", reason, remotes: [...this.session.remoteDomains] });
    this.ctx.streamEnded(this);
  }
}

/**
 * XEP-0220 §2.2.2: answer `<db:verify from=receiving to=originating id=streamId>key</db:verify>` as the
 * Authoritative Server: valid only for a key this server made for exactly those inputs. Returns false when the
 * request lacks its addresses or id (the caller ends the stream).
 */
export function answerVerifyRequest(ctx: S2sContext, el: Element, send: (answer: Element) => void, log: Logger): boolean {
  const receiving = prepDomain(el.attrs.from ?? "");
  const originating = prepDomain(el.attrs.to ?? "");
  const id = el.attrs.id;
  if (!receiving.ok || !originating.ok || !id) return false;
  const attrs = { from: originating.value, to: receiving.value, id };
  if (!ctx.isServed(originating.value)) {
    send(dialbackError("verify", attrs, "item-not-found", "this server does not serve that domain"));
    return true;
  }
  const valid = ctx.keys.verify(receiving.value, originating.value, id, el.getText());
  log.info("dialback key verification answered", { receiving: receiving.value, originating: originating.value, valid });
  send(xml("db:verify", { ...attrs, type: valid ? "valid" : "invalid" }));
  return true;
}

