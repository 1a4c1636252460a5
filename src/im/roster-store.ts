/**
 * Rosters (RFC 6121 §2) on the storage layer: one map per account, contact bare JID -> item, with tombstones
 * for removed items and a version state for roster versioning (§2.6, see roster-versioning.ts); and the
 * inbound subscription requests waiting for the user's answer (§3.1.3 rule 4), kept apart because they are
 * not roster items (Appendix A.1 state 3: the server MUST NOT add an item before the user approves).
 *
 * Keys are prepared bare JIDs, so lookups are exact. Writers must serialise changes per owner (the IM core
 * runs them through a KeyedQueue); the store itself does read-modify-write without locking.
 */
import { randomBytes } from "node:crypto";
import type { RosterApi, Subscription } from "../modules.js";
import type { Json, KeyValStore, MapStore, Storage } from "../storage/types.js";
import { formatVersion, INITIAL_VERSION, type VersionState } from "./roster-versioning.js";

export interface RosterItem {
  jid: string;
  name?: string;
  subscription: Subscription;
  ask?: "subscribe";
  approved?: boolean;
  groups: string[];
  /** The roster version at which this item last changed (§2.6.3 interim pushes). */
  ver: number;
}

/** What a removed item leaves behind, so roster versioning can report the removal (§2.6.3). */
export interface RosterTombstone { jid: string; subscription: "remove"; ver: number }
export type RosterEntry = RosterItem | RosterTombstone;

/** An inbound subscription request kept until the user answers it (§3.1.3 rule 4). */
export interface PendingRequest { contact: string; stanza: string; at: number }

/** Storage names: the core's own, prefixed like module stores so they never collide. */
export const ROSTER_STORE = "core/roster";
export const ROSTER_VERSION_STORE = "core/roster-version";
export const ROSTER_PENDING_STORE = "core/roster-pending";

/** Tombstones kept per roster before the oldest are pruned (pruning keeps half). */
export const MAX_TOMBSTONES = 256;

interface StoredState extends VersionState { items: number; tombstones: number }

const EMPTY_STATE: StoredState = { ...INITIAL_VERSION, items: 0, tombstones: 0 };

function toEntry(v: Json | undefined): RosterEntry | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  return v as unknown as RosterEntry;
}

function toItem(v: Json | undefined): RosterItem | undefined {
  const e = toEntry(v);
  return e && e.subscription !== "remove" ? e : undefined;
}

function toState(v: Json | undefined): StoredState {
  if (!v || typeof v !== "object" || Array.isArray(v)) return EMPTY_STATE;
  const s = v as Record<string, Json>;
  const num = (k: string) => (typeof s[k] === "number" ? (s[k] as number) : 0);
  return { epoch: typeof s.epoch === "string" ? s.epoch : "", ver: num("ver"), floor: num("floor"), items: num("items"), tombstones: num("tombstones") };
}

export class RosterStore implements RosterApi {
  private readonly map: MapStore;
  private readonly versions: KeyValStore;
  private readonly pending: MapStore;

  constructor(storage: Pick<Storage, "map" | "keyval">) {
    this.map = storage.map(ROSTER_STORE);
    this.versions = storage.keyval(ROSTER_VERSION_STORE);
    this.pending = storage.map(ROSTER_PENDING_STORE);
  }

  async items(owner: string): Promise<RosterItem[]> {
    const out: RosterItem[] = [];
    for (const v of (await this.map.all(owner)).values()) {
      const item = toItem(v);
      if (item) out.push(item);
    }
    return out;
  }

  async item(owner: string, contact: string): Promise<RosterItem | undefined> {
    return toItem(await this.map.get(owner, contact));
  }

  async isSubscriber(owner: string, contact: string): Promise<boolean> {
    const s = (await this.item(owner, contact))?.subscription;
    return s === "from" || s === "both";
  }

  /** The version state and item count of a roster. */
  async state(owner: string): Promise<StoredState> {
    return toState(await this.versions.get(owner));
  }

  /** The version string of a stored item or of the roster. */
  static versionString(state: VersionState, ver = state.ver): string {
    return formatVersion(state.epoch, ver);
  }

  private async bump(owner: string, change: (s: StoredState) => Partial<StoredState>): Promise<StoredState> {
    const cur = await this.state(owner);
    const next: StoredState = { ...cur, ...change(cur), epoch: cur.epoch || randomBytes(5).toString("hex"), ver: cur.ver + 1 };
    await this.versions.set(owner, next as unknown as Json);
    return next;
  }

