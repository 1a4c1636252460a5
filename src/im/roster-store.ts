/**
 * Rosters (RFC 6121 §2) on the storage layer: one map per account, contact bare JID -> item, plus a version
 * counter for roster versioning (§2.6). Item keys are prepared bare JIDs, so lookups are exact.
 */
import type { RosterApi, RosterItemView, Subscription } from "../modules.js";
import type { Json, KeyValStore, MapStore } from "../storage/types.js";

export interface RosterItem {
  jid: string;
  name?: string;
  subscription: Subscription;
  ask?: "subscribe";
  approved?: boolean;
  groups: string[];
  /** The roster version at which this item last changed (§2.6.3 incremental pushes). */
  ver: number;
}

/** Storage names: the core's own, prefixed like module stores so they never collide. */
export const ROSTER_STORE = "core/roster";
export const ROSTER_VERSION_STORE = "core/roster-version";

/** What a removed item leaves behind, so roster versioning can report the removal (§2.6.3). */
export interface RosterTombstone { jid: string; subscription: "remove"; ver: number }
export type RosterEntry = RosterItem | RosterTombstone;

function toEntry(v: Json | undefined): RosterEntry | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  return v as unknown as RosterEntry;
}

function toItem(v: Json | undefined): RosterItem | undefined {
  const e = toEntry(v);
  return e && e.subscription !== "remove" ? e : undefined;
}

export class RosterStore implements RosterApi {
  constructor(private readonly map: MapStore, private readonly versions: KeyValStore) {}

  async items(owner: string): Promise<RosterItem[]> {
    const all = await this.map.all(owner);
    const out: RosterItem[] = [];
    for (const v of all.values()) {
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

  /** The current roster version of an account (0 for an account that never had a roster change). */
  async version(owner: string): Promise<number> {
    const v = await this.versions.get(owner);
    return typeof v === "number" ? v : 0;
  }

  private async bump(owner: string): Promise<number> {
    const next = (await this.version(owner)) + 1;
    await this.versions.set(owner, next);
    return next;
  }

  /** Store an item (new version stamped); returns the stored item. */
  async put(owner: string, item: Omit<RosterItem, "ver">): Promise<RosterItem> {
    const stored: RosterItem = { ...item, ver: await this.bump(owner) };
    await this.map.set(owner, item.jid, stored as unknown as Json);
    return stored;
  }

  /**
   * Remove an item. The removal is remembered as a tombstone (subscription "remove") at its version, so a
   * client asking for changes since an older version learns of it (§2.6.3).
   */
  async remove(owner: string, contact: string): Promise<number> {
    const ver = await this.bump(owner);
    const tombstone: RosterTombstone = { jid: contact, subscription: "remove", ver };
    await this.map.set(owner, contact, tombstone as unknown as Json);
    return ver;
  }

  /** Remove an account's whole roster (account deletion). */
  async clear(owner: string): Promise<void> {
    await this.map.clear(owner);
    await this.versions.delete(owner);
  }

  /** Items changed after version `since`, tombstones included, oldest change first. */
  async changesSince(owner: string, since: number): Promise<RosterEntry[]> {
    const out: RosterEntry[] = [];
    for (const v of (await this.map.all(owner)).values()) {
      const e = toEntry(v);
      if (e && e.ver > since) out.push(e);
    }
    return out.sort((a, b) => a.ver - b.ver);
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
