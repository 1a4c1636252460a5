/**
 * ArchiveStore on SQLite: XEP-0313 (Message Archive Management) queries with XEP-0059 (Result Set Management) paging.
 *
 * Items are in archive order: insertion order, `seq`. An item names its archive (store and owner) and its
 * correspondent by number (archive-names.ts). Every query becomes a seq range plus filters, read in seq order:
 * - `after` / `before` ids are looked up once and become `seq > x` / `seq < y`: ids the store made by their sort key
 *   (unique index on idkey, see archive-id.ts), ids a caller chose by the id itself (index on id); `afterId` / `beforeId`
 *   likewise, but narrow the filters' range (so they count) rather than set the cursors;
 * - `start` / `end` become a seq range by a binary search over the owner's items (each probe one seek on
 *   archive_id and a row read; about 20 to 30 probes): exact while the owner's items were appended in timestamp
 *   order, widened by the owner's `disorder` and checked on when_ms otherwise (see archives in migrations.ts).
 *   A time index would do it in one seek, but costs a random page write per append, and appends are the hot path;
 * - the page is read through (archive_id[, with_id]), or driven by the full-text index for a `fulltext` filter,
 *   in seq order with LIMIT n + 1 (the extra row only says whether the page is complete): the last page, or the
 *   page before an id deep in the archive, is a seek plus n steps;
 * - `count` comes from the per-owner counters when at most `with` filters, from the full-text index alone for a
 *   plain search, else from one COUNT(*) over the filtered range (cost in proportion to the items in that range).
 */
import type Database from "better-sqlite3";
import type { ArchiveIdCipher } from "../archive-id.js";
import type { ArchiveAppend, ArchiveAppendTo, ArchivePage, ArchiveQuery, ArchiveStore, Json } from "../types.js";
import { archiveItem, emptyPage, itemNotFound, type ArchiveItemRow } from "../shared.js";
import type { ArchiveNames } from "./archive-names.js";
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

const INSERT = "INSERT INTO archive (archive_id, with_id, id, idkey, when_ms, value) VALUES (?, ?, ?, ?, ?, ?)";
const INSERT_TEXT = "INSERT INTO archive_fts_pending (seq, text) VALUES (?, ?)";
/** Counters and time bookkeeping, once per archive (and correspondent) per batch: see `#bookkeep`. */
const COUNT_UP =
  "INSERT INTO archive_counts (archive_id, with_id, n) VALUES (?, ?, ?) " +
  "ON CONFLICT (archive_id, with_id) DO UPDATE SET n = n + excluded.n";
/** Parameters: the batch's disorder, its earliest time, its earliest time, its latest time, the archive. */
const ARCHIVE_TIMES =
  "UPDATE archives SET disorder = max(disorder, ?, coalesce(max_when - ?, 0)), max_when = max(coalesce(max_when, ?), ?) " +
  "WHERE id = ?";
const SEQ_OF_KEY = "SELECT seq FROM archive WHERE idkey = ? AND archive_id = ?";
const SEQ_OF_FOREIGN = "SELECT seq FROM archive WHERE id = ? AND idkey IS NULL AND archive_id = ?";
/** Whether a caller's own id is taken in a store (unique per store: see archive_foreign_id in migrations.ts). */
const FOREIGN_ID_TAKEN =
  "SELECT 1 FROM archive a JOIN archives s ON s.id = a.archive_id WHERE a.id = ? AND a.idkey IS NULL AND s.store = ?";
const REPLACE = "UPDATE archive SET value = ? WHERE seq = ?";
const DROP_TEXT = "DELETE FROM archive_fts WHERE rowid = ?";
const DROP_PENDING_TEXT = "DELETE FROM archive_fts_pending WHERE seq = ?";
const DISORDER = "SELECT disorder FROM archives WHERE id = ?";
/** Probes of the binary search by time: the archive's first item at or after a seq, last at or before one. */
const FIRST_FROM =
  "SELECT seq, when_ms FROM archive INDEXED BY archive_owner WHERE archive_id = ? AND seq >= ? ORDER BY seq LIMIT 1";
