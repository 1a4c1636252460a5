/**
 * The router (RFC 6120 §10): classifies a stanza's destination, fires the matching event, runs IQ
 * handlers, and bounces what nobody handled with the right stanza error. Stays synchronous for
 * everything that does not itself wait (IQ handlers may be asynchronous).
 */
import type { Element } from "ltx";
import { xml } from "@xmpp/xml";
import type { HookBus, HookName, StanzaEvent } from "./hooks.js";
import type { Jid } from "./jid.js";
import type { Logger } from "./log.js";
import type { DomainHandler, IqHandler, IqResult, IqTarget, ServerInfo } from "./modules.js";
import type { Session } from "./session/types.js";
import { errorReply, StanzaError } from "./xml/stanza-error.js";

export interface IqTable {
  lookup(type: "get" | "set", target: IqTarget, ns: string, name: string): IqHandler | undefined;
}

/** IQ handlers, and the domains modules serve (ModuleApi.serveDomain). */
export interface RouteTable extends IqTable {
  domainHandler(domain: string): DomainHandler | undefined;
}

export type Target = IqTarget;

/**
 * Where an address points from this server's point of view (RFC 6120 §10.3-10.5). Module-served domains are
 * taken by the router before this is asked.
 */
export function classify(to: Jid, server: ServerInfo): Target | "remote" {
  if (!server.isLocalHost(to.domain)) return "remote";
  if (!to.local) return "host";
  return to.resource ? "full" : "bare";
}

const EVENTS: Record<string, Record<Target, HookName>> = {
  message: { host: "message:host", bare: "message:bare", full: "message:full" },
  presence: { host: "presence:host", bare: "presence:bare", full: "presence:full" },
  iq: { host: "iq:host", bare: "iq:bare", full: "iq:full" },
};

export class Router {
  constructor(
    private readonly hooks: HookBus,
    private readonly server: ServerInfo,
    private readonly iqs: RouteTable,
    private readonly log: Logger,
  ) {}

  /** Route a stanza whose `from` and `to` have been validated and parsed. */
  route(origin: Session | null, stanza: Element, from: Jid, to: Jid): void {
    const event: StanzaEvent = { origin, stanza, from, to };
    if (this.hooks.fire("stanza:pre", event)) return;
    const served = this.iqs.domainHandler(to.domain);
    if (served) return this.serve(event, served);
    const target = classify(to, this.server);
    if (target === "remote") {
      if (!this.hooks.fire("route:remote", event)) this.bounce(event, new StanzaError("remote-server-not-found"));
      return;
    }
    if (stanza.name === "iq") {
      const type = stanza.attrs.type;
      if (type === "get" || type === "set") return this.request(event, type, target);
    }
    const name = EVENTS[stanza.name]?.[target];
    if (!name || !this.hooks.fire(name, event)) this.unhandled(event);
  }

  /** A stanza for a module-served domain: the module's from here on. */
  private serve(event: StanzaEvent, handler: DomainHandler): void {
    try {
      handler(event);
    } catch (err) {
      this.log.error("domain handler failed", { domain: event.to.domain, stanza: event.stanza.name, err });
      this.bounce(event, new StanzaError("internal-server-error"));
    }
  }

  private request(event: StanzaEvent, type: "get" | "set", target: Target): void {
    const payload = event.stanza.getChildElements()[0];
    if (payload) {
      const ns = payload.attrs.xmlns ?? "";
      const handler = this.iqs.lookup(type, target, ns, payload.getName());
      if (handler) return this.runIq(event, payload, handler);
    }
    if (!this.hooks.fire(EVENTS.iq![target], event)) this.bounce(event, new StanzaError("service-unavailable"));
  }

  private runIq(event: StanzaEvent, payload: Element, handler: IqHandler): void {
    const host = event.to.domain;
    let result: IqResult | Promise<IqResult>;
    try {
      result = handler({ stanza: event.stanza, payload, from: event.from, to: event.to, host, origin: event.origin });
    } catch (err) {
      return this.handlerFailed(event, err);
    }
    if (result instanceof Promise) {
      result.then((r) => this.reply(event, r), (err) => this.handlerFailed(event, err));
    } else {
      this.reply(event, result);
    }
  }

  private handlerFailed(event: StanzaEvent, err: unknown): void {
    const payload = event.stanza.getChildElements()[0];
    this.log.error("IQ handler failed", { ns: payload?.attrs.xmlns, name: payload?.name, err });
    this.bounce(event, new StanzaError("internal-server-error"));
  }

  private reply(event: StanzaEvent, result: IqResult): void {
    if (result instanceof StanzaError) return this.bounce(event, result);
    const { stanza } = event;
    const reply = xml("iq", { type: "result", id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from });
    if (result) reply.cnode(result);
    this.sendBack(event, reply);
  }

  /** Answer a stanza with an error (never an error to an error: RFC 6120 §8.3.1). */
  bounce(event: StanzaEvent, error: StanzaError): void {
    const reply = errorReply(event.stanza, error);
    if (reply) this.sendBack(event, reply);
  }

  private sendBack(event: StanzaEvent, reply: Element): void {
    if (event.origin) {
      event.origin.send(reply);
    } else {
      // A stanza the server generated (e.g. delivering stored messages): route the answer normally.
      this.route(null, reply, event.to, event.from);
    }
  }

  /** Nobody took it: RFC 6120 §10.5 and RFC 6121 §8.5 defaults for what reaches this point. */
  private unhandled(event: StanzaEvent): void {
    const { stanza } = event;
    if (stanza.name === "iq") {
      // results and errors nobody waits for are dropped
      return;
    }
    if (stanza.name === "message" && stanza.attrs.type !== "headline") {
      this.bounce(event, new StanzaError("service-unavailable"));
    }
    // presence nobody handles is dropped silently (RFC 6121 §8.5.3.2.1 / §4.3)
  }
}
