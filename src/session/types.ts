/** What the router and modules see of a session: the core's c2s, and later s2s and component sessions. */
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

export type Session = ClientSession;
