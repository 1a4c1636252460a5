/**
 * What a module that manages a client's stream sees of a bound c2s session, beyond the ClientSession every module
 * sees: its output, and its life apart from any one connection. Stream management (acknowledgements; keeping a
 * session whose connection was lost and resuming it on a new stream) and output buffering (client state indication)
 * are built on it; the core knows neither.
 *
 * The life of a session:
 * - bound: a stream carries it (`attached`);
 * - detached: its connection ended without the client closing the stream and a `session:interrupted` handler kept
 *   it. It stays registered, with its presence; what is sent to it fires `stanza:out` and reaches no connection;
 * - adopted: a new stream, authenticated as the same account, takes it over (`StreamContext.adopt`); a previous
 *   stream still open is closed with <conflict/> and the session goes on;
 * - ended: `session.close()` (detached or not), a clean close by the client, or a stream error; it leaves the
 *   registry and `session:closed` fires, once.
 *
 * One object per session, the same across every stream the session is attached to: StreamContext.control.
 */
import type { Element } from "ltx";
import type { ClientSession } from "./types.js";

export interface SessionControl {
  readonly session: ClientSession;
  /** Whether a stream carries the session now. */
  readonly attached: boolean;
  /** Whether the session has ended (`session:closed` fired). */
  readonly ended: boolean;
  /**
   * Write a stanza a `stanza:hold` handler held back: `stanza:out` fires, then `serialized` (exactly
   * `stanza.toString()`) goes to the attached stream. While detached only the hook fires.
   */
  write(stanza: Element, serialized: string): void;
  /**
   * Write bytes as they are to the attached stream, with no hook: nonzas, and stanzas written before (retransmission).
   * Dropped while detached.
   */
  writeRaw(data: string): void;
}