  /** Store an item at a new version; returns it with the version string to push. */
  async put(owner: string, item: Omit<RosterItem, "ver">): Promise<{ item: RosterItem; version: string }> {
    const prev = toEntry(await this.map.get(owner, item.jid));
    const isNew = !prev || prev.subscription === "remove";
    const state = await this.bump(owner, (s) => ({
      items: s.items + (isNew ? 1 : 0),
      tombstones: s.tombstones - (prev?.subscription === "remove" ? 1 : 0),
    }));
    const stored: RosterItem = { ...item, ver: state.ver };
    if (stored.name === undefined) delete stored.name;
    if (!stored.ask) delete stored.ask;
    if (!stored.approved) delete stored.approved;
    await this.map.set(owner, item.jid, stored as unknown as Json);
    return { item: stored, version: RosterStore.versionString(state) };
  }

  /**
   * Remove an item, remembered as a tombstone at its version so a client asking for changes since an older
   * version learns of it (§2.6.3). Returns the version string to push, or null when there was no such item.
   */
  async remove(owner: string, contact: string): Promise<string | null> {
    if (!(await this.item(owner, contact))) return null;
    const state = await this.bump(owner, (s) => ({ items: Math.max(0, s.items - 1), tombstones: s.tombstones + 1 }));
    const tombstone: RosterTombstone = { jid: contact, subscription: "remove", ver: state.ver };
    await this.map.set(owner, contact, tombstone as unknown as Json);
    if (state.tombstones > MAX_TOMBSTONES) await this.prune(owner);
    return RosterStore.versionString(state);
  }

  /** Drop the oldest tombstones; versions older than the newest dropped one can then only get the full roster. */
  private async prune(owner: string): Promise<void> {
    const all = [...(await this.map.all(owner)).values()].map(toEntry).filter((e): e is RosterEntry => e !== undefined);
    const tombstones = all.filter((e) => e.subscription === "remove").sort((a, b) => a.ver - b.ver);
    const drop = tombstones.slice(0, tombstones.length - MAX_TOMBSTONES / 2);
    for (const t of drop) await this.map.delete(owner, t.jid);
    const cur = await this.state(owner);
    const floor = Math.max(cur.floor, ...drop.map((t) => t.ver));
    // Recount while everything is at hand, so the counters heal if a crash ever left them off.
    const next: StoredState = { ...cur, floor, items: all.length - tombstones.length, tombstones: tombstones.length - drop.length };
    await this.versions.set(owner, next as unknown as Json);
  }

  /** Entries changed after version `since`, tombstones included, oldest change first. */
  async changesSince(owner: string, since: number): Promise<RosterEntry[]> {
    const out: RosterEntry[] = [];
    for (const v of (await this.map.all(owner)).values()) {
      const e = toEntry(v);
      if (e && e.ver > since) out.push(e);
    }
    return out.sort((a, b) => a.ver - b.ver);
  }

  /** Remove an account's whole roster and pending requests (account deletion). */
  async clear(owner: string): Promise<void> {
    await this.map.clear(owner);
    await this.pending.clear(owner);
    await this.versions.delete(owner);
  }

  // ---- inbound subscription requests (§3.1.3) ----

  async pendingRequest(owner: string, contact: string): Promise<PendingRequest | undefined> {
    const v = await this.pending.get(owner, contact);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as unknown as PendingRequest) : undefined;
  }

  async pendingRequests(owner: string): Promise<PendingRequest[]> {
    return [...(await this.pending.all(owner)).values()].map((v) => v as unknown as PendingRequest).sort((a, b) => a.at - b.at);
  }

  async addPendingRequest(owner: string, request: PendingRequest): Promise<void> {
    await this.pending.set(owner, request.contact, request as unknown as Json);
  }

  async removePendingRequest(owner: string, contact: string): Promise<void> {
    await this.pending.delete(owner, contact);
  }
}

/** The view modules get: live items only, read-only. */
export function rosterView(store: RosterStore): RosterApi {
  return {
    items: (owner) => store.items(owner),
    item: (owner, contact) => store.item(owner, contact),
    isSubscriber: (owner, contact) => store.isSubscriber(owner, contact),
  };
}
