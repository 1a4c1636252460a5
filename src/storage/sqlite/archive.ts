/**
 * ArchiveStore on SQLite: XEP-0313 (Message Archive Management) queries with XEP-0059 (Result Set Management) paging.
 *
 * Items are in archive order: insertion order, `seq`. Every query becomes a seq range plus filters, read in seq order:
 * - `after` / `before` ids are looked up once and become `seq > x` / `seq < y`: ids the store made by their sort key
 *   (unique index on (store, idkey), see archive-id.ts), ids a caller chose by the id itself; `afterId` / `beforeId`
 *   likewise, but narrow the filters' range (so they count) rather than set the cursors;
 * - `start` / `end` become a seq range by a binary search over the owner's items (each probe one seek on
 *   (store, owner) and a row read; about 20 to 30 probes): exact while the owner's items were appended in timestamp
 *   order, widened by the owner's `disorder` and checked on when_ms otherwise (see archive_owners in migrations.ts).
 *   A time index would do it in one seek, but costs a random page write per append, and appends are the hot path;
 * - the page is read through (store, owner[, with_jid]), or driven by the full-text index for a `fulltext` filter,
 *   in seq order with LIMIT n + 1 (the extra row only says whether the page is complete): the last page, or the
 *   page before an id deep in the archive, is a seek plus n steps;
 * - `count` comes from the per-owner counters when at most `with` filters, from the full-text index alone for a
 *   plain search, else from one COUNT(*) over the filtered range (cost in proportion to the items in that range).
 */
import type Database from "better-sqlite3";
import type { ArchiveIdCipher } from "../archive-id.js";
import type { ArchiveAppend, ArchiveAppendTo, ArchivePage, ArchiveQuery, ArchiveStore, Json } from "../types.js";
import { archiveItem, emptyPage, itemNotFound, type ArchiveItemRow } from "../shared.js";
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
  "INSERT INTO archive (store, owner, id, idkey, when_ms, with_jid, value) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq";
const INSERT_TEXT = "INSERT INTO archive_fts_pending (seq, text, scope) VALUES (?, ?, ?)";
/** Counters and time bookkeeping, once per owner (and correspondent) per batch: see `#bookkeep`. */
const COUNT_UP =
  "INSERT INTO archive_counts (store, owner, with_jid, n) VALUES (?, ?, ?, ?) " +
  "ON CONFLICT (store, owner, with_jid) DO UPDATE SET n = n + excluded.n";
const OWNER_TIMES =
  "INSERT INTO archive_owners (store, owner, max_when, disorder) VALUES (?, ?, ?, ?) " +
  "ON CONFLICT (store, owner) DO UPDATE SET " +
  "disorder = max(disorder, excluded.disorder, max_when - ?), max_when = max(max_when, excluded.max_when)";
const SEQ_OF_KEY = "SELECT seq FROM archive WHERE store = ? AND idkey = ? AND owner = ?";
const SEQ_OF_FOREIGN = "SELECT seq FROM archive WHERE store = ? AND id = ? AND idkey IS NULL AND owner = ?";
const REPLACE = "UPDATE archive SET value = ? WHERE seq = ?";
const DROP_TEXT = "DELETE FROM archive_fts WHERE rowid = ?";
const DROP_PENDING_TEXT = "DELETE FROM archive_fts_pending WHERE seq = ?";
const DISORDER = "SELECT disorder FROM archive_owners WHERE store = ? AND owner = ?";
/** Probes of the binary search by time: the owner's first item at or after a seq, last at or before one. */
const FIRST_FROM =
  "SELECT seq, when_ms FROM archive INDEXED BY archive_owner WHERE store = ? AND owner = ? AND seq >= ? " +
  "ORDER BY seq LIMIT 1";
const LAST_UPTO =
  "SELECT seq, when_ms FROM archive INDEXED BY archive_owner WHERE store = ? AND owner = ? AND seq <= ? " +
  "ORDER BY seq DESC LIMIT 1";
const COUNT_OWNER = "SELECT coalesce(sum(n), 0) FROM archive_counts WHERE store = ? AND owner = ?";
const COUNT_WITH = "SELECT coalesce(sum(n), 0) FROM archive_counts WHERE store = ? AND owner = ? AND with_jid = ?";
const DELETE_OWNER =
  "DELETE FROM archive WHERE seq IN " +
  "(SELECT seq FROM archive INDEXED BY archive_owner WHERE store = ? AND owner = ? LIMIT ?)";
