/**
 * An external component's stream (XEP-0114 "jabber:component:accept"). The component opens a stream to its own
 * domain, the server answers with a header carrying a stream id (§3, Example 2), the component proves the
 * shared secret with a handshake (handshake.ts), and from then on it receives the stanzas for its domain and may
 * send stanzas from its domain or any address at it. No TLS, no SASL, no stream features in this protocol.
 */
import type { Element } from "ltx";
import { parseJid, prepDomain } from "../jid.js";
import type { Limits } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { Router } from "../router.js";
import type { ComponentSession } from "../session/types.js";
import { NS_STREAMS, type StreamErrorCondition } from "../stream/errors.js";
import { checkIncoming } from "../stream/stanza-checks.js";
import { localName, randomId, serialiseStanza, StreamBase } from "../s2s/stream-base.js";
import type { S2sTransport } from "../s2s/transport.js";
import { verifyHandshake } from "./handshake.js";

export const NS_COMPONENT = "jabber:component:accept";

export interface ComponentStreamOwner {
  readonly limits: Limits;
  readonly log: Logger;
  readonly router: Router;
  /** The shared secret of a configured component domain, or undefined. */
  secretFor(domain: string): string | undefined;
  /** Register an authenticated component; false when another connection already serves the domain. */
  attach(session: ComponentSessionImpl): boolean;
  ended(stream: ComponentStream, session: ComponentSessionImpl | null): void;
}

export class ComponentStream extends StreamBase {
  private readonly streamId = randomId();
  private domain: string | null = null;
  private session: ComponentSessionImpl | null = null;

  constructor(private readonly owner: ComponentStreamOwner, transport: S2sTransport) {
    super(transport, owner.limits, owner.log.child({ component: "xep-0114" }), NS_COMPONENT);
  }

  get authenticated(): boolean { return this.session !== null; }
  get componentDomain(): string | null { return this.domain; }

  protected errorHeader(): Record<string, string | undefined> {
    return { from: this.domain ?? undefined, id: this.streamId };
  }

  protected onHeader(attrs: Record<string, string>): void {
    if (this.domain !== null) return this.close("not-well-formed", "the stream was already opened");
    const d = prepDomain(attrs.to ?? "");
    if (!d.ok || this.owner.secretFor(d.value) === undefined) {
      return this.close("host-unknown", `no component is configured for ${attrs.to ?? "(no 'to')"}`);
    }
    this.domain = d.value;
    this.writeHeader({ from: d.value, id: this.streamId });
  }

  protected onElement(el: Element, ns: string): void {
    if (this.domain === null) return this.close("not-well-formed", "expected a stream header");
    const name = localName(el.name);
    if (ns === NS_STREAMS && name === "error") return this.peerStreamError(el);
    if (!this.session) {
      if (ns === NS_COMPONENT && name === "handshake") return this.handshake(el);
      return this.close("not-authorized", "send the handshake first");
    }
    if (ns === NS_COMPONENT && (name === "message" || name === "presence" || name === "iq")) return this.stanza(el);
    this.close("unsupported-stanza-type", `<${el.name}/> in ${ns || "no namespace"}`);
  }

  private handshake(el: Element): void {
    const secret = this.owner.secretFor(this.domain!)!;
    if (!verifyHandshake(this.streamId, secret, el.getText())) {
      this.log.warn("component handshake refused", { domain: this.domain });
      return this.close("not-authorized", "wrong handshake");
    }
    const session = new ComponentSessionImpl(this, this.domain!);
    if (!this.owner.attach(session)) return this.close("conflict", `another connection already serves ${this.domain}`);
    this.session = session;
    this.transport.write(`<handshake/>`);
    this.log.info("component connected", { domain: this.domain });
  }

  private stanza(el: Element): void {
    const domain = this.domain!;
    // §3: the component sends as its domain or an address at it; without 'from', it is the domain itself.
    const from = parseJid(el.attrs.from ?? domain);
    if (!from.ok || from.jid.domain !== domain) return this.close("invalid-from", `a component may only send as ${domain} or an address at it`);
    if (el.attrs.to === undefined) return this.close("improper-addressing", "a stanza from a component needs 'to'");
    el.attrs.from = from.jid.full;
    const checked = checkIncoming(el, NS_COMPONENT);
    if (!checked.ok) {
      if (checked.reply) this.writeRaw(serialiseStanza(checked.reply));
      return;
    }
    this.owner.router.route(this.session, el, from.jid, checked.to);
  }

  /** Negotiation timeout: a component that does not complete its handshake in time is dropped. */
  checkTimeouts(now: number, negotiationMs: number): void {
    if (!this.session && !this.isClosed && now - this.connectedAt > negotiationMs) this.close("connection-timeout", "no handshake in time");
  }

  deliver(stanza: Element): void {
    this.writeRaw(serialiseStanza(stanza));
  }

  protected onEnded(reason: string): void {
    this.log.info("component stream ended", { domain: this.domain, reason });
    this.owner.ended(this, this.session);
  }
}

/** What the router and modules see of a connected component. */
export class ComponentSessionImpl implements ComponentSession {
  readonly kind = "component" as const;
  constructor(private readonly stream: ComponentStream, readonly domain: string) {}
  get id(): string { return this.stream.id; }
  get log(): Logger { return this.stream.log; }
  get ip(): string { return this.stream.ip; }
  get secure(): boolean { return false; }
  send(stanza: Element): void { this.stream.deliver(stanza); }
  close(error?: StreamErrorCondition, text?: string): void { this.stream.close(error, text); }
}
