/**
 * The connection pool every PostgreSQL store queries through. Statements whose text is fixed are prepared once per
 * connection under a name derived from their text (parse and plan once); every value is a parameter. int8 columns
 * (seq, counts) come back as numbers: they stay far below 2^53.
 */
import { createHash } from "node:crypto";
import pg from "pg";

export type Trace = (sql: string, params: readonly unknown[]) => void;

const INT8_OID = 20;

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} is beyond JavaScript's safe integers`);
  return n;
}

/** Type parsers of this driver's connections: pg's own, but int8 as a number. */
export const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary" ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** How long closing waits for the work under way to finish. */
const DRAIN_MS = 5000;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Db {
  readonly #names = new Map<string, string>();
  /** Statements sent and not yet answered. */
  #inflight = 0;
  #closed = false;

  constructor(readonly pool: pg.Pool, private readonly trace?: Trace) {}

  /**
   * Run one statement. `prepare` (the default) names it, so each connection parses and plans it once; leave it out
   * for statements whose best plan depends on their values (full-text searches: a generic plan cannot tell a rare
   * word from a common one).
   */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    prepare = true,
  ): Promise<pg.QueryResult<R>> {
    if (this.#closed) return Promise.reject(new Error("the PostgreSQL storage is closed"));
    this.trace?.(sql, params);
    this.#inflight++;
    const result = prepare
      ? this.pool.query<R>({ name: this.#nameOf(sql), text: sql, values: params })
      : this.pool.query<R>(sql, params);
    return result.finally(() => { this.#inflight--; });
  }

  /**
   * Close the pool once no statement has been under way for a whole turn of the event loop (at most DRAIN_MS): work
   * begun before closing, such as a read and the write that follows it (the unavailable presence of sessions the
   * server just closed), still completes, as it does on SQLite, where each statement completes when it is called.
   * Returns how many statements were still unanswered when it gave up waiting (0 normally).
   */
  async close(): Promise<number> {
    const deadline = performance.now() + DRAIN_MS;
    for (;;) {
      await turn();
      if (this.#inflight === 0 || performance.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    this.#closed = true;
    const abandoned = this.#inflight;
    await this.pool.end();
    return abandoned;
  }

  /** The first column of the first row, or undefined when there is no row. */
  async value<T>(sql: string, params: unknown[] = [], prepare = true): Promise<T | undefined> {
    const r = await this.query(sql, params, prepare);
    const row = r.rows[0];
    return row === undefined ? undefined : (Object.values(row)[0] as T);
  }

  #nameOf(sql: string): string {
    let name = this.#names.get(sql);
    if (name === undefined) {
      name = "palaver_" + createHash("sha256").update(sql).digest("hex").slice(0, 24);
      this.#names.set(sql, name);
    }
    return name;
  }

  /** How many distinct statements were named (dynamic archive queries add one per filter combination). */
  get statements(): number {
    return this.#names.size;
  }
}