/** Items older than a time, among those before a seq (the binary search's bound: see `delete`). */
const DELETE_OWNER_BEFORE =
  "DELETE FROM archive WHERE seq IN " +
  "(SELECT seq FROM archive INDEXED BY archive_owner WHERE store = ? AND owner = ? AND seq < ? AND when_ms < ? LIMIT ?)";
const OWNERS = "SELECT owner FROM archive_owners WHERE store = ?";
const DROP_EMPTY_COUNTS = "DELETE FROM archive_counts WHERE store = ? AND owner = ? AND n <= 0";
const DROP_OWNER_IF_EMPTY =
  "DELETE FROM archive_owners WHERE store = ? AND owner = ? " +
  "AND NOT EXISTS (SELECT 1 FROM archive_counts WHERE store = ? AND owner = ?)";

/** Full-text searches read archive rows in the index's rowid (= seq) order, so a page stops after n matches. */
const FULLTEXT_SOURCE = "archive_fts CROSS JOIN archive ON archive.seq = archive_fts.rowid";


/** What a query's filters (paging aside) come to. */
interface Filters {
  with?: string;
  seqs?: string;              // JSON array: the items of an `ids` filter
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

/** One item as it is written. */
interface Row {
  owner: string;
  id: string;
  key: Buffer | null;
  when: number;
  with: string;
  value: string;
  text: string | undefined;
}

interface Probe {
  seq: number;
  when_ms: number;
}

export class SqliteArchiveStore implements ArchiveStore {
  readonly #appendAll: (rows: readonly Row[]) => void;
  readonly #replace: (owner: string, id: string, value: string, text: string | undefined) => boolean;

