/** What the router and modules see of a session: the core's c2s, s2s streams, and external components. */
import type { Element } from "ltx";
import type { BareJid, FullJid } from "../jid.js";
import type { Logger } from "../log.js";
import type { StreamErrorCondition } from "../stream/errors.js";

export interface SessionBase {
  readonly id: string;
  readonly log: Logger;
  /** Remote address of the connection, for throttling and logs. */
  readonly ip: string;
  readonly secure: boolean;
  /** Serialise once and write; goes through the `stanza:out` hook. */
  send(stanza: Element): void;
  /**
   * Write `serialized`, which must be exactly `stanza.toString()`: for senders that deliver one stanza to many
   * sessions (group chat fan-out) and serialise it once, splicing each recipient's address in. `stanza:out`
   * sees `stanza`. Sessions that cannot write bytes as they are leave it out; callers then use `send`.
   */
  sendSerialized?(stanza: Element, serialized: string): void;
  /** Close the stream, with a stream error when given (RFC 6120 §4.9). */
  close(error?: StreamErrorCondition, text?: string): void;
}

/** A client session after resource binding: the only kind the session registry holds. */
export interface ClientSession extends SessionBase {
  readonly kind: "c2s";
  readonly jid: FullJid;
  readonly bare: BareJid;
  readonly host: string;
  /** The last available presence the client broadcast (null before initial presence or after unavailable). */
  presence: Element | null;
  /** Priority of that presence (RFC 6121 §4.7.2.3); 0 before initial presence. */
  priority: number;
  /** Per-session data modules keep, namespaced by module id (e.g. carbons enabled, csi state). */
  readonly data: Map<string, unknown>;
}

/**
 * A server-to-server stream (RFC 6120 §4-§6, XEP-0220, XEP-0288): the origin of stanzas a remote server sent.
 * One stream may carry several authenticated domain pairs (dialback multiplexing, XEP-0220 §4); replies sent
 * through `send` go back to the remote domain, over this stream or another one to the same domain.
 */
export interface ServerSession extends SessionBase {
  readonly kind: "s2s";
  /** Which side opened the TCP connection. */
  readonly direction: "in" | "out";
  /** Remote domains authenticated on this stream (the peer may send as these). */
  readonly remoteDomains: ReadonlySet<string>;
  /** How the peer authenticated: "EXTERNAL" (XEP-0178) or "dialback" (XEP-0220), per remote domain. */
  mechanism(remote: string): "EXTERNAL" | "dialback" | undefined;
}

/** An external component (XEP-0114) after its handshake: it serves one domain, and sends as it. */
export interface ComponentSession extends SessionBase {
  readonly kind: "component";
  /** The component's domain (e.g. "bot.example.org"). */
  readonly domain: string;
}

export type Session = ClientSession | ServerSession | ComponentSession;
