/**
 * The typed hook bus. Events and their payloads are listed in HookMap; modules add their own by declaration
 * merging (`declare module "../../src/hooks.js" { interface HookMap { ... } }`).
 * Handlers run synchronously, highest priority first; returning true means "handled", which stops the chain.
 * A handler that needs I/O starts it and returns true: the stanza is then its responsibility.
 */
import type { Element } from "ltx";
import type { Jid } from "./jid.js";
import type { ClientSession, Session } from "./session/types.js";
import type { Logger } from "./log.js";

/** A stanza on its way through the router. `origin` is null for stanzas the server itself generated. */
export interface StanzaEvent {
  readonly origin: Session | null;
  readonly stanza: Element;
  readonly from: Jid;
  readonly to: Jid;
}

export interface HookMap {
  /** Every stanza entering the router, before addressing (blocking, rate limits). true drops it. */
  "stanza:pre": StanzaEvent;
  /** Stanza addressed to a local host, bare account or full JID; the core delivers at priority -1000. */
  "message:host": StanzaEvent;
  "message:bare": StanzaEvent;
  "message:full": StanzaEvent;
  "presence:host": StanzaEvent;
  "presence:bare": StanzaEvent;
  "presence:full": StanzaEvent;
  /** IQ results and errors, and IQ get/set to a full JID (requests with a handler never get here). */
  "iq:host": StanzaEvent;
  "iq:bare": StanzaEvent;
  "iq:full": StanzaEvent;
  /** A message for a local account with no session that takes it; unhandled, it bounces service-unavailable. */
  "message:offline": StanzaEvent;
  /**
   * Addressed to a domain that is neither a configured host nor served by a module (ModuleApi.serveDomain, which
   * takes its stanzas before this). Federation (s2s) sends these to other servers at priority -1000. Unhandled,
   * it bounces remote-server-not-found.
   */
  "route:remote": StanzaEvent;
  /** A remote domain was authenticated on a server-to-server stream (for logs, metrics, tests). */
  "s2s:authenticated": {
    readonly local: string;
    readonly remote: string;
    readonly mechanism: "EXTERNAL" | "dialback";
    /** "in": the peer opened the stream; "out": this server did. */
    readonly direction: "in" | "out";
    /** Whether the stream is bidirectional (XEP-0288). */
    readonly bidi: boolean;
  };
  /**
   * A stanza on its way to a client session, before it is written. A handler that returns true holds it back (output
   * buffering, e.g. client state indication) and must later write it with `SessionControl.write`, or drop it.
   * `serialized` is given when the sender serialised it already (`sendSerialized`).
   */
  "stanza:hold": { readonly session: ClientSession; readonly stanza: Element; readonly serialized?: string };
  /**
   * Every stanza written to a client session, in order, as it is written (stream management counts here); also while
   * the session is detached, when the bytes reach no connection. `serialized` is exactly what is written.
   */
  "stanza:out": { readonly session: Session; readonly stanza: Element; readonly serialized: string };
  /** Every stanza a bound client sent, once the core has handled it (routed or answered it); not nonzas. */
  "stanza:in": { readonly session: ClientSession; readonly stanza: Element };
  /**
   * A session sent its initial presence (RFC 6121 §4.2) and the IM core has broadcast it and sent probes:
   * the moment to deliver what waited for the user (offline messages, stored subscription requests).
   */
  "presence:initial": { readonly session: ClientSession };
  /** A roster item was added, changed or removed (after it is stored, before pushes). */
  "roster:changed": { readonly owner: Jid; readonly contact: Jid; readonly removed: boolean };
  /**
   * The server is stopping and its streams are still open: the moment for modules to tell users (e.g. XEP-0045
   * §11.2, status 332). Fired once, before any stream is closed.
   */
  "server:stopping": Record<string, never>;
  /** A session bound its resource / ended (clean or not). */
  "session:bound": { readonly session: ClientSession };
  "session:closed": { readonly session: ClientSession; readonly reason: string };
  /**
   * A bound session's connection ended without the client closing its stream (connection lost, idle timeout). A
   * handler that returns true keeps the session: registered, available, detached from any stream (stanzas sent to it
   * fire `stanza:out` and reach no connection) until a new stream adopts it (`StreamContext.adopt`) or it is closed
   * (`session.close()`, which then fires `session:closed`). Unhandled, the session ends at once.
   */
  "session:interrupted": { readonly session: ClientSession; readonly reason: string };
  /** An account was created or deleted (modules remove their data on delete). */
  "account:created": { readonly jid: Jid };
  "account:deleted": { readonly jid: Jid };
  /** A user authenticated, or failed to (for logs and throttling). */
  "auth:success": { readonly jid: Jid; readonly ip: string; readonly mechanism: string };
  "auth:failure": { readonly username: string; readonly host: string; readonly ip: string; readonly mechanism: string };
}

export type HookName = keyof HookMap;
export type Hook<P> = (payload: P) => boolean | void;

interface Entry { fn: Hook<any>; priority: number }

export class HookBus {
  private readonly table = new Map<HookName, Entry[]>();
  constructor(private readonly log: Logger) {}

  /** Register; returns the function that removes this registration. */
  on<K extends HookName>(event: K, fn: Hook<HookMap[K]>, priority = 0): () => void {
    const list = this.table.get(event) ?? [];
    const entry: Entry = { fn, priority };
    // Stable: among equal priorities, earlier registrations run first.
    let i = list.length;
    while (i > 0 && list[i - 1]!.priority < priority) i--;
    const next = list.slice();
    next.splice(i, 0, entry);
    this.table.set(event, next);
    return () => {
      const cur = this.table.get(event);
      if (cur) this.table.set(event, cur.filter((e) => e !== entry));
    };
  }

  has(event: HookName): boolean {
    return (this.table.get(event)?.length ?? 0) > 0;
  }

  /** Run handlers in order until one returns true. A throwing handler is logged and skipped. */
  fire<K extends HookName>(event: K, payload: HookMap[K]): boolean {
    const list = this.table.get(event);
    if (!list) return false;
    for (let i = 0; i < list.length; i++) {
      try {
        if (list[i]!.fn(payload) === true) return true;
      } catch (err) {
        this.log.error("hook handler threw", { event, err });
      }
    }
    return false;
  }
}
