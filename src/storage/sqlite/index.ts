/**
 * The SQLite storage driver (the zero-setup default): one database file, better-sqlite3, WAL journal.
 * Every call runs synchronously inside its promise, so a resolved write is committed: with `synchronous = NORMAL`
 * (the default) it survives a crash of the process; with `FULL` also a power loss or an OS crash.
 */
import Database from "better-sqlite3";
import { ArchiveIdCipher } from "../archive-id.js";
import { byName } from "../shared.js";
import type { ArchiveStore, KeyValStore, MapStore, Storage } from "../types.js";
import { SqliteAccountStore } from "./accounts.js";
import { SqliteArchiveStore } from "./archive.js";
import { ArchiveNames } from "./archive-names.js";
import { BackgroundCheckpointer } from "./checkpointer.js";
import { FulltextIndexer } from "./fulltext-indexer.js";
import { SqliteKeyValStore } from "./keyval.js";
import { SqliteMapStore } from "./map.js";
import { migrate } from "./migrations.js";
import { Statements } from "./statements.js";

export { MIGRATIONS, SchemaTooNewError, migrate, schemaVersion, type Migration } from "./migrations.js";

export interface SqliteOptions {
  /** Default "NORMAL": WAL commits without an fsync each (checkpoints fsync). "FULL": fsync at every commit. */
  synchronous?: "NORMAL" | "FULL";
  /** How long a statement waits for another process's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Page cache of the connection, in MiB. Default 32 (SQLite's own default is 2). */
  cacheMiB?: number;
  /**
   * Called with every statement run, parameters inlined (for debugging and query-plan checks). The text includes
   * stored values, so message bodies: never log it at info level.
   */
  trace?: (sql: string) => void;
  /**
   * Copy the WAL back into the database mostly on a worker thread (checkpointer.ts), so that commits seldom stall
   * the event loop; for the server. Ignored for ":memory:". Default false.
   */
  backgroundCheckpoints?: boolean;
}

/**
 * Open (creating if needed) and migrate a database. `file` may be ":memory:" (tests).
 * Throws, naming the file, when it cannot be opened, when this SQLite lacks FTS5, or with SchemaTooNewError.
 */
export function openSqliteStorage(file: string, options: SqliteOptions = {}): Storage {
  let db: Database.Database;
  try {
    db = new Database(file, options.trace ? { verbose: (sql) => options.trace?.(String(sql)) } : {});
  } catch (err) {
    throw new Error(`cannot open database ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    if (db.prepare("SELECT sqlite_compileoption_used('ENABLE_FTS5')").pluck().get() !== 1) {
      throw new Error(`cannot open database ${file}: this build of SQLite has no FTS5 (full-text search)`);
    }
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal" && file !== ":memory:" && file !== "") {
      throw new Error(`cannot open database ${file}: the WAL journal mode is not available there (got ${mode})`);
    }
    db.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.pragma(`cache_size = ${-1024 * Math.max(1, Math.trunc(options.cacheMiB ?? 32))}`);
    db.pragma("foreign_keys = ON");
    // Checkpoints copy every page written since the last one back into the database file: fewer, larger ones copy
    // a page rewritten many times (an archive owner's index leaf) once. About 16 MiB of WAL between checkpoints
    // measured ~10 % less CPU per archived message than SQLite's default of 4 MiB; the file is cut back after each.
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    migrate(db);
    const onDisk = file !== ":memory:" && file !== "";
    return new SqliteStorage(db, options.backgroundCheckpoints && onDisk ? new BackgroundCheckpointer(db) : undefined);
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Pages written to the WAL between automatic checkpoints (SQLite's default: 1000). */
const WAL_CHECKPOINT_PAGES = 4000;

class SqliteStorage implements Storage {
  readonly accounts: SqliteAccountStore;
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #indexer: FulltextIndexer;
  readonly #ids: ArchiveIdCipher;
  readonly #names: ArchiveNames;
  readonly #keyvals = new Map<string, KeyValStore>();
  readonly #maps = new Map<string, MapStore>();
  readonly #archives = new Map<string, ArchiveStore>();

  constructor(db: Database.Database, private readonly checkpointer?: BackgroundCheckpointer) {
    this.#db = db;
    this.#sql = new Statements(db);
    this.accounts = new SqliteAccountStore(this.#sql);
    this.#indexer = new FulltextIndexer(db, this.#sql);
    this.#names = new ArchiveNames(this.#sql);
    this.#indexer.flush(); // text a previous run committed but did not index
    this.#ids = new ArchiveIdCipher(db.prepare("SELECT value FROM archive_meta WHERE name = 'id-key'").pluck().get() as Buffer);
  }

  keyval(name: string): KeyValStore {
    return byName(this.#keyvals, name, () => new SqliteKeyValStore(this.#sql, name));
  }

  map(name: string): MapStore {
    return byName(this.#maps, name, () => new SqliteMapStore(this.#sql, name));
  }

  archive(name: string): ArchiveStore {
    return byName(this.#archives, name, () => new SqliteArchiveStore(this.#db, this.#sql, this.#indexer, this.#ids, this.#names, name));
  }

  newArchiveId(): string {
    return this.#ids.next();
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    try {
      this.#indexer.flush();
    } finally {
      await this.checkpointer?.stop();
      this.#db.close();
    }
  }
}
