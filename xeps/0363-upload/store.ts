/**
 * Where uploaded files live: the bytes in `<root>/files/<id>` (ids are random and checked, so no request ever
 * names a path), uploads in progress in `<root>/partial/<id>` until complete, and in the database each file's
 * metadata (map `files`, owner "*": ids are unique across hosts), each user's usage (map `usage`, per bare JID,
 * for the quota) and an expiry log (archive `expiry`, owner "*", one item per file that expires, `when` = the time
 * it expires) that cleanup walks in order.
 */
import { promises as fs } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../src/log.js";
import type { ArchiveStore, Json, MapStore } from "../../src/storage/types.js";

export interface FileMeta {
  /** The uploader's bare JID. */
  owner: string;
  name: string;
  size: number;
  type: string;
  /** ms since the epoch. */
  created: number;
  /** ms since the epoch after which it is no longer served; null: kept until removed. */
  expires: number | null;
}

/** File ids: 32 base64url characters (24 random bytes). */
export const ID = /^[A-Za-z0-9_-]{32}$/;
const ALL = "*";
const PAGE = 200;

function isMeta(v: Json | undefined): v is Json & FileMeta {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  return typeof v.owner === "string" && typeof v.name === "string" && typeof v.size === "number" && typeof v.type === "string";
}

export interface Usage {
  bytes: number;
  /** When the user's earliest file expires (ms), or null. */
  nextExpiry: number | null;
}

export class FileStore {
  constructor(
    readonly root: string,
    private readonly files: MapStore,
    private readonly usage: MapStore,
    private readonly expiry: ArchiveStore,
    private readonly log: Logger,
  ) {}

  /** Create the directories; uploads interrupted by a stop are gone (their partial files are removed). */
  async init(): Promise<void> {
    await fs.mkdir(join(this.root, "files"), { recursive: true });
    await fs.rm(join(this.root, "partial"), { recursive: true, force: true });
    await fs.mkdir(join(this.root, "partial"), { recursive: true });
  }

  path(id: string): string {
    if (!ID.test(id)) throw new Error(`not a file id: ${id}`);
    return join(this.root, "files", id);
  }

  partialPath(id: string): string {
    if (!ID.test(id)) throw new Error(`not a file id: ${id}`);
    return join(this.root, "partial", id);
  }

  async get(id: string): Promise<FileMeta | undefined> {
    const v = await this.files.get(ALL, id);
    return isMeta(v) ? v : undefined;
  }

  async usageOf(user: string): Promise<Usage> {
    let bytes = 0;
    let nextExpiry: number | null = null;
    for (const v of (await this.usage.all(user)).values()) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) continue;
      if (typeof v.size === "number") bytes += v.size;
      if (typeof v.expires === "number" && (nextExpiry === null || v.expires < nextExpiry)) nextExpiry = v.expires;
    }
    return { bytes, nextExpiry };
  }

  /**
   * Make a completely received partial file available. The hard link fails when the file exists already, so a
   * slot is used at most once even if two uploads for it ran at the same time. False: it was used already.
   */
  async commit(id: string, meta: FileMeta): Promise<boolean> {
    const partial = this.partialPath(id);
    try {
      await fs.link(partial, this.path(id));
    } catch (err) {
      await fs.rm(partial, { force: true });
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw err;
    }
    await fs.rm(partial, { force: true });
    await this.files.set(ALL, id, { ...meta });
    await this.usage.set(meta.owner, id, { size: meta.size, expires: meta.expires });
    if (meta.expires !== null) await this.expiry.append(ALL, { when: meta.expires, with: meta.owner, value: id });
    return true;
  }

  /** Remove a file and what is known of it (the expiry log item goes with the next cleanup). */
  async remove(id: string, meta?: FileMeta): Promise<void> {
    const m = meta ?? (await this.get(id));
    await fs.rm(this.path(id), { force: true });
    await this.files.delete(ALL, id);
    if (m) await this.usage.delete(m.owner, id);
  }

  /** Remove every file that expired at `now`; returns how many. */
  async expire(now: number): Promise<number> {
    let removed = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.expiry.query(ALL, { end: now, after, limit: PAGE });
      if (!page.ok || page.items.length === 0) break;
      for (const item of page.items) {
        if (typeof item.value !== "string" || !ID.test(item.value)) continue;
        const meta = await this.get(item.value);
        // The file may be gone already (its owner's account was deleted).
        if (meta) { await this.remove(item.value, meta); removed++; }
      }
      if (page.complete) break;
      after = page.items[page.items.length - 1]!.id;
    }
    await this.expiry.delete(ALL, now + 1);
    if (removed > 0) this.log.info("expired uploaded files removed", { count: removed });
    return removed;
  }

  /** Remove every file of one user (account deleted). */
  async removeUser(user: string): Promise<void> {
    for (const id of (await this.usage.all(user)).keys()) if (ID.test(id)) await this.remove(id);
    await this.usage.clear(user);
  }
}
