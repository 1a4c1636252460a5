/**
 * ArchiveStore on SQLite: XEP-0313 (Message Archive Management) queries with XEP-0059 (Result Set Management) paging.
 *
 * Items are in archive order: insertion order, `seq`. Every query becomes a seq range plus filters, read in seq order:
 * - `after` / `before` ids are looked up once (unique index on (store, id)) and become `seq > x` / `seq < y`;
 *   `afterId` / `beforeId` likewise, but narrow the filters' range (so they count) rather than set the cursors;
 * - `start` / `end` become a seq range with one seek each on (store, owner, when_ms), exact while the owner's items
 *   were appended in timestamp order, widened by the owner's `disorder` and checked on when_ms otherwise
 *   (see archive_owners in migrations.ts);
 * - the page is read through (store, owner[, with_jid]), or driven by the full-text index for a `fulltext` filter,
 *   in seq order with LIMIT n + 1 (the extra row only says whether the page is complete): the last page, or the
 *   page before an id deep in the archive, is a seek plus n steps;
 * - `count` comes from the per-owner counters when at most `with` filters, from the full-text index alone for a
 *   plain search, else from one COUNT(*) over the filtered range (cost in proportion to the items in that range).
 */
import type Database from "better-sqlite3";
import { newArchiveId } from "../archive-id.js";
import type { ArchiveAppend, ArchiveAppendTo, ArchiveItem, ArchivePage, ArchiveQuery, ArchiveStore, Json } from "../types.js";
import type { FulltextIndexer } from "./fulltext-indexer.js";
import { matchExpression, scopeToken } from "./fts-query.js";
import type { Statements } from "./statements.js";

/**
 * Bulk deletes (delete, expire) run in slices of about this many milliseconds, letting the event loop run between
 * slices; the rows per statement adapt to how fast this database deletes (within DELETE_ROWS_MIN..MAX).
 */
const SLICE_MS = 10;
const DELETE_ROWS_MIN = 16;
const DELETE_ROWS_MAX = 4096;

const INSERT =
  "INSERT INTO archive (store, owner, id, when_ms, with_jid, value) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq";
const INSERT_TEXT = "INSERT INTO archive_fts_pending (seq, text, scope) VALUES (?, ?, ?)";
const SEQ_OF = "SELECT seq FROM archive WHERE store = ? AND id = ? AND owner = ?";
const REPLACE = "UPDATE archive SET value = ? WHERE store = ? AND id = ? AND owner = ? RETURNING seq";
const DROP_TEXT = "DELETE FROM archive_fts WHERE rowid = ?";
const DROP_PENDING_TEXT = "DELETE FROM archive_fts_pending WHERE seq = ?";
const DISORDER = "SELECT disorder FROM archive_owners WHERE store = ? AND owner = ?";
/** An item older than every match of `start`: all items before it in seq order are older than `start` too. */
const SEQ_BELOW =
  "SELECT seq FROM archive INDEXED BY archive_owner_when WHERE store = ? AND owner = ? AND when_ms < ? " +
  "ORDER BY when_ms DESC, seq DESC LIMIT 1";
/** An item newer than every match of `end`: all items after it in seq order are newer than `end` too. */
const SEQ_ABOVE =
  "SELECT seq FROM archive INDEXED BY archive_owner_when WHERE store = ? AND owner = ? AND when_ms > ? " +
  "ORDER BY when_ms, seq LIMIT 1";
const COUNT_OWNER = "SELECT coalesce(sum(n), 0) FROM archive_counts WHERE store = ? AND owner = ?";
const COUNT_WITH = "SELECT coalesce(sum(n), 0) FROM archive_counts WHERE store = ? AND owner = ? AND with_jid = ?";
const DELETE_OWNER =
  "DELETE FROM archive WHERE seq IN " +
  "(SELECT seq FROM archive INDEXED BY archive_owner WHERE store = ? AND owner = ? LIMIT ?)";
const DELETE_OWNER_BEFORE =
  "DELETE FROM archive WHERE seq IN " +
  "(SELECT seq FROM archive INDEXED BY archive_owner_when WHERE store = ? AND owner = ? AND when_ms < ? LIMIT ?)";
const OWNERS = "SELECT owner FROM archive_owners WHERE store = ?";
const DROP_EMPTY_COUNTS = "DELETE FROM archive_counts WHERE store = ? AND owner = ? AND n <= 0";
const DROP_OWNER_IF_EMPTY =
  "DELETE FROM archive_owners WHERE store = ? AND owner = ? " +
  "AND NOT EXISTS (SELECT 1 FROM archive_counts WHERE store = ? AND owner = ?)";

