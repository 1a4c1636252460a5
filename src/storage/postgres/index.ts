/**
 * The PostgreSQL storage driver, for when one machine is not enough: several Palaver nodes share one database.
 * A pool of connections (node-postgres); the schema is migrated at open (migrations.ts). A resolved write is
 * committed, so as durable as the server's settings make a commit (`synchronous_commit`).
 */
import pg from "pg";
import { createLogger } from "../../log.js";
import { newArchiveId } from "../archive-id.js";
import { byName } from "../shared.js";
import type { ArchiveStore, KeyValStore, MapStore, Storage } from "../types.js";
import { PostgresAccountStore } from "./accounts.js";
import { PostgresArchiveStore } from "./archive.js";
import { Db, TYPES, type Trace } from "./db.js";
import { PostgresKeyValStore } from "./keyval.js";
import { PostgresMapStore } from "./map.js";
import { migrate, quoteIdent } from "./migrations.js";

export { MIGRATIONS, SchemaTooNewError, migrate, schemaVersion, type Migration } from "./migrations.js";

const log = createLogger({ component: "storage/postgres" });

export interface PostgresOptions {
  /** postgres://user:password@host:port/database, with libpq-style options such as ?sslmode=require. */
  url: string;
  /** The schema of Palaver's tables, created when missing. Default: the connection's current schema (`public`). */
  schema?: string;
  /** Most connections open at once. Default 10. */
  poolSize?: number;
  /** How long opening a connection may take. Default 10000 ms. */
  connectTimeoutMs?: number;
  /**
   * Called with every statement run and its parameters (for debugging and query-plan checks). The parameters include
   * stored values, so message bodies: never log them at info level.
   */
  trace?: Trace;
}

/** The URL without its password, to name the database in messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "(a URL that cannot be parsed)";
  }
}

/**
 * Connect to PostgreSQL and migrate the schema. Rejects, naming the database (never its password), when it cannot
 * connect, when a migration fails, or with SchemaTooNewError.
 */
export async function openPostgresStorage(options: PostgresOptions): Promise<Storage> {
  const where = `PostgreSQL database ${describeUrl(options.url)}`;
  const { schema } = options;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: "palaver",
    types: TYPES,
    ...(schema === undefined
      ? {}
      : { onConnect: async (c: pg.ClientBase) => { await c.query("SELECT set_config('search_path', $1, false)", [quoteIdent(schema)]); } }),
  });
  // A connection that fails while idle (the server restarted, say) is dropped by the pool; the next query opens another.
  pool.on("error", (err) => log.warn("idle PostgreSQL connection failed", { err: err.message }));
  try {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw new Error(`cannot open ${where}: ${(err as Error).message || String(err)}`, { cause: err });
    }
    try {
      await migrate(client, where, schema);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return new PostgresStorage(new Db(pool, options.trace));
}

class PostgresStorage implements Storage {
  readonly accounts: PostgresAccountStore;
  readonly #db: Db;
  readonly #keyvals = new Map<string, KeyValStore>();
  readonly #maps = new Map<string, MapStore>();
  readonly #archives = new Map<string, ArchiveStore>();
  #closed = false;

  constructor(db: Db) {
    this.#db = db;
    this.accounts = new PostgresAccountStore(db);
  }

  keyval(name: string): KeyValStore {
    return byName(this.#keyvals, name, () => new PostgresKeyValStore(this.#db, name));
  }

  map(name: string): MapStore {
    return byName(this.#maps, name, () => new PostgresMapStore(this.#db, name));
  }

  archive(name: string): ArchiveStore {
    return byName(this.#archives, name, () => new PostgresArchiveStore(this.#db, name));
  }

  /** Random ids: the archive's id index is a B-tree keyed by id like any other here (see archive-id.ts for SQLite's). */
  newArchiveId(): string {
    return newArchiveId();
  }

  /** Lets the work under way finish (see Db.close), then closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const abandoned = await this.#db.close();
    if (abandoned > 0) log.warn("PostgreSQL storage closed with statements still under way", { count: abandoned });
  }
}
