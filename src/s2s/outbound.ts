/**
 * The initiating side (RFC 6120 §3.2, §4-§6; XEP-0220 §2.1 as Initiating and as Receiving Server; XEP-0178 §3;
 * XEP-0288; XEP-0368). A link carries stanzas from one local domain to one remote domain: it resolves the domain,
 * connects (trying the targets in order, §3.2.1), secures the stream with STARTTLS or Direct TLS, authenticates
 * with SASL EXTERNAL or dialback, and then sends what was queued meanwhile, in order. It also carries this
 * server's requests to verify dialback keys (as Receiving Server) to the remote domain's authoritative server.
 * Everything before it is ready runs within one time budget; past it, or when the domain cannot be reached, the
 * link fails and the manager bounces what waited.
 */
import type { Element } from "ltx";
import { xml } from "@xmpp/xml";
import { parseJid } from "../jid.js";
import { NS_STREAMS } from "../stream/errors.js";
import { checkIncoming } from "../stream/stanza-checks.js";
import { StanzaError } from "../xml/stanza-error.js";
import type { Channel, S2sContext, VerifyOutcome, VerifyRequest } from "./context.js";
import { answerVerifyRequest, dialbackError, NS_BIDI, NS_BIDI_FEATURE, NS_DIALBACK_FEATURE } from "./inbound.js";
import { outboundStep, type DialbackErrorCondition } from "./policy.js";
import type { Plan, S2sResolver } from "./resolve.js";
import { S2sSession } from "./session.js";
import { localName, NS_DIALBACK, NS_SASL, NS_SERVER, NS_TLS, serialiseStanza, StreamBase } from "./stream-base.js";
import type { CertStatus } from "./trust.js";
import { connectTo, S2sTransport } from "./transport.js";

/** Longest single TCP connection attempt, so one dead address leaves time for the next (§3.2.1 step 5). */
const MAX_ATTEMPT_MS = 10_000;

export type FailCondition = "remote-server-not-found" | "remote-server-timeout";

export interface LinkOwner {
  /** The link is authenticated: flush its queue. */
  ready(link: S2sLink): void;
  /** The link ended (failed before being ready, or closed later). */
  ended(link: S2sLink, failure: { condition: FailCondition; reason: string } | null): void;
}

interface PendingVerify { request: VerifyRequest; sent: boolean; resolve: (o: VerifyOutcome) => void }

export class S2sLink implements Channel {
  readonly id: string;
  private state: "connecting" | "negotiating" | "ready" | "closed" = "connecting";
  private stream: OutboundStream | null = null;
  private readonly verifies: PendingVerify[] = [];
  private timer: NodeJS.Timeout | null = null;
  private failure: { condition: FailCondition; reason: string } | null = null;
  /** Where the connection went (for status and logs). */
  connectedTo: { address: string; port: number; directTls: boolean } | null = null;
  /** Stanzas (with what is needed to bounce them) waiting for the link to be ready. */
  readonly queue: Array<{ stanza: Element; bounce: (error: StanzaError) => void }> = [];
  readonly createdAt = Date.now();

  constructor(
    private readonly ctx: S2sContext,
    private readonly resolver: S2sResolver,
    private readonly owner: LinkOwner,
    readonly local: string,
    readonly remote: string,
    private readonly budgetMs: number,
  ) {
    this.id = `${local}->${remote}`;
  }

  get isClosed(): boolean { return this.state === "closed"; }
  get isReady(): boolean { return this.state === "ready"; }
  get lastActivity(): number { return this.stream?.lastActivity ?? this.createdAt; }
  get session(): S2sSession | null { return this.stream?.session ?? null; }
  get mechanism(): string | null { return this.stream?.mechanism ?? null; }

  start(): void {
    this.timer = setTimeout(() => this.fail("remote-server-timeout", "no authenticated stream within the connection budget"), this.budgetMs);
    this.timer.unref();
    void this.connect();
  }

