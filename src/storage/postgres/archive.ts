/**
 * ArchiveStore on PostgreSQL: XEP-0313 (Message Archive Management) queries with XEP-0059 (Result Set Management)
 * paging, with the SQLite driver's semantics and plan shapes (see src/storage/sqlite/archive.ts).
 *
 * Items are in archive order: insertion order, `seq`. Every query becomes a seq range plus filters, read in seq order:
 * - the ids of `after` / `before` / `afterId` / `beforeId` and the seq bounds of `start` / `end` are looked up in one
 *   statement, each on an index (unique (store, id); (store, owner, when_ms) with the owner's `disorder`, as in SQLite);
 * - the page is read through (store, owner[, with_jid], seq) with LIMIT n + 1 (the extra row only says whether the
 *   page is complete): the last page, or the page before an id deep in the archive, is a seek plus n steps; a
 *   `fulltext` page tests the nearest items of the range first, then reads the GIN index (#page);
 * - `count` comes from the per-owner counters when at most `with` filters, else from one count(*) over the filtered
 *   range; when it is needed for sure it runs beside the page query, on another connection.
 * Appends and deletes go through the functions of migration 1 (archive_append, archive_delete): one round trip, and
 * the counters and time bookkeeping change in the same transaction as the items.
 */
import { newArchiveId } from "../archive-id.js";
import type { ArchiveAppend, ArchiveAppendTo, ArchivePage, ArchiveQuery, ArchiveStore, Json } from "../types.js";
import { archiveItem, emptyPage, itemNotFound, type ArchiveItemRow } from "../shared.js";
import type { Db } from "./db.js";
import { scopeLexeme, tsqueryText, tsvectorText } from "./text-search.js";

/** Rows removed per statement by delete and expire: short transactions, so appends to the owner wait little. */
const DELETE_ROWS = 2000;
/** Items a search's page first tests in seq order before it asks the GIN index (see #page). */
const SEARCH_WINDOW = 1000;

const APPEND =
  "SELECT archive_append($1, $2::text[], $3::text[], $4::float8[], $5::text[], $6::text[], $7::tsvector[])";
const REPLACE = "UPDATE archive SET value = $1, words = $2::tsvector WHERE store = $3 AND id = $4 AND owner = $5";
const DELETE = "SELECT archive_delete($1, $2, $3::float8, $4::int)";
const OWNERS = "SELECT owner FROM archive_owners WHERE store = $1";
const COUNT_OWNER = "SELECT coalesce(sum(n), 0)::int8 FROM archive_counts WHERE store = $1 AND owner = $2";
const COUNT_WITH = "SELECT coalesce(sum(n), 0)::int8 FROM archive_counts WHERE store = $1 AND owner = $2 AND with_jid = $3";
const UNIQUE_VIOLATION = "23505";


/** What a query's filters (paging aside) come to. */
interface Filters {
  with?: string;
  ids?: string[];
  match?: string;             // tsquery text
  start?: number;             // to check on when_ms (only when the owner's disorder makes the seq range inexact)
  end?: number;
  lo?: number;                // exclusive seq bounds
  hi?: number;
}

/** The seqs and time bounds a query's ids and times come to; null where an id is unknown or no item bounds. */
interface Resolved {
  after?: number | null;
  before?: number | null;
  afterId?: number | null;
  beforeId?: number | null;
  /** undefined when the owner has no items. */
  disorder?: number | null;
  lo?: number | null;
  hi?: number | null;
}

/** A WHERE clause and its parameters, and the tsquery of a search, which each statement places itself. */
interface Where {
  sql: string;
  params: unknown[];
  match?: string;
}


export class PostgresArchiveStore implements ArchiveStore {
  constructor(private readonly db: Db, private readonly store: string) {}

  async append(owner: string, item: ArchiveAppend): Promise<string> {
    const [id] = await this.appendMany([{ owner, item }]);
    return id!;
  }