const LAST_UPTO =
  "SELECT seq, when_ms FROM archive INDEXED BY archive_owner WHERE archive_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1";
const COUNT_OWNER = "SELECT coalesce(sum(n), 0) FROM archive_counts WHERE archive_id = ?";
const COUNT_WITH = "SELECT coalesce(sum(n), 0) FROM archive_counts WHERE archive_id = ? AND with_id = ?";
const DELETE_OWNER =
  "DELETE FROM archive WHERE seq IN (SELECT seq FROM archive INDEXED BY archive_owner WHERE archive_id = ? LIMIT ?)";
/** Items older than a time, among those before a seq (the binary search's bound: see `delete`). */
const DELETE_OWNER_BEFORE =
  "DELETE FROM archive WHERE seq IN " +
  "(SELECT seq FROM archive INDEXED BY archive_owner WHERE archive_id = ? AND seq < ? AND when_ms < ? LIMIT ?)";
const ARCHIVES = "SELECT id, owner FROM archives WHERE store = ?";
/** After a delete: the archive's correspondents left with no item, whose numbers may be unused now. */
const DROP_EMPTY_COUNTS = "DELETE FROM archive_counts WHERE archive_id = ? AND n <= 0 RETURNING with_id";

/** Full-text searches read archive rows in the index's rowid (= seq) order, so a page stops after n matches. */
const FULLTEXT_SOURCE = "archive_fts CROSS JOIN archive ON archive.seq = archive_fts.rowid";


