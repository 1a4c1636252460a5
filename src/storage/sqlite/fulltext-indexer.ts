/**
 * Moves archive text from archive_fts_pending into the FTS5 index in batches. The text is committed with its item
 * (so nothing is lost on a crash: leftovers are indexed at the next open); only the index update is deferred, since
 * FTS5 writes a whole index segment per transaction. Full-text queries call `flush()` first, so they never miss an
 * item: the deferral is invisible to callers.
 */
import type Database from "better-sqlite3";
import { createLogger } from "../../log.js";
import type { Statements } from "./statements.js";

const log = createLogger({ component: "storage/sqlite" });

/** The scope token (fts-query.ts) is the item's archive's. */
const MOVE =
  "INSERT INTO archive_fts (rowid, text, scope) " +
  "SELECT p.seq, p.text, s.scope FROM archive_fts_pending p JOIN archive a ON a.seq = p.seq JOIN archives s ON s.id = a.archive_id " +
  "ORDER BY p.seq";
const CLEAR = "DELETE FROM archive_fts_pending";

/** How long appended text may wait for the index when no full-text query asks for it. */
const FLUSH_DELAY_MS = 200;

export class FulltextIndexer {
  readonly #flush: () => void;
  #timer: NodeJS.Timeout | undefined;
  /** Whether this connection may have left text unindexed (leftovers of other connections are flushed at open). */
  #pending = true;

  constructor(db: Database.Database, sql: Statements) {
    this.#flush = db.transaction(() => {
      sql.get(MOVE).run();
      sql.get(CLEAR).run();
    });
  }

  /** Text was appended to archive_fts_pending: index it soon. */
  added(): void {
    this.#pending = true;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#flushLater(), FLUSH_DELAY_MS);
      this.#timer.unref();
    }
  }

  #flushLater(): void {
    this.#timer = undefined;
    try {
      this.flush();
    } catch (err) {
      // e.g. another process held the write lock past busy_timeout: the text is safe in the table, try again.
      log.warn("full-text indexing failed, will retry", { err });
      this.added();
    }
  }

  /** Index all pending text now (synchronously). Also called before closing the database. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (!this.#pending) return;
    this.#flush();
    this.#pending = false;
  }
}
