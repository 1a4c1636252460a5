/**
 * Numbers for the names the archive table refers to (migration 3): each archive (a store's owner) and each
 * correspondent JID has a row of its own, and items hold the numbers. Lookups go through a bounded in-memory cache,
 * since every appended item needs two of them.
 *
 * Numbers made inside a write transaction are cached at once (later items of the batch need them) and forgotten
 * again if that transaction rolls back (`rolledBack`): a cached number must always have its row.
 *
 * The cache assumes this connection is the only one that removes names (removals happen when an archive empties,
 * in `SqliteArchiveStore.#tidy`, which runs in the server process; command-line tools never write archives).
 */
import { scopeToken } from "./fts-query.js";
import type { Statements } from "./statements.js";

const ARCHIVE_ID = "SELECT id FROM archives WHERE store = ? AND owner = ?";
const ADD_ARCHIVE = "INSERT INTO archives (store, owner, scope) VALUES (?, ?, ?)";
const JID_ID = "SELECT id FROM archive_jids WHERE jid = ?";
const JID = "SELECT jid FROM archive_jids WHERE id = ?";
const ADD_JID = "INSERT INTO archive_jids (jid) VALUES (?)";
const DROP_ARCHIVE_IF_EMPTY =
  "DELETE FROM archives WHERE id = ? AND NOT EXISTS (SELECT 1 FROM archive_counts WHERE archive_id = ?)";
const DROP_JID_IF_UNUSED =
  "DELETE FROM archive_jids WHERE id = ? AND NOT EXISTS (SELECT 1 FROM archive_counts WHERE with_id = ?)";

/** Entries per generation: two generations of names at most (a few MiB), the most recently used ones. */
const GENERATION = 50_000;

/**
 * A map that keeps what was used in the last two generations: lookups move entries into the young one, and when it
 * is full the old one is dropped. Cheaper than an exact LRU and as good for this use (active senders stay).
 */
export class TwoGenerationCache<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();

  constructor(private readonly generation = GENERATION) {}

  get(key: K): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: K, value: V): void {
    if (this.#young.size >= this.generation) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }

  delete(key: K): void {
    this.#young.delete(key);
    this.#old.delete(key);
  }
}

export class ArchiveNames {
  readonly #archives = new TwoGenerationCache<string, number>();
  readonly #jids = new TwoGenerationCache<string, number>();
  readonly #jidNames = new TwoGenerationCache<number, string>();
  /** Archives (cache keys) and correspondents made by the write transaction under way. */
  #madeArchives: string[] = [];
  #madeJids: string[] = [];

  constructor(private readonly sql: Statements) {}

  /** The number of `store`'s archive of `owner`; undefined when it holds nothing. */
  archive(store: string, owner: string): number | undefined {
    const key = `${store}\n${owner}`;
    let id = this.#archives.get(key);
    if (id === undefined) {
      id = this.sql.get(ARCHIVE_ID).pluck().get(store, owner) as number | undefined;
      if (id !== undefined) this.#archives.set(key, id);
    }
    return id;
  }

  /** Like `archive`, making the archive when it does not exist (inside the caller's write transaction). */
  archiveForWrite(store: string, owner: string): number {
    const id = this.archive(store, owner);
    if (id !== undefined) return id;
    const made = Number(this.sql.get(ADD_ARCHIVE).run(store, owner, scopeToken(store, owner)).lastInsertRowid);
    this.#archives.set(`${store}\n${owner}`, made);
    this.#madeArchives.push(`${store}\n${owner}`);
    return made;
  }

  /** The number of a correspondent; undefined when no item names it. */
  jid(jid: string): number | undefined {
    let id = this.#jids.get(jid);
    if (id === undefined) {
      id = this.sql.get(JID_ID).pluck().get(jid) as number | undefined;
      if (id !== undefined) this.#jids.set(jid, id);
    }
    return id;
  }

  /** Like `jid`, adding the correspondent when it is new (inside the caller's write transaction). */
  jidForWrite(jid: string): number {
    const id = this.jid(jid);
    if (id !== undefined) return id;
    const made = Number(this.sql.get(ADD_JID).run(jid).lastInsertRowid);
    this.#jids.set(jid, made);
    this.#madeJids.push(jid);
    return made;
  }

  /** The correspondent a number stands for ("" if it is gone: only possible if another connection removed it). */
  jidName(id: number): string {
    let jid = this.#jidNames.get(id);
    if (jid === undefined) {
      jid = this.sql.get(JID).pluck().get(id) as string | undefined;
      if (jid === undefined) return "";
      this.#jidNames.set(id, jid);
    }
    return jid;
  }

  /** The write transaction that made numbers committed: they stay. */
  committed(): void {
    this.#madeArchives = [];
    this.#madeJids = [];
  }

  /** The write transaction rolled back: the numbers it made are gone with their rows. */
  rolledBack(): void {
    for (const key of this.#madeArchives) this.#archives.delete(key);
    for (const jid of this.#madeJids) this.#jids.delete(jid);
    this.committed();
  }

  /** After a delete: forget the archive when it holds nothing more, and correspondents nobody refers to. */
  dropUnused(store: string, owner: string, archive: number, jids: readonly number[]): void {
    if (this.sql.get(DROP_ARCHIVE_IF_EMPTY).run(archive, archive).changes > 0) this.#archives.delete(`${store}\n${owner}`);
    for (const id of jids) {
      const jid = this.jidName(id);
      if (this.sql.get(DROP_JID_IF_UNUSED).run(id, id).changes === 0) continue;
      this.#jidNames.delete(id);
      this.#jids.delete(jid);
    }
  }
}
