/**
 * Moves archive text from archive_fts_pending into the FTS5 index in batches. The text is committed with its item
 * (so nothing is lost on a crash: leftovers are indexed at the next open); only the index update is deferred, since
 * FTS5 writes a whole index segment per transaction. Full-text queries call `flush()` first, so they never miss an
 * item: the deferral is invisible to callers.
 *
 * In the background, text is moved at most SLICE_ROWS items per transaction, one slice per event-loop turn:
 * indexing costs about 5 µs per item, and moving 200 ms of a busy server's text at once held the event loop for up
 * to 17 ms.
 */
import type Database from "better-sqlite3";
import { createLogger } from "../../log.js";
import type { Statements } from "./statements.js";

const log = createLogger({ component: "storage/sqlite" });

/** The last seq of the next slice of at most ? items. */
const SLICE_END = "SELECT max(seq) FROM (SELECT seq FROM archive_fts_pending ORDER BY seq LIMIT ?)";
/** Items up to a seq, with the scope token (fts-query.ts) of their archive. */
const MOVE =
  "INSERT INTO archive_fts (rowid, text, scope) " +
  "SELECT p.seq, p.text, s.scope FROM archive_fts_pending p JOIN archive a ON a.seq = p.seq JOIN archives s ON s.id = a.archive_id " +
  "WHERE p.seq <= ? ORDER BY p.seq";
const CLEAR = "DELETE FROM archive_fts_pending WHERE seq <= ?";

/** How long appended text may wait for the index when no full-text query asks for it. */
const FLUSH_DELAY_MS = 200;
/** Items per background transaction (about 1.3 ms of work). */
const SLICE_ROWS = 256;

export class FulltextIndexer {
  /** Moves at most `rows` items; true if some are left. */
  readonly #move: (rows: number) => boolean;
  #timer: NodeJS.Timeout | undefined;
  /** Whether this connection may have left text unindexed (leftovers of other connections are flushed at open). */
  #pending = true;

  constructor(db: Database.Database, sql: Statements) {
    this.#move = db.transaction((rows: number): boolean => {
      const end = sql.get(SLICE_END).pluck().get(rows) as number | null;
      if (end === null) return false;
      sql.get(MOVE).run(end);
      return sql.get(CLEAR).run(end).changes === rows;
    });
  }

  /** Text was appended to archive_fts_pending: index it soon. */
  added(): void {
    this.#pending = true;
    this.#schedule(FLUSH_DELAY_MS);
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#flushSlice(), ms);
    this.#timer.unref();
  }

  #flushSlice(): void {
    this.#timer = undefined;
    try {
      if (this.#move(SLICE_ROWS)) this.#schedule(0);
      else this.#pending = false;
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
    while (this.#move(4096));
    this.#pending = false;
  }
}