  async appendMany(items: readonly ArchiveAppendTo[]): Promise<string[]> {
    if (items.length === 0) return [];
    const owners: string[] = [];
    const ids: string[] = [];
    const whens: number[] = [];
    const withs: string[] = [];
    const values: string[] = [];
    const words: (string | null)[] = [];
    for (const { owner, item } of items) {
      const id = item.id ?? newArchiveId();
      if (id === "") throw new Error(`archive ${this.store}: an item id must not be empty`);
      const when = item.when ?? Date.now();
      if (!Number.isFinite(when)) throw new RangeError(`archive ${this.store}: 'when' must be a finite number`);
      owners.push(owner);
      ids.push(id);
      whens.push(when);
      withs.push(item.with ?? "");
      values.push(JSON.stringify(item.value));
      words.push(item.text !== undefined && item.text !== "" ? tsvectorText(scopeLexeme(this.store, owner), item.text) : null);
    }
    try {
      await this.db.query(APPEND, [this.store, owners, ids, whens, withs, values, words]);
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        const which = ids.length === 1 ? JSON.stringify(ids[0]) : `of this batch (${(err as { detail?: string }).detail ?? ""})`;
        throw new Error(`archive ${this.store}: item id ${which} exists already`, { cause: err });
      }
      throw err;
    }
    return ids;
  }

  async replace(owner: string, id: string, value: Json, text?: string): Promise<boolean> {
    const words = text !== undefined && text !== "" ? tsvectorText(scopeLexeme(this.store, owner), text) : null;
    const r = await this.db.query(REPLACE, [JSON.stringify(value), words, this.store, id, owner]);
    return r.rowCount === 1;
  }

  async query(owner: string, q: ArchiveQuery): Promise<ArchivePage> {
    const { limit } = q;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new RangeError(`archive ${this.store}: limit must be a non-negative integer, got ${limit}`);
    }
    const r = await this.#resolve(owner, q);
    // An unknown id is an error even when the filters match nothing.
    if (r.after === null || r.before === null || r.afterId === null || r.beforeId === null) return itemNotFound();
    const afterSeq = r.after;
    const beforeSeq = r.before;

    const filters = this.#filters(owner, q, r);
    if (filters === undefined) return emptyPage();
    if (r.afterId !== undefined) filters.lo = Math.max(filters.lo ?? r.afterId, r.afterId);
    if (r.beforeId !== undefined) filters.hi = Math.min(filters.hi ?? r.beforeId, r.beforeId);

    const backward = q.before !== undefined;
    // With a cursor the count is needed whatever the page holds; from the counters it is cheap enough to ask anyway,
    // and a search's count (a read of every match) had better overlap the page's.
    const cursor = afterSeq !== undefined || beforeSeq !== undefined;
    const early = cursor || (limit !== undefined && (this.#countsFromCounters(filters) || filters.match !== undefined))
      ? this.#count(owner, filters)
      : undefined;
    const [rows, earlyCount] = await Promise.all([
      this.#page(this.#where(owner, filters, afterSeq, beforeSeq), backward ? "DESC" : "ASC", limit),
      early,
    ]);
    const complete = limit === undefined || rows.length <= limit;
    if (!complete) rows.length = limit;
    if (backward) rows.reverse();
    const items = rows.map(archiveItem);

    // When every matching item is on this page, there is nothing left to count.
    const count = complete && !cursor ? items.length : (earlyCount ?? (await this.#count(owner, filters)));
    return { ok: true, items, complete, count };
  }

  async delete(owner: string, before?: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const n = (await this.db.value<number>(DELETE, [this.store, owner, before ?? null, DELETE_ROWS])) ?? 0;
      removed += n;
      if (n < DELETE_ROWS) return removed;
    }
  }

  async expire(before: number): Promise<number> {
    const owners = (await this.db.query<{ owner: string }>(OWNERS, [this.store])).rows;
    let removed = 0;
    for (const { owner } of owners) removed += await this.delete(owner, before);
    return removed;
  }

  /** The rows of one page (limit + 1 of them, to tell whether it is complete), in `order` of seq. */
  async #page(where: Where, order: "ASC" | "DESC", limit: number | undefined): Promise<ArchiveItemRow[]> {
    const columns = "SELECT id, when_ms, with_jid, value FROM archive";
    const params = [...where.params];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (where.match === undefined || limit === undefined) {
      const match = where.match === undefined ? "" : ` AND words @@ ${param(where.match)}::tsquery`;
      const cap = limit === undefined ? "" : ` LIMIT ${param(limit + 1)}`;
      return (await this.db.query<ArchiveItemRow>(`${columns} WHERE ${where.sql}${match} ORDER BY seq ${order}${cap}`, params, where.match === undefined)).rows;
    }
    // A search's page. Left to itself the planner walks the owner's items in seq order, testing each, when it expects
    // many matches, and reads the GIN index then sorts when it expects few; it expects from each word's frequency,
    // so for common words that never occur together ("hello kenobi") it walks through the whole archive. Hence two
    // steps: the newest (or, paging forward, oldest) SEARCH_WINDOW items of the range, tested: enough whenever
    // matches are common; else the matches from the GIN index (ordered by seq + 0, which no B-tree provides, so a walk
    // can no longer hope to stop early), as SQLite's FTS5 search always does: its cost follows the number of matches.
    const n = limit + 1;
    const recent =
      `SELECT seq FROM (SELECT seq, words FROM archive WHERE ${where.sql} ORDER BY seq ${order} ` +
      `LIMIT ${param(Math.max(SEARCH_WINDOW, 20 * n))}) AS recent WHERE words @@ ${param(where.match)}::tsquery ` +
      `ORDER BY seq ${order} LIMIT ${param(n)}`;
    // ARRAY(...) runs the window once: as "seq IN (...)" a plan made without statistics may run it once per row.
    const first = await this.db.query<ArchiveItemRow>(
      `${columns} WHERE store = $1 AND owner = $2 AND seq = ANY (ARRAY(${recent})) ORDER BY seq ${order}`, params, false);
    if (first.rows.length === n) return first.rows;
    const all = [...where.params];
    all.push(where.match, n);
    const sql =
      `${columns} WHERE ${where.sql} AND words @@ $${all.length - 1}::tsquery ORDER BY seq + 0 ${order} LIMIT $${all.length}`;
    return (await this.db.query<ArchiveItemRow>(sql, all, false)).rows;
  }

  /** One statement for every id lookup and time bound `q` needs; nothing to ask when it has neither. */
  async #resolve(owner: string, q: ArchiveQuery): Promise<Resolved> {
    const params: unknown[] = [this.store, owner];
    const cols: string[] = [];
    const seqOf = (id: string, as: string) => {
      params.push(id);
      cols.push(`(SELECT seq FROM archive WHERE store = $1 AND id = $${params.length} AND owner = $2) AS "${as}"`);
    };
    if (q.after !== undefined) seqOf(q.after, "after");
    if (q.before !== undefined && q.before !== "") seqOf(q.before, "before");
    if (q.afterId !== undefined) seqOf(q.afterId, "afterId");
    if (q.beforeId !== undefined) seqOf(q.beforeId, "beforeId");
    let from = "";
    if (q.start !== undefined || q.end !== undefined) {
      // An item older than every match of `start` (all items before it in seq order are older than `start` too),
      // and one newer than every match of `end`.
      cols.push("o.disorder");
      if (q.start !== undefined) {
        params.push(q.start);
        cols.push(
          `(SELECT seq FROM archive WHERE store = $1 AND owner = $2 AND when_ms < $${params.length}::float8 - o.disorder ` +
            "ORDER BY when_ms DESC, seq DESC LIMIT 1) AS lo");
      }
      if (q.end !== undefined) {
        params.push(q.end);
        cols.push(
          `(SELECT seq FROM archive WHERE store = $1 AND owner = $2 AND when_ms > $${params.length}::float8 + o.disorder ` +
            "ORDER BY when_ms, seq LIMIT 1) AS hi");
      }
      from = " FROM (VALUES (1)) AS one (x) LEFT JOIN archive_owners o ON o.store = $1 AND o.owner = $2";
    }
    if (cols.length === 0) return {};
    const { rows } = await this.db.query<Resolved>(`SELECT ${cols.join(", ")}${from}`, params);
    return rows[0]!;
  }

  /** The filters of `q` in storage terms; undefined when no item can match. */
  #filters(owner: string, q: ArchiveQuery, r: Resolved): Filters | undefined {
    const f: Filters = {};
    if (q.with !== undefined) f.with = q.with;
    if (q.ids !== undefined) {
      if (q.ids.length === 0) return undefined;
      f.ids = [...q.ids];
    }
    if (q.fulltext !== undefined) {
      f.match = tsqueryText(scopeLexeme(this.store, owner), q.fulltext);
      if (f.match === undefined) return undefined;
    }
    if (q.start !== undefined || q.end !== undefined) {
      if (q.start !== undefined && q.end !== undefined && q.start > q.end) return undefined;
      if (r.disorder === null || r.disorder === undefined) return undefined; // the owner has no items
      if (q.start !== undefined) {
        if (r.lo !== null && r.lo !== undefined) f.lo = r.lo;
        if (r.disorder > 0) f.start = q.start;
      }
      if (q.end !== undefined) {
        if (r.hi !== null && r.hi !== undefined) f.hi = r.hi;
        if (r.disorder > 0) f.end = q.end;
      }
    }
    return f;
  }

  /** WHERE for the items matching `f` but its full-text search (`match`, left to the caller), between the cursors. */
  #where(owner: string, f: Filters, afterSeq: number | undefined, beforeSeq: number | undefined): Where {
    const conds = ["store = $1", "owner = $2"];
    const params: unknown[] = [this.store, owner];
    const add = (cond: (n: string) => string, param: unknown) => {
      params.push(param);
      conds.push(cond(`$${params.length}`));
    };
    if (f.with !== undefined) add((p) => `with_jid = ${p}`, f.with);
    if (f.ids !== undefined) add((p) => `id = ANY (${p}::text[])`, f.ids);
    if (f.start !== undefined) add((p) => `when_ms >= ${p}::float8`, f.start);
    if (f.end !== undefined) add((p) => `when_ms <= ${p}::float8`, f.end);
    const lo = Math.max(f.lo ?? -Infinity, afterSeq ?? -Infinity);
    const hi = Math.min(f.hi ?? Infinity, beforeSeq ?? Infinity);
    if (lo !== -Infinity) add((p) => `seq > ${p}::int8`, lo);
    if (hi !== Infinity) add((p) => `seq < ${p}::int8`, hi);
    return { sql: conds.join(" AND "), params, ...(f.match === undefined ? {} : { match: f.match }) };
  }

  #countsFromCounters(f: Filters): boolean {
    return f.match === undefined && f.ids === undefined && f.lo === undefined && f.hi === undefined &&
      f.start === undefined && f.end === undefined;
  }

  async #count(owner: string, f: Filters): Promise<number> {
    if (this.#countsFromCounters(f)) {
      return f.with === undefined
        ? ((await this.db.value<number>(COUNT_OWNER, [this.store, owner])) ?? 0)
        : ((await this.db.value<number>(COUNT_WITH, [this.store, owner, f.with])) ?? 0);
    }
    const all = this.#where(owner, f, undefined, undefined);
    if (all.match === undefined) return (await this.db.value<number>(`SELECT count(*) FROM archive WHERE ${all.sql}`, all.params)) ?? 0;
    all.params.push(all.match);
    const sql = `SELECT count(*) FROM archive WHERE ${all.sql} AND words @@ $${all.params.length}::tsquery`;
    return (await this.db.value<number>(sql, all.params, false)) ?? 0;
  }
}