  constructor(
    db: Database.Database,
    private readonly sql: Statements,
    private readonly indexer: FulltextIndexer,
    private readonly ids: ArchiveIdCipher,
    private readonly store: string,
  ) {
    // One transaction per batch, and none per item (nested ones would each cost a savepoint).
    this.#appendAll = db.transaction((rows: readonly Row[]): void => {
      for (const row of rows) this.#insert(row);
      this.#bookkeep(rows);
    });
    this.#replace = db.transaction((owner: string, id: string, value: string, text: string | undefined): boolean => {
      const seq = this.#seqOf(owner, id);
      if (seq === undefined) return false;
      this.sql.get(REPLACE).run(value, seq);
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
    return (await this.appendMany([{ owner, item }]))[0]!;
  }

  async appendMany(items: readonly ArchiveAppendTo[]): Promise<string[]> {
    const ids = items.map(({ item }) => item.id ?? this.ids.next());
    const keys = this.ids.sortKeys(ids);
    const rows = items.map(({ owner, item }, i) => this.#row(owner, item, ids[i]!, keys[i]));
    this.#write(rows);
    return ids;
  }

  #row(owner: string, item: ArchiveAppend, id: string, key: Buffer | undefined): Row {
    if (id === "") throw new Error(`archive ${this.store}: an item id must not be empty`);
    const when = item.when ?? Date.now();
    if (!Number.isFinite(when)) throw new RangeError(`archive ${this.store}: 'when' must be a finite number`);
    const text = item.text === "" ? undefined : item.text;
    return { owner, id, key: key ?? null, when, with: item.with ?? "", value: JSON.stringify(item.value), text };
  }

  #write(rows: readonly Row[]): void {
    this.#appendAll(rows);
    if (rows.some((r) => r.text !== undefined)) this.indexer.added();
  }

  #insert(r: Row): void {
    let seq: number;
    try {
      seq = this.sql.get(INSERT).pluck().get(this.store, r.owner, r.id, r.key, r.when, r.with, r.value) as number;
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw new Error(`archive ${this.store}: item id ${JSON.stringify(r.id)} exists already`, { cause: err });
      }
      throw err;
    }
    if (r.text !== undefined) this.sql.get(INSERT_TEXT).run(seq, r.text, scopeToken(this.store, r.owner));
  }

  /**
   * The per-owner counters and time bookkeeping of a batch, in one upsert per owner and per (owner, correspondent):
   * a batch of n items from few conversations costs a few statements, not 2n. The disorder (migrations.ts,
   * archive_owners) after the batch is the largest of: the stored one, the batch's own, and how far the batch's
   * oldest item is behind the stored latest time.
   */
  #bookkeep(rows: readonly Row[]): void {
    const counts = new Map<string, { owner: string; with: string; n: number }>();
    const times = new Map<string, { max: number; min: number; disorder: number }>();
    for (const r of rows) {
      const pair = `${r.owner}\n${r.with}`;
      const c = counts.get(pair);
      if (c) c.n++;
      else counts.set(pair, { owner: r.owner, with: r.with, n: 1 });
      const t = times.get(r.owner);
      if (!t) times.set(r.owner, { max: r.when, min: r.when, disorder: 0 });
      else {
        t.disorder = Math.max(t.disorder, t.max - r.when);
        t.max = Math.max(t.max, r.when);
        t.min = Math.min(t.min, r.when);
      }
    }
    const countUp = this.sql.get(COUNT_UP);
    for (const c of counts.values()) countUp.run(this.store, c.owner, c.with, c.n);
    const ownerTimes = this.sql.get(OWNER_TIMES);
    for (const [owner, t] of times) ownerTimes.run(this.store, owner, t.max, t.disorder, t.min);
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
      if (afterSeq === undefined) return itemNotFound();
    }
    if (q.before !== undefined && q.before !== "") {
      beforeSeq = this.#seqOf(owner, q.before);
      if (beforeSeq === undefined) return itemNotFound();
    }

    // Bounds of the result set (after-id / before-id): they narrow the filters' seq range.
    let afterIdSeq: number | undefined;
    let beforeIdSeq: number | undefined;
    if (q.afterId !== undefined) {
      afterIdSeq = this.#seqOf(owner, q.afterId);
      if (afterIdSeq === undefined) return itemNotFound();
    }
    if (q.beforeId !== undefined) {
      beforeIdSeq = this.#seqOf(owner, q.beforeId);
      if (beforeIdSeq === undefined) return itemNotFound();
    }

    const filters = this.#filters(owner, q);
    if (filters === undefined) return emptyPage();
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
    const rows = this.sql.get(sql).all(...page.params) as ArchiveItemRow[];
    const complete = limit === undefined || rows.length <= limit;
    if (!complete) rows.length = limit;
    if (backward) rows.reverse();
    const items = rows.map(archiveItem);

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
        : await this.#deleteOlder(owner, before, pacer);
    this.#tidy(owner);
    return removed;
  }

  async expire(before: number): Promise<number> {
    const owners = this.sql.get(OWNERS).pluck().all(this.store) as string[];
    const pacer = new Pacer();
    let removed = 0;
    for (const owner of owners) {
      const n = await this.#deleteOlder(owner, before, pacer);
      if (n > 0) this.#tidy(owner);
      removed += n;
    }
    return removed;
  }

  /**
   * `owner`'s items older than `before`. Every item after the owner's first one newer than before + disorder is
   * newer than `before` (see `#seqAbove`), so only the items before it are looked at, each checked on its time.
   */
  async #deleteOlder(owner: string, before: number, pacer: Pacer): Promise<number> {
    const disorder = this.sql.get(DISORDER).pluck().get(this.store, owner) as number | undefined;
    if (disorder === undefined) return 0; // the owner has no items
    // Usually (retention runs every hour over every owner) nothing is old enough: every item is at least as new as
    // the first one less the disorder, so one seek tells.
    const first = this.#first(owner, 0);
    if (first === undefined || first.when_ms - disorder >= before) return 0;
    const bound = this.#seqAbove(owner, before + disorder) ?? Number.MAX_SAFE_INTEGER;
    return this.#deleteInSlices(DELETE_OWNER_BEFORE, [this.store, owner, bound, before], pacer);
  }

  #seqOf(owner: string, id: string): number | undefined {
    const key = this.ids.sortKey(id);
    return (key !== undefined
      ? this.sql.get(SEQ_OF_KEY).pluck().get(this.store, key, owner)
      : this.sql.get(SEQ_OF_FOREIGN).pluck().get(this.store, id, owner)) as number | undefined;
  }

  #first(owner: string, fromSeq: number): Probe | undefined {
    return this.sql.get(FIRST_FROM).get(this.store, owner, fromSeq) as Probe | undefined;
  }

  #last(owner: string, uptoSeq: number): Probe | undefined {
    return this.sql.get(LAST_UPTO).get(this.store, owner, uptoSeq) as Probe | undefined;
  }

  /**
   * An item of `owner` older than `t` such that every item before it is older than t + disorder; undefined when
   * none is found. Binary search over seq values, probing the owner's first item at or after the middle. With
   * items in time order (disorder 0) it is the newest item older than `t`. Otherwise the probes see an order that is
   * only nearly sorted and may stop at an earlier item; any item p older than t works, since an item x before p has
   * when(x) <= when(p) + disorder (the definition of disorder), which is below t + disorder.
   */
  #seqBelow(owner: string, t: number): number | undefined {
    const first = this.#first(owner, 0);
    if (first === undefined || first.when_ms >= t) return undefined;
    const last = this.#last(owner, Number.MAX_SAFE_INTEGER)!;
    if (last.when_ms < t) return last.seq;
    let best = first.seq;
    let lo = first.seq + 1;
    let hi = last.seq - 1;
    while (lo <= hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const q = this.#first(owner, mid)!; // exists: `last` is after mid
      if (q.when_ms < t) {
        best = q.seq;
        lo = q.seq + 1;
      } else {
        hi = mid - 1;
      }
    }
    return best;
  }

  /** The mirror of `#seqBelow`: an item newer than `t` such that every item after it is newer than t - disorder. */
  #seqAbove(owner: string, t: number): number | undefined {
    const last = this.#last(owner, Number.MAX_SAFE_INTEGER);
    if (last === undefined || last.when_ms <= t) return undefined;
    const first = this.#first(owner, 0)!;
    if (first.when_ms > t) return first.seq;
    let best = last.seq;
    let lo = first.seq + 1;
    let hi = last.seq - 1;
    while (lo <= hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const q = this.#last(owner, mid)!; // exists: `first` is before mid
      if (q.when_ms > t) {
        best = q.seq;
        hi = q.seq - 1;
      } else {
        lo = mid + 1;
      }
    }
    return best;
  }

  /** The filters of `q` in storage terms; undefined when no item can match. */
  #filters(owner: string, q: ArchiveQuery): Filters | undefined {
    const f: Filters = {};
    if (q.with !== undefined) f.with = q.with;
    if (q.ids !== undefined) {
      // Ids the owner's archive does not hold match nothing (XEP-0313 §4.1.3 asks no error for them).
      const seqs = q.ids.map((id) => this.#seqOf(owner, id)).filter((seq) => seq !== undefined);
      if (seqs.length === 0) return undefined;
      f.seqs = JSON.stringify(seqs);
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
        f.lo = this.#seqBelow(owner, q.start - disorder);
        if (disorder > 0) f.start = q.start;
      }
      if (q.end !== undefined) {
        f.hi = this.#seqAbove(owner, q.end + disorder);
        if (disorder > 0) f.end = q.end;
      }
    }
    return f;
  }

  /** FROM, order key and WHERE for the items matching `f`, between the cursors. */
  #sql(owner: string, f: Filters, afterSeq: number | undefined, beforeSeq: number | undefined): Sql {
    const index = f.with !== undefined ? "archive_owner_with" : "archive_owner";
    // Items by id are read by seq (the rowid); otherwise through the owner's index, in seq order.
    const from = f.match !== undefined ? FULLTEXT_SOURCE : f.seqs !== undefined ? "archive" : `archive INDEXED BY ${index}`;
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
    if (f.seqs !== undefined) add("seq IN (SELECT value FROM json_each(?))", f.seqs);
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
    if (f.match === undefined && f.seqs === undefined && f.lo === undefined && f.hi === undefined && !timeChecked) {
      return f.with === undefined
        ? (this.sql.get(COUNT_OWNER).pluck().get(this.store, owner) as number)
        : (this.sql.get(COUNT_WITH).pluck().get(this.store, owner, f.with) as number);
    }
    if (f.match !== undefined && f.with === undefined && f.seqs === undefined && !timeChecked) {
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
