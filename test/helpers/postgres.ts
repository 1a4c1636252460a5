/**
 * PostgreSQL for tests: the server at PALAVER_TEST_POSTGRES_URL (default: the local one CI runs, trust auth, database
 * `test`). Every storage a test opens gets a new schema with a random name, dropped when it closes, so tests and test
 * runs never see each other's data and may run in parallel. PostgreSQL is required: when it cannot be reached,
 * `requirePostgres` fails with a message saying so, rather than letting the tests pass without it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openPostgresStorage, type PostgresOptions } from "../../src/storage/postgres/index.js";
import { quoteIdent } from "../../src/storage/postgres/migrations.js";
import type { Storage } from "../../src/storage/types.js";

export const POSTGRES_URL = process.env.PALAVER_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Storages open at once per test process: ava runs a file's tests concurrently, and connections are limited. */
const MAX_OPEN = 8;

let reachable: Promise<void> | undefined;

/** Rejects with a clear message when PostgreSQL cannot be reached (call it in `test.before`). */
export function requirePostgres(): Promise<void> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
    } catch (err) {
      throw new Error(
        `these tests need PostgreSQL, which is not reachable at ${POSTGRES_URL} (${(err as Error).message}). ` +
          "Start it (on the development machines: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) " +
          "or point PALAVER_TEST_POSTGRES_URL at one.",
      );
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

/** A schema name no other test uses. */
export function randomSchema(): string {
  return `palaver_test_${randomBytes(8).toString("hex")}`;
}

/** Run `fn` with a connection of its own (search_path set to `schema` when given). */
export async function withClient<T>(fn: (c: pg.Client) => Promise<T>, schema?: string): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    if (schema !== undefined) await client.query("SELECT set_config('search_path', $1, false)", [quoteIdent(schema)]);
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`));
}

let open = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<() => void> {
  if (open >= MAX_OPEN) await new Promise<void>((resolve) => waiting.push(resolve));
  else open++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = waiting.shift();
    if (next) next(); // the slot passes on
    else open--;
  };
}

/**
 * A storage on a new schema (or `options.schema`), empty and migrated; closing it also drops the schema unless
 * `keep` is set (to reopen it: then call dropSchema yourself).
 */
export async function openTestStorage(
  options: Partial<PostgresOptions> & { keep?: boolean } = {},
): Promise<Storage & { schema: string }> {
  await requirePostgres();
  const release = await slot();
  const schema = options.schema ?? randomSchema();
  let storage: Storage;
  try {
    storage = await openPostgresStorage({ url: POSTGRES_URL, poolSize: 4, ...options, schema });
  } catch (err) {
    release();
    if (!options.keep) await dropSchema(schema).catch(() => {});
    throw err;
  }
  const close = storage.close.bind(storage);
  return Object.assign(storage, {
    schema,
    async close() {
      try {
        await close();
        if (!options.keep) await dropSchema(schema);
      } finally {
        release();
      }
    },
  });
}