  private async connect(): Promise<void> {
    const log = this.ctx.log.child({ s2s: "out", local: this.local, remote: this.remote });
    let plan: Plan;
    try {
      plan = await this.resolver.plan(this.remote);
    } catch (err) {
      return this.fail("remote-server-not-found", `cannot resolve ${this.remote}: ${(err as Error).message}`);
    }
    if (this.state !== "connecting") return;
    if (!plan.ok) return this.fail("remote-server-not-found", plan.reason);
    const errors: string[] = [];
    for (const target of plan.targets) {
      const addresses = await this.resolver.addresses(target.host);
      if (this.state !== "connecting") return;
      if (addresses.length === 0) errors.push(`${target.host}: no address`);
      for (const address of addresses) {
        const left = this.budgetMs - (Date.now() - this.createdAt);
        if (left <= 0) return;
        const tlsOptions = target.directTls ? this.ctx.tls.clientOptions(this.local, this.remote, true) : null;
        try {
          const socket = await connectTo(address, target.port, Math.min(left, MAX_ATTEMPT_MS), tlsOptions);
          if (this.state !== "connecting") { socket.destroy(); return; }
          log.info("s2s connected", { address, port: target.port, directTls: target.directTls, via: plan.source });
          this.connectedTo = { address, port: target.port, directTls: target.directTls };
          this.state = "negotiating";
          this.stream = new OutboundStream(this.ctx, this, new S2sTransport(socket, null));
          this.stream.begin();
          return;
        } catch (err) {
          errors.push(`${address}:${target.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
    }
    if (this.state === "connecting") this.fail("remote-server-not-found", `cannot connect to ${this.remote} (${errors.join("; ") || "no target"})`);
  }

  /** The stream may now carry dialback verification requests (TLS is done, or will not be). */
  streamUsable(): void {
    for (const v of this.verifies) {
      if (v.sent) continue;
      v.sent = true;
      const r = v.request;
      this.stream!.send(xml("db:verify", { from: r.local, to: r.remote, id: r.streamId }, r.key));
    }
  }

  /** Ask the remote (authoritative) server whether a key is its own (XEP-0220 §2.1.2 step 2). */
  verify(request: VerifyRequest): Promise<VerifyOutcome> {
    return new Promise((resolve) => {
      if (this.state === "closed") {
        resolve({ type: "error", condition: this.failure?.condition ?? "remote-connection-failed", text: this.failure?.reason ?? "the connection is closed" });
        return;
      }
      // An authoritative server that never answers must not leave the request (and the peer) waiting forever.
      const timer = setTimeout(() => {
        const i = this.verifies.indexOf(pending);
        if (i !== -1) this.verifies.splice(i, 1);
        resolve({ type: "error", condition: "remote-server-timeout", text: "the authoritative server did not answer in time" });
      }, this.budgetMs);
      timer.unref();
      const pending: PendingVerify = { request, sent: false, resolve: (o) => { clearTimeout(timer); resolve(o); } };
      this.verifies.push(pending);
      if (this.stream?.usable) this.streamUsable();
    });
  }

  /** A `<db:verify type=.../>` answer arrived; only one that matches a request we sent is believed. */
  verifyAnswer(el: Element): void {
    const i = this.verifies.findIndex((v) => v.sent && v.request.streamId === el.attrs.id &&
      el.attrs.from === v.request.remote && el.attrs.to === v.request.local);
    if (i === -1) {
      this.ctx.log.warn("unsolicited dialback verification answer ignored", { from: el.attrs.from, id: el.attrs.id });
      return;
    }
    const [v] = this.verifies.splice(i, 1);
    const type = el.attrs.type;
    if (type === "valid" || type === "invalid") return v!.resolve({ type });
    const condition = el.getChild("error")?.getChildElements()[0]?.name;
    v!.resolve({ type: "error", condition: (condition ?? "remote-server-not-found") as DialbackErrorCondition, text: "the authoritative server answered with an error" });
  }

  /** Authenticated: stanzas may flow. */
  authenticated(): void {
    if (this.state !== "negotiating") return;
    this.state = "ready";
    if (this.timer) clearTimeout(this.timer);
    this.owner.ready(this);
  }

  canSend(local: string, remote: string): boolean {
    return this.state === "ready" && local === this.local && remote === this.remote;
  }

  sendStanza(stanza: Element): void {
    this.stream?.writeRaw(serialiseStanza(stanza));
  }

  /** Close a ready link that has been quiet for too long (a stalled one with a stream error). */
  checkIdle(now: number, idleMs: number): void {
    if (this.state !== "ready" || !this.stream || now - this.stream.lastActivity <= idleMs) return;
    this.stream.close(this.stream.stalled() ? "connection-timeout" : undefined);
  }

  /** Give up before being ready (resolution, connection, TLS, authentication, or the budget). */
  fail(condition: FailCondition, reason: string): void {
    if (this.state === "closed" || this.state === "ready") return;
    this.failure = { condition, reason };
    this.ctx.log.info("s2s connection failed", { local: this.local, remote: this.remote, condition, reason });
    const stream = this.stream;
    this.finish();
    // A stream error would be pointless to a peer that never answered; one that did gets a clean close.
    if (stream && !stream.isClosed) stream.close(condition === "remote-server-timeout" ? "connection-timeout" : undefined);
  }

  close(error?: "system-shutdown" | "connection-timeout"): void {
    if (this.state === "closed") return;
    if (this.stream && !this.stream.isClosed) this.stream.close(error);
    else this.fail("remote-server-not-found", "closed");
  }

  /** The stream ended, whatever the reason. */
  streamEnded(reason: string): void {
    if (this.state === "negotiating" || this.state === "connecting") {
      this.failure ??= { condition: "remote-server-not-found", reason: `the stream ended before authentication (${reason})` };
      this.ctx.log.info("s2s connection failed", { local: this.local, remote: this.remote, ...this.failure });
    }
    this.finish();
  }

  private finish(): void {
    if (this.state === "closed") return;
    const wasReady = this.state === "ready";
    this.state = "closed";
    if (this.timer) clearTimeout(this.timer);
    const condition: DialbackErrorCondition = this.failure?.condition === "remote-server-timeout" ? "remote-server-timeout" : "remote-connection-failed";
    for (const v of this.verifies.splice(0)) {
      v.resolve({ type: "error", condition, text: this.failure?.reason ?? "the connection to the authoritative server closed" });
    }
    this.owner.ended(this, wasReady ? null : this.failure ?? { condition: "remote-server-not-found", reason: "closed" });
  }
}

/** The protocol of one outgoing connection. */
class OutboundStream extends StreamBase {
  readonly session: S2sSession;
  private streamId: string | null = null;
  private headerSeen = false;
  /** Dialback support: the namespace declared in the peer's header, or the XEP-0220 §2.3.2 stream feature. */
  private dialbackDeclared = false;
  private dialbackFeature = false;
  private externalFailed = false;
  private bidi = false;
  private authenticated = false;
  private awaiting: "features" | "proceed" | "sasl" | "dialback" | "ready" = "features";
  mechanism: "EXTERNAL" | "dialback" | null = null;
  usable = false;

  constructor(private readonly ctx: S2sContext, private readonly link: S2sLink, transport: S2sTransport) {
    super(transport, ctx.limits, ctx.log.child({ s2s: "out", local: link.local, remote: link.remote }), NS_SERVER);
    this.session = new S2sSession(this, "out", (stanza) => ctx.sendRemote(stanza));
  }

  protected errorHeader(): Record<string, string | undefined> {
    return { from: this.link.local, to: this.link.remote, version: "1.0" };
  }

  begin(): void {
    this.writeHeader({ from: this.link.local, to: this.link.remote, version: "1.0", "xml:lang": "en" });
  }

  private cert(): CertStatus {
    return this.ctx.tls.verdict(this.transport.tlsSocket, this.link.remote).status;
  }

  protected onHeader(attrs: Record<string, string>): void {
    this.headerSeen = true;
    this.streamId = attrs.id ?? null;
    this.dialbackDeclared = Object.entries(attrs).some(([k, v]) => k.startsWith("xmlns:") && v === NS_DIALBACK);
    if (attrs.version === undefined) {
      // A pre-1.0 peer sends no features: dialback straight away, if policy allows a stream without TLS.
      this.usable = true;
      this.link.streamUsable();
      this.proceed({ starttls: false, external: false, dialback: this.dialbackDeclared });
    }
  }

  protected onElement(el: Element, ns: string): void {
    if (!this.headerSeen) return this.close("not-well-formed", "expected a stream header");
    const name = localName(el.name);
    if (ns === NS_STREAMS) {
      if (name === "features") return this.onFeatures(el);
      if (name === "error") return this.peerStreamError(el);
    }
    if (ns === NS_TLS) {
      if (name === "proceed" && this.awaiting === "proceed") return this.startTls();
      return this.link.fail("remote-server-not-found", "the peer refused STARTTLS");
    }
    if (ns === NS_SASL && this.awaiting === "sasl") {
      if (name === "success") return this.saslSuccess();
      if (name === "failure") {
        this.externalFailed = true;
        const condition = el.getChildElements()[0]?.name;
        this.log.info("SASL EXTERNAL refused by peer; trying dialback", { condition });
        return this.proceed({ starttls: false, external: false, dialback: this.dialbackDeclared || this.dialbackFeature });
      }
    }
    if (ns === NS_DIALBACK) {
      if (name === "verify" && el.attrs.type !== undefined) return this.link.verifyAnswer(el);
      if (name === "result" && el.attrs.type !== undefined) return this.dialbackResult(el);
      return this.dialbackRequest(name, el);
    }
    if (ns === NS_SERVER && (name === "message" || name === "presence" || name === "iq")) return this.stanza(el);
    this.close("unsupported-stanza-type", `<${el.name}/> in ${ns || "no namespace"}`);
  }

  private onFeatures(features: Element): void {
    if (this.authenticated) {
      // After SASL (RFC 6120 §6.4.6) the features are informative; the stream is now usable for stanzas.
      if (this.awaiting === "ready") return;
      this.awaiting = "ready";
      this.usable = true;
      this.link.streamUsable();
      return this.link.authenticated();
    }
    this.dialbackFeature = features.getChild("dialback", NS_DIALBACK_FEATURE) !== undefined;
    const starttls = features.getChild("starttls", NS_TLS) !== undefined;
    const mechanisms = features.getChild("mechanisms", NS_SASL)?.getChildren("mechanism").map((m) => m.getText().trim()) ?? [];
    if (!(starttls && !this.secure)) {
      // XEP-0288 §2: ask for a bidirectional stream once TLS is in place, before authenticating.
      if (!this.bidi && this.ctx.policy.bidi && features.getChild("bidi", NS_BIDI_FEATURE) && (this.secure || !this.ctx.policy.requireEncryption)) {
        this.bidi = true;
        this.send(xml("bidi", { xmlns: NS_BIDI }));
      }
      this.usable = true;
      this.link.streamUsable();
    }
    this.proceed({ starttls, external: mechanisms.includes("EXTERNAL"), dialback: this.dialbackDeclared || this.dialbackFeature });
  }

  private proceed(offered: { starttls: boolean; external: boolean; dialback: boolean }): void {
    const step = outboundStep(this.ctx.policy, {
      secure: this.secure, starttlsOffered: offered.starttls, externalOffered: offered.external,
      externalFailed: this.externalFailed, dialbackSupported: offered.dialback, cert: this.cert(),
    });
    switch (step.step) {
      case "starttls":
        this.awaiting = "proceed";
        this.send(xml("starttls", { xmlns: NS_TLS }));
        return;
      case "external":
        // XEP-0178 §3 step 9: the authorization identity is included for servers that still rely on it.
        this.awaiting = "sasl";
        this.send(xml("auth", { xmlns: NS_SASL, mechanism: "EXTERNAL" }, Buffer.from(this.link.local, "utf8").toString("base64")));
        return;
      case "dialback": {
        if (!this.streamId) return this.link.fail("remote-server-not-found", "the peer's stream header has no id for dialback");
        this.awaiting = "dialback";
        // XEP-0220 §2.1.1: key over (Receiving Server, Originating Server, stream id of the peer's header).
        const key = this.ctx.keys.make(this.link.remote, this.link.local, this.streamId);
        this.send(xml("db:result", { from: this.link.local, to: this.link.remote }, key));
        return;
      }
      case "fail":
        return this.link.fail("remote-server-not-found", step.reason);
    }
  }

  private startTls(): void {
    this.holding = true;
    this.transport.startTlsClient(this.ctx.tls.clientOptions(this.link.local, this.link.remote, false)).then(
      () => {
        this.holding = false;
        this.headerSeen = false;
        this.awaiting = "features";
        this.restart();
        this.begin();
      },
      (err: Error) => this.link.fail("remote-server-not-found", `TLS handshake failed: ${err.message}`),
    );
  }

  private saslSuccess(): void {
    this.authenticated = true;
    this.mechanism = "EXTERNAL";
    this.session.authenticate(this.link.remote, "EXTERNAL");
    this.log.info("s2s authenticated", { direction: "out", local: this.link.local, remote: this.link.remote, mechanism: "EXTERNAL", bidi: this.bidi });
    this.ctx.authenticated(this.link, this.link.local, this.link.remote, "EXTERNAL", "out", this.bidi);
    this.headerSeen = false;
    this.awaiting = "features";
    this.restart();
    this.begin();
  }

  private dialbackResult(el: Element): void {
    if (this.awaiting !== "dialback" || el.attrs.from !== this.link.remote || el.attrs.to !== this.link.local) {
      this.log.warn("unsolicited dialback result ignored", { from: el.attrs.from, to: el.attrs.to, type: el.attrs.type });
      return;
    }
    const type = el.attrs.type;
    if (type !== "valid") {
      const condition = type === "error" ? el.getChild("error")?.getChildElements()[0]?.name : undefined;
      return this.link.fail("remote-server-not-found", `dialback refused by ${this.link.remote}: ${type}${condition ? ` (${condition})` : ""}`);
    }
    this.authenticated = true;
    this.mechanism = "dialback";
    this.awaiting = "ready";
    this.session.authenticate(this.link.remote, "dialback");
    this.log.info("s2s authenticated", { direction: "out", local: this.link.local, remote: this.link.remote, mechanism: "dialback", bidi: this.bidi });
    this.ctx.authenticated(this.link, this.link.local, this.link.remote, "dialback", "out", this.bidi);
    this.link.authenticated();
  }

  /**
   * Dialback requests from the peer on a stream we opened. Only a bidirectional stream carries them (XEP-0288 §2:
   * the peer may then use it as its own outgoing stream): verification requests are answered as on any stream,
   * since the answer only says whether a key is ours; requests to authenticate more domains here are declined
   * with resource-constraint, which tells the peer to open a connection of its own (XEP-0220 §2.4).
   */
  private dialbackRequest(name: string, el: Element): void {
    if (!this.bidi) {
      this.log.warn("dialback request on an outgoing stream ignored", { name });
      return;
    }
    if (name === "verify") {
      if (!answerVerifyRequest(this.ctx, el, (answer) => this.send(answer), this.log)) {
        this.close("improper-addressing", "a verification request needs 'from', 'to' and 'id'");
      }
      return;
    }
    this.send(dialbackError("result", { from: el.attrs.to, to: el.attrs.from }, "resource-constraint", "open a stream of your own for this domain pair"));
  }

  /** XEP-0288: with bidi, the peer sends its stanzas (from its domain to ours) on this stream too. */
  private stanza(el: Element): void {
    if (!this.bidi || !this.authenticated) return this.close("not-authorized", "stanzas on an outgoing stream need bidi and authentication");
    if (!el.attrs.from || !el.attrs.to) return this.close("improper-addressing", "a stanza between servers needs 'from' and 'to'");
    const from = parseJid(el.attrs.from);
    if (!from.ok || from.jid.domain !== this.link.remote) return this.close("invalid-from", `only ${this.link.remote} may send on this stream`);
    const to = parseJid(el.attrs.to);
    if (to.ok && to.jid.domain !== this.link.local) return this.close("host-unknown", `this stream carries stanzas for ${this.link.local} only`);
    const checked = checkIncoming(el, NS_SERVER);
    if (!checked.ok) {
      if (checked.reply) this.ctx.sendRemote(checked.reply);
      return;
    }
    this.ctx.deliver(this.session, el, from.jid, checked.to);
  }

  /** Idle or stalled (called by the manager's sweep once the link is ready). */
  stalled(): boolean { return this.parser.inElement; }

  protected onEnded(reason: string): void {
    this.log.info("s2s stream ended", { direction: "out", reason });
    this.link.streamEnded(reason);
  }
}