/** Full-text searches read archive rows in the index's rowid (= seq) order, so a page stops after n matches. */
const FULLTEXT_SOURCE = "archive_fts CROSS JOIN archive ON archive.seq = archive_fts.rowid";

interface ItemRow {
  id: string;
  when_ms: number;
  with_jid: string;
  value: string;
}

/** What a query's filters (paging aside) come to. */
interface Filters {
  with?: string;
  ids?: string;               // JSON array
  match?: string;             // FTS5 expression
  start?: number;             // to check on when_ms (only when the owner's disorder makes the seq range inexact)
  end?: number;
  lo?: number;                // exclusive seq bounds
  hi?: number;
}

/** A SELECT's FROM, order key and WHERE. */
interface Sql {
  from: string;
  key: string;
  where: string;
  params: unknown[];
}

const empty = (): ArchivePage => ({ ok: true, items: [], complete: true, count: 0 });
const notFound = (): ArchivePage => ({ ok: false, error: "item-not-found" });

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Paces a bulk delete: how many rows per statement, and when to let the event loop run. */
class Pacer {
  rows = 256;
  #sliceStart = performance.now();

  /** After a statement that took `ms`: adapt the row count, and yield once the slice is used up. */
  async step(ms: number): Promise<void> {
    if (ms > SLICE_MS) this.rows = Math.max(DELETE_ROWS_MIN, this.rows >> 1);
    else if (ms < SLICE_MS / 4) this.rows = Math.min(DELETE_ROWS_MAX, this.rows * 2);
    if (performance.now() - this.#sliceStart >= SLICE_MS) {
      await tick();
      this.#sliceStart = performance.now();
    }
  }
}

function toItem(row: ItemRow): ArchiveItem {
  return { id: row.id, when: row.when_ms, with: row.with_jid, value: JSON.parse(row.value) as Json };
}

export class SqliteArchiveStore implements ArchiveStore {
  readonly #appendWithText: (args: unknown[], text: string, scope: string) => void;
  readonly #appendAll: (items: readonly ArchiveAppendTo[]) => string[];
  readonly #replace: (owner: string, id: string, value: string, text: string | undefined) => boolean;

