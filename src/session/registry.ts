/**
 * The local session registry: bound client sessions by full JID, and the resources of each account.
 * Single-node today; a clustered registry (Redis) implements the same interface later.
 */
import type { ClientSession } from "./types.js";
import type { SessionView } from "../modules.js";

const NONE: readonly ClientSession[] = Object.freeze([]);

export class SessionRegistry implements SessionView {
  private readonly byFull = new Map<string, ClientSession>();
  private readonly byBare = new Map<string, readonly ClientSession[]>();

  get(fullJid: string): ClientSession | undefined {
    return this.byFull.get(fullJid);
  }

  resources(bareJid: string): readonly ClientSession[] {
    return this.byBare.get(bareJid) ?? NONE;
  }

  count(): number {
    return this.byFull.size;
  }

  all(): IterableIterator<ClientSession> {
    return this.byFull.values();
  }

  /** Add a session; returns the session it displaces (same full JID), which the caller must close. */
  add(session: ClientSession): ClientSession | undefined {
    const old = this.byFull.get(session.jid.full);
    if (old) this.remove(old);
    this.byFull.set(session.jid.full, session);
    // Arrays are replaced, never mutated, so a caller iterating resources() is never disturbed.
    this.byBare.set(session.bare.full, [...this.resources(session.bare.full), session]);
    return old;
  }

  /** Remove a session if it is the one registered under its JID. */
  remove(session: ClientSession): boolean {
    if (this.byFull.get(session.jid.full) !== session) return false;
    this.byFull.delete(session.jid.full);
    const rest = this.resources(session.bare.full).filter((s) => s !== session);
    if (rest.length) this.byBare.set(session.bare.full, rest);
    else this.byBare.delete(session.bare.full);
    return true;
  }
}
