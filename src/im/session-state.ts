/**
 * What the IM core remembers about each bound client session, kept in the session's `data` under "im":
 * whether it asked for the roster (an "interested resource", RFC 6121 §2.2), when it sent its current
 * presence (the XEP-0203 stamp of probe answers, §4.3.2), and to whom it sent directed presence (§4.6).
 */
import type { ClientSession } from "../session/types.js";

export interface ImSessionState {
  interested: boolean;
  /** When the presence in `session.presence` was received (ms since the epoch). */
  presenceAt: number;
  /** JIDs (as written, bare or full) that got available directed presence and no unavailable since (§4.6.3). */
  readonly directed: Set<string>;
}

const KEY = "im";

export function imState(session: ClientSession): ImSessionState {
  let s = session.data.get(KEY) as ImSessionState | undefined;
  if (!s) {
    s = { interested: false, presenceAt: 0, directed: new Set() };
    session.data.set(KEY, s);
  }
  return s;
}

/** The state if the IM core has any for this session (without creating it). */
export const peekImState = (session: ClientSession): ImSessionState | undefined => session.data.get(KEY) as ImSessionState | undefined;

/** Whether the session asked for the roster (§2.2): roster pushes go to these. */
export const isInterested = (session: ClientSession): boolean => peekImState(session)?.interested === true;