/** What a query's filters (paging aside) come to. */
interface Filters {
  with?: number;             // archive_jids.id
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

/** An item as a page selects it. */
interface PageRow {
  id: string;
  when_ms: number;
  with_id: number;
  value: string;
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
    private readonly names: ArchiveNames,
    private readonly store: string,
  ) {
    // One transaction per batch, and none per item (nested ones would each cost a savepoint).
    this.#appendAll = db.transaction((rows: readonly Row[]): void => {
      const archives = rows.map((r) => this.names.archiveForWrite(this.store, r.owner));
      const withs = rows.map((r) => this.names.jidForWrite(r.with));
      rows.forEach((r, i) => this.#insert(r, archives[i]!, withs[i]!));
      this.#bookkeep(rows, archives, withs);
    });
    this.#replace = db.transaction((owner: string, id: string, value: string, text: string | undefined): boolean => {
      const archive = this.names.archive(this.store, owner);
      const seq = archive === undefined ? undefined : this.#seqOf(archive, id);
      if (seq === undefined) return false;
      this.sql.get(REPLACE).run(value, seq);
      this.sql.get(DROP_TEXT).run(seq);
      this.sql.get(DROP_PENDING_TEXT).run(seq);
      if (text !== undefined && text !== "") this.sql.get(INSERT_TEXT).run(seq, text);
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
    try {
      this.#appendAll(rows);
    } catch (err) {
      this.names.rolledBack();
      throw err;
    }
    this.names.committed();
    if (rows.some((r) => r.text !== undefined)) this.indexer.added();
  }

  #insert(r: Row, archive: number, withId: number): void {
    if (r.key === null && this.sql.get(FOREIGN_ID_TAKEN).get(r.id, this.store) !== undefined) this.#taken(r.id);
    let seq: number;
    try {
      seq = Number(this.sql.get(INSERT).run(archive, withId, r.id, r.key, r.when, r.value).lastInsertRowid);
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") this.#taken(r.id, err);
      throw err;
    }
    if (r.text !== undefined) this.sql.get(INSERT_TEXT).run(seq, r.text);
  }

  #taken(id: string, cause?: unknown): never {
    throw new Error(`archive ${this.store}: item id ${JSON.stringify(id)} exists already`, { cause });
  }

  /**
   * The per-archive counters and time bookkeeping of a batch, in one statement per archive and per (archive,
   * correspondent): a batch of n items from few conversations costs a few statements, not 2n. The disorder
   * (migrations.ts, archives) after the batch is the largest of: the stored one, the batch's own, and how far the
   * batch's oldest item is behind the stored latest time.
   */
  #bookkeep(rows: readonly Row[], archives: readonly number[], withs: readonly number[]): void {
    const counts = new Map<string, { archive: number; with: number; n: number }>();
    const times = new Map<number, { max: number; min: number; disorder: number }>();
    rows.forEach((r, i) => {
      const archive = archives[i]!;
      const pair = `${archive} ${withs[i]}`;
      const c = counts.get(pair);
      if (c) c.n++;
      else counts.set(pair, { archive, with: withs[i]!, n: 1 });
      const t = times.get(archive);
      if (!t) times.set(archive, { max: r.when, min: r.when, disorder: 0 });
      else {
        t.disorder = Math.max(t.disorder, t.max - r.when);
        t.max = Math.max(t.max, r.when);
        t.min = Math.min(t.min, r.when);
      }
    });
    const countUp = this.sql.get(COUNT_UP);
    for (const c of counts.values()) countUp.run(c.archive, c.with, c.n);
    const archiveTimes = this.sql.get(ARCHIVE_TIMES);
    for (const [archive, t] of times) archiveTimes.run(t.disorder, t.min, t.min, t.max, archive);
  }

  async query(owner: string, q: ArchiveQuery): Promise<ArchivePage> {
    const { limit } = q;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new RangeError(`archive ${this.store}: limit must be a non-negative integer, got ${limit}`);
    }
    const archive = this.names.archive(this.store, owner);
    // An empty archive holds no id either: any cursor is unknown.
    if (archive === undefined) {
      const cursors = [q.after, q.before || undefined, q.afterId, q.beforeId];
      return cursors.some((c) => c !== undefined) ? itemNotFound() : emptyPage();
    }

    // RSM cursors first: an unknown id is an error even when the filters match nothing.
    let afterSeq: number | undefined;
    let beforeSeq: number | undefined;
    if (q.after !== undefined) {
      afterSeq = this.#seqOf(archive, q.after);
      if (afterSeq === undefined) return itemNotFound();
    }
    if (q.before !== undefined && q.before !== "") {
      beforeSeq = this.#seqOf(archive, q.before);
      if (beforeSeq === undefined) return itemNotFound();
    }

    // Bounds of the result set (after-id / before-id): they narrow the filters' seq range.
    let afterIdSeq: number | undefined;
    let beforeIdSeq: number | undefined;
    if (q.afterId !== undefined) {
      afterIdSeq = this.#seqOf(archive, q.afterId);
      if (afterIdSeq === undefined) return itemNotFound();
    }
    if (q.beforeId !== undefined) {
      beforeIdSeq = this.#seqOf(archive, q.beforeId);
      if (beforeIdSeq === undefined) return itemNotFound();
    }

    const filters = this.#filters(owner, archive, q);
    if (filters === undefined) return emptyPage();
    if (afterIdSeq !== undefined) filters.lo = Math.max(filters.lo ?? afterIdSeq, afterIdSeq);
    if (beforeIdSeq !== undefined) filters.hi = Math.min(filters.hi ?? beforeIdSeq, beforeIdSeq);

    const page = this.#sql(archive, filters, afterSeq, beforeSeq);
    const backward = q.before !== undefined;
    let sql =
      `SELECT id, when_ms, with_id, value FROM ${page.from} WHERE ${page.where} ` +
      `ORDER BY ${page.key} ${backward ? "DESC" : "ASC"}`;
    if (limit !== undefined) {
      sql += " LIMIT ?";
      page.params.push(limit + 1);
    }
    const rows = this.sql.get(sql).all(...page.params) as PageRow[];
    const complete = limit === undefined || rows.length <= limit;
    if (!complete) rows.length = limit;
    if (backward) rows.reverse();
    const items = rows.map((r) => archiveItem({ id: r.id, when_ms: r.when_ms, with_jid: this.names.jidName(r.with_id), value: r.value }));

    // When every matching item is on this page, there is nothing left to count.
    const count =
      complete && afterSeq === undefined && beforeSeq === undefined ? items.length : this.#count(archive, filters);
    return { ok: true, items, complete, count };
  }

  async delete(owner: string, before?: number): Promise<number> {
    const archive = this.names.archive(this.store, owner);
    if (archive === undefined) return 0;
    const pacer = new Pacer();
    const removed =
      before === undefined
        ? await this.#deleteInSlices(DELETE_OWNER, [archive], pacer)
        : await this.#deleteOlder(archive, before, pacer);
    this.#tidy(owner, archive);
    return removed;
  }

  async expire(before: number): Promise<number> {
    const archives = this.sql.get(ARCHIVES).all(this.store) as { id: number; owner: string }[];
    const pacer = new Pacer();
    let removed = 0;
    for (const { id, owner } of archives) {
      const n = await this.#deleteOlder(id, before, pacer);
      if (n > 0) this.#tidy(owner, id);
      removed += n;
    }
    return removed;
  }

  /**
   * An archive's items older than `before`. Every item after the archive's first one newer than before + disorder
   * is newer than `before` (see `#seqAbove`), so only the items before it are looked at, each checked on its time.
   */
  async #deleteOlder(archive: number, before: number, pacer: Pacer): Promise<number> {
    const disorder = this.sql.get(DISORDER).pluck().get(archive) as number | undefined;
    if (disorder === undefined) return 0; // the archive is gone
    // Usually (retention runs every hour over every archive) nothing is old enough: every item is at least as new
    // as the first one less the disorder, so one seek tells.
    const first = this.#first(archive, 0);
    if (first === undefined || first.when_ms - disorder >= before) return 0;
    const bound = this.#seqAbove(archive, before + disorder) ?? Number.MAX_SAFE_INTEGER;
    return this.#deleteInSlices(DELETE_OWNER_BEFORE, [archive, bound, before], pacer);
  }

  #seqOf(archive: number, id: string): number | undefined {
    const key = this.ids.sortKey(id);
    return (key !== undefined
      ? this.sql.get(SEQ_OF_KEY).pluck().get(key, archive)
      : this.sql.get(SEQ_OF_FOREIGN).pluck().get(id, archive)) as number | undefined;
  }

  #first(archive: number, fromSeq: number): Probe | undefined {
    return this.sql.get(FIRST_FROM).get(archive, fromSeq) as Probe | undefined;
  }

  #last(archive: number, uptoSeq: number): Probe | undefined {
    return this.sql.get(LAST_UPTO).get(archive, uptoSeq) as Probe | undefined;
  }

  /**
   * An item of the archive older than `t` such that every item before it is older than t + disorder; undefined
   * when none is found. Binary search over seq values, probing the archive's first item at or after the middle.
   * With items in time order (disorder 0) it is the newest item older than `t`. Otherwise the probes see an order
   * that is only nearly sorted and may stop at an earlier item; any item p older than t works, since an item x
   * before p has when(x) <= when(p) + disorder (the definition of disorder), which is below t + disorder.
   */
  #seqBelow(archive: number, t: number): number | undefined {
    const first = this.#first(archive, 0);
    if (first === undefined || first.when_ms >= t) return undefined;
    const last = this.#last(archive, Number.MAX_SAFE_INTEGER)!;
    if (last.when_ms < t) return last.seq;
    let best = first.seq;
    let lo = first.seq + 1;
    let hi = last.seq - 1;
    while (lo <= hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const q = this.#first(archive, mid)!; // exists: `last` is after mid
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
  #seqAbove(archive: number, t: number): number | undefined {
    const last = this.#last(archive, Number.MAX_SAFE_INTEGER);
    if (last === undefined || last.when_ms <= t) return undefined;
    const first = this.#first(archive, 0)!;
    if (first.when_ms > t) return first.seq;
    let best = last.seq;
    let lo = first.seq + 1;
    let hi = last.seq - 1;
    while (lo <= hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const q = this.#last(archive, mid)!; // exists: `first` is before mid
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
  #filters(owner: string, archive: number, q: ArchiveQuery): Filters | undefined {
    const f: Filters = {};
    if (q.with !== undefined) {
      f.with = this.names.jid(q.with);
      if (f.with === undefined) return undefined; // no item names this correspondent
    }
    if (q.ids !== undefined) {
      // Ids the archive does not hold match nothing (XEP-0313 §4.1.3 asks no error for them).
      const seqs = q.ids.map((id) => this.#seqOf(archive, id)).filter((seq) => seq !== undefined);
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
      const disorder = this.sql.get(DISORDER).pluck().get(archive) as number | undefined;
      if (disorder === undefined) return undefined; // the archive is gone
      if (q.start !== undefined) {
        f.lo = this.#seqBelow(archive, q.start - disorder);
        if (disorder > 0) f.start = q.start;
      }
      if (q.end !== undefined) {
        f.hi = this.#seqAbove(archive, q.end + disorder);
        if (disorder > 0) f.end = q.end;
      }
    }
    return f;
  }

  /** FROM, order key and WHERE for the items matching `f`, between the cursors. */
  #sql(archive: number, f: Filters, afterSeq: number | undefined, beforeSeq: number | undefined): Sql {
    const index = f.with !== undefined ? "archive_owner_with" : "archive_owner";
    // Items by id are read by seq (the rowid); otherwise through the archive's index, in seq order.
    const from = f.match !== undefined ? FULLTEXT_SOURCE : f.seqs !== undefined ? "archive" : `archive INDEXED BY ${index}`;
    const key = f.match !== undefined ? "archive_fts.rowid" : "seq";
    const conds: string[] = [];
    const params: unknown[] = [];
    const add = (cond: string, param: unknown) => {
      conds.push(cond);
      params.push(param);
    };
    if (f.match !== undefined) add("archive_fts MATCH ?", f.match);
    add("archive_id = ?", archive);
    if (f.with !== undefined) add("with_id = ?", f.with);
    if (f.seqs !== undefined) add("seq IN (SELECT value FROM json_each(?))", f.seqs);
    if (f.start !== undefined) add("when_ms >= ?", f.start);
    if (f.end !== undefined) add("when_ms <= ?", f.end);
    const lo = Math.max(f.lo ?? -Infinity, afterSeq ?? -Infinity);
    const hi = Math.min(f.hi ?? Infinity, beforeSeq ?? Infinity);
    if (lo !== -Infinity) add(`${key} > ?`, lo);
    if (hi !== Infinity) add(`${key} < ?`, hi);
    return { from, key, where: conds.join(" AND "), params };
  }

  #count(archive: number, f: Filters): number {
    const timeChecked = f.start !== undefined || f.end !== undefined;
    if (f.match === undefined && f.seqs === undefined && f.lo === undefined && f.hi === undefined && !timeChecked) {
      return f.with === undefined
        ? (this.sql.get(COUNT_OWNER).pluck().get(archive) as number)
        : (this.sql.get(COUNT_WITH).pluck().get(archive, f.with) as number);
    }
    if (f.match !== undefined && f.with === undefined && f.seqs === undefined && !timeChecked) {
      // The scope token already restricts the search to this archive: count inside the full-text index alone.
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
    const all = this.#sql(archive, f, undefined, undefined);
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

  /** After a delete: drop zeroed counters, the archive when nothing is left, and correspondents nobody names. */
  #tidy(owner: string, archive: number): void {
    const emptied = this.sql.get(DROP_EMPTY_COUNTS).pluck().all(archive) as number[];
    this.names.dropUnused(this.store, owner, archive, emptied);
  }
}