  constructor(
    db: Database.Database,
    private readonly sql: Statements,
    private readonly indexer: FulltextIndexer,
    private readonly store: string,
  ) {
    this.#appendWithText = db.transaction((args: unknown[], text: string, scope: string): void => {
      const seq = this.sql.get(INSERT).pluck().get(...args) as number;
      this.sql.get(INSERT_TEXT).run(seq, text, scope);
    });
    // One transaction for the batch, and none per item (nested ones would each cost a savepoint).
    this.#appendAll = db.transaction((items: readonly ArchiveAppendTo[]): string[] =>
      items.map(({ owner, item }) => this.#appendNow(owner, item, true)));
    this.#replace = db.transaction((owner: string, id: string, value: string, text: string | undefined): boolean => {
      const seq = this.sql.get(REPLACE).pluck().get(value, this.store, id, owner) as number | undefined;
      if (seq === undefined) return false;
      this.sql.get(DROP_TEXT).run(seq);
      this.sql.get(DROP_PENDING_TEXT).run(seq);
      if (text !== undefined && text !== "") this.sql.get(INSERT_TEXT).run(seq, text, scopeToken(this.store, owner));
      return true;
    });
  }

  async replace(owner: string, id: string, value: Json, text?: string): Promise<boolean> {
    const replaced = this.#replace(owner, id, JSON.stringify(value), text);
    if (replaced && text !== undefined && text !== "") this.indexer.added();
    return replaced;
  }

  async append(owner: string, item: ArchiveAppend): Promise<string> {
    return this.#appendNow(owner, item);
  }

  async appendMany(items: readonly ArchiveAppendTo[]): Promise<string[]> {
    return this.#appendAll(items);
  }

  /** One item, in a transaction of its own or, `inTransaction`, in the caller's (appendMany). */
  #appendNow(owner: string, item: ArchiveAppend, inTransaction = false): string {
    const id = item.id ?? newArchiveId();
    if (id === "") throw new Error(`archive ${this.store}: an item id must not be empty`);
    const when = item.when ?? Date.now();
    if (!Number.isFinite(when)) throw new RangeError(`archive ${this.store}: 'when' must be a finite number`);
    const args = [this.store, owner, id, when, item.with ?? "", JSON.stringify(item.value)];
    try {
      if (item.text !== undefined && item.text !== "") {
        if (inTransaction) {
          const seq = this.sql.get(INSERT).pluck().get(...args) as number;
          this.sql.get(INSERT_TEXT).run(seq, item.text, scopeToken(this.store, owner));
        } else {
          this.#appendWithText(args, item.text, scopeToken(this.store, owner));
        }
        this.indexer.added();
      } else {
        this.sql.get(INSERT).pluck().get(...args);
      }
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw new Error(`archive ${this.store}: item id ${JSON.stringify(id)} exists already`, { cause: err });
      }
      throw err;
    }
    return id;
  }

  async query(owner: string, q: ArchiveQuery): Promise<ArchivePage> {
    const { limit } = q;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new RangeError(`archive ${this.store}: limit must be a non-negative integer, got ${limit}`);
    }

    // RSM cursors first: an unknown id is an error even when the filters match nothing.
    let afterSeq: number | undefined;
    let beforeSeq: number | undefined;
    if (q.after !== undefined) {
      afterSeq = this.#seqOf(owner, q.after);
      if (afterSeq === undefined) return notFound();
    }
    if (q.before !== undefined && q.before !== "") {
      beforeSeq = this.#seqOf(owner, q.before);
      if (beforeSeq === undefined) return notFound();
    }

    // Bounds of the result set (after-id / before-id): they narrow the filters' seq range.
    let afterIdSeq: number | undefined;
    let beforeIdSeq: number | undefined;
    if (q.afterId !== undefined) {
      afterIdSeq = this.#seqOf(owner, q.afterId);
      if (afterIdSeq === undefined) return notFound();
    }
    if (q.beforeId !== undefined) {
      beforeIdSeq = this.#seqOf(owner, q.beforeId);
      if (beforeIdSeq === undefined) return notFound();
    }

    const filters = this.#filters(owner, q);
    if (filters === undefined) return empty();
    if (afterIdSeq !== undefined) filters.lo = Math.max(filters.lo ?? afterIdSeq, afterIdSeq);
    if (beforeIdSeq !== undefined) filters.hi = Math.min(filters.hi ?? beforeIdSeq, beforeIdSeq);

    const page = this.#sql(owner, filters, afterSeq, beforeSeq);
    const backward = q.before !== undefined;
    let sql =
      `SELECT id, when_ms, with_jid, value FROM ${page.from} WHERE ${page.where} ` +
      `ORDER BY ${page.key} ${backward ? "DESC" : "ASC"}`;
    if (limit !== undefined) {
      sql += " LIMIT ?";
      page.params.push(limit + 1);
    }
    const rows = this.sql.get(sql).all(...page.params) as ItemRow[];
    const complete = limit === undefined || rows.length <= limit;
    if (!complete) rows.length = limit;
    if (backward) rows.reverse();
    const items = rows.map(toItem);

    // When every matching item is on this page, there is nothing left to count.
    const count =
      complete && afterSeq === undefined && beforeSeq === undefined ? items.length : this.#count(owner, filters);
    return { ok: true, items, complete, count };
  }

  async delete(owner: string, before?: number): Promise<number> {
    const pacer = new Pacer();
    const removed =
      before === undefined
        ? await this.#deleteInSlices(DELETE_OWNER, [this.store, owner], pacer)
        : await this.#deleteInSlices(DELETE_OWNER_BEFORE, [this.store, owner, before], pacer);
    this.#tidy(owner);
    return removed;
  }

  async expire(before: number): Promise<number> {
    const owners = this.sql.get(OWNERS).pluck().all(this.store) as string[];
    const pacer = new Pacer();
    let removed = 0;
    for (const owner of owners) {
      const n = await this.#deleteInSlices(DELETE_OWNER_BEFORE, [this.store, owner, before], pacer);
      if (n > 0) this.#tidy(owner);
      removed += n;
    }
    return removed;
  }

  #seqOf(owner: string, id: string): number | undefined {
    return this.sql.get(SEQ_OF).pluck().get(this.store, id, owner) as number | undefined;
  }

  /** The filters of `q` in storage terms; undefined when no item can match. */
  #filters(owner: string, q: ArchiveQuery): Filters | undefined {
    const f: Filters = {};
    if (q.with !== undefined) f.with = q.with;
    if (q.ids !== undefined) {
      if (q.ids.length === 0) return undefined;
      f.ids = JSON.stringify(q.ids);
    }
    if (q.fulltext !== undefined) {
      f.match = matchExpression(scopeToken(this.store, owner), q.fulltext);
      if (f.match === undefined) return undefined;
      this.indexer.flush();
    }
    if (q.start !== undefined || q.end !== undefined) {
      if (q.start !== undefined && q.end !== undefined && q.start > q.end) return undefined;
      const disorder = this.sql.get(DISORDER).pluck().get(this.store, owner) as number | undefined;
      if (disorder === undefined) return undefined; // the owner has no items
      if (q.start !== undefined) {
        f.lo = this.sql.get(SEQ_BELOW).pluck().get(this.store, owner, q.start - disorder) as number | undefined;
        if (disorder > 0) f.start = q.start;
      }
      if (q.end !== undefined) {
        f.hi = this.sql.get(SEQ_ABOVE).pluck().get(this.store, owner, q.end + disorder) as number | undefined;
        if (disorder > 0) f.end = q.end;
      }
    }
    return f;
  }

  /** FROM, order key and WHERE for the items matching `f`, between the cursors. */
  #sql(owner: string, f: Filters, afterSeq: number | undefined, beforeSeq: number | undefined): Sql {
    const index = f.ids !== undefined ? "archive_id" : f.with !== undefined ? "archive_owner_with" : "archive_owner";
    const from = f.match !== undefined ? FULLTEXT_SOURCE : `archive INDEXED BY ${index}`;
    const key = f.match !== undefined ? "archive_fts.rowid" : "seq";
    const conds: string[] = [];
    const params: unknown[] = [];
    const add = (cond: string, param: unknown) => {
      conds.push(cond);
      params.push(param);
    };
    if (f.match !== undefined) add("archive_fts MATCH ?", f.match);
    add("store = ?", this.store);
    add("owner = ?", owner);
    if (f.with !== undefined) add("with_jid = ?", f.with);
    if (f.ids !== undefined) add("id IN (SELECT value FROM json_each(?))", f.ids);
    if (f.start !== undefined) add("when_ms >= ?", f.start);
    if (f.end !== undefined) add("when_ms <= ?", f.end);
    const lo = Math.max(f.lo ?? -Infinity, afterSeq ?? -Infinity);
    const hi = Math.min(f.hi ?? Infinity, beforeSeq ?? Infinity);
    if (lo !== -Infinity) add(`${key} > ?`, lo);
    if (hi !== Infinity) add(`${key} < ?`, hi);
    return { from, key, where: conds.join(" AND "), params };
  }

  #count(owner: string, f: Filters): number {
    const timeChecked = f.start !== undefined || f.end !== undefined;
    if (f.match === undefined && f.ids === undefined && f.lo === undefined && f.hi === undefined && !timeChecked) {
      return f.with === undefined
        ? (this.sql.get(COUNT_OWNER).pluck().get(this.store, owner) as number)
        : (this.sql.get(COUNT_WITH).pluck().get(this.store, owner, f.with) as number);
    }
    if (f.match !== undefined && f.with === undefined && f.ids === undefined && !timeChecked) {
      // The scope token already restricts the search to this owner: count inside the full-text index alone.
      let sql = "SELECT count(*) FROM archive_fts WHERE archive_fts MATCH ?";
      const params: unknown[] = [f.match];
      if (f.lo !== undefined) {
        sql += " AND rowid > ?";
        params.push(f.lo);
      }
      if (f.hi !== undefined) {
        sql += " AND rowid < ?";
        params.push(f.hi);
      }
      return this.sql.get(sql).pluck().get(...params) as number;
    }
    const all = this.#sql(owner, f, undefined, undefined);
    return this.sql.get(`SELECT count(*) FROM ${all.from} WHERE ${all.where}`).pluck().get(...all.params) as number;
  }

  async #deleteInSlices(sql: string, params: unknown[], pacer: Pacer): Promise<number> {
    const stmt = this.sql.get(sql);
    let removed = 0;
    for (;;) {
      const rows = pacer.rows;
      const t0 = performance.now();
      const n = stmt.run(...params, rows).changes;
      removed += n;
      await pacer.step(performance.now() - t0);
      if (n < rows) return removed;
    }
  }

  /** After a delete: drop zeroed counters, and the time bookkeeping of an owner with nothing left. */
  #tidy(owner: string): void {
    this.sql.get(DROP_EMPTY_COUNTS).run(this.store, owner);
    this.sql.get(DROP_OWNER_IF_EMPTY).run(this.store, owner, this.store, owner);
  }
}
