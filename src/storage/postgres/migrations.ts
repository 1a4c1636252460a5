/**
 * PostgreSQL schema, as numbered migrations applied in order at open. Applied versions are rows of
 * `palaver_migrations`; all pending migrations run in one transaction together with their rows, so a schema is either
 * fully upgraded or untouched. The transaction first takes an advisory lock named after the schema: when two Palaver
 * processes start at once, the second waits, then finds nothing left to do.
 * Never edit a released migration: add the next number.
 */
import type pg from "pg";

export interface Migration {
  /** 1, 2, 3, ... without gaps. */
  version: number;
  name: string;
  /** SQL script (several statements, no parameters). */
  up: string;
}

/** First key of the advisory lock that serialises migrations ("PALV"); the second is the schema name's hash. */
const LOCK_CLASS = 0x50414c56;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "accounts, keyval, map, archive with full-text index",
    up: `
      -- Keys compare as bytes (COLLATE "C"), as in SQLite: map keys and account lists come back in that order.
      CREATE TABLE accounts (
        domain      text COLLATE "C" NOT NULL,
        username    text COLLATE "C" NOT NULL,
        credentials text NOT NULL,                 -- JSON StoredCredentials
        created     bigint NOT NULL,               -- ms since the epoch
        PRIMARY KEY (domain, username)
      );

      CREATE TABLE keyval (
        store text COLLATE "C" NOT NULL,
        owner text COLLATE "C" NOT NULL,
        value text NOT NULL,                       -- JSON (text, not jsonb: kept exactly, \\u0000 included)
        PRIMARY KEY (store, owner)
      );

      CREATE TABLE map (
        store text COLLATE "C" NOT NULL,
        owner text COLLATE "C" NOT NULL,
        key   text COLLATE "C" NOT NULL,
        value text NOT NULL,                       -- JSON
        PRIMARY KEY (store, owner, key)
      );

      -- seq is archive order (insertion order) and the key every page is read by: each index below ends with it, so
      -- "seq < $n ORDER BY seq DESC LIMIT n" is a seek plus n steps at any depth. There is no index on seq alone:
      -- the planner could walk it backwards for an owner with most of the rows, and filter through everyone else's.
      CREATE TABLE archive (
        seq      bigint GENERATED ALWAYS AS IDENTITY,
        store    text COLLATE "C" NOT NULL,
        owner    text COLLATE "C" NOT NULL,
        id       text COLLATE "C" NOT NULL,
        when_ms  double precision NOT NULL,        -- ms since the epoch
        with_jid text COLLATE "C" NOT NULL,
        value    text NOT NULL,                    -- JSON
        words    tsvector,                         -- text-search.ts; NULL when the item has no text
        CONSTRAINT archive_owner PRIMARY KEY (store, owner, seq)
      );
      CREATE UNIQUE INDEX archive_id ON archive (store, id);
      CREATE INDEX archive_owner_with ON archive (store, owner, with_jid, seq);
      CREATE INDEX archive_owner_when ON archive (store, owner, when_ms, seq);
      CREATE INDEX archive_words ON archive USING gin (words);

      -- Item counts per owner and correspondent, so that an RSM <count/> costs no scan.
      CREATE TABLE archive_counts (
        store    text COLLATE "C" NOT NULL,
        owner    text COLLATE "C" NOT NULL,
        with_jid text COLLATE "C" NOT NULL,
        n        bigint NOT NULL,
        PRIMARY KEY (store, owner, with_jid)
      ) WITH (fillfactor = 50);

      -- Per owner: the latest 'when' appended so far, and how far back in time any item was appended after a later
      -- one (0 while every item is appended in timestamp order). Then an item with when < start - disorder, or
      -- when > end + disorder, bounds the seq range of a time filter: two seeks on (store, owner, when_ms).
      -- Appends lock the owner's row before their items get a seq, so one owner's seqs are in commit order.
      CREATE TABLE archive_owners (
        store    text COLLATE "C" NOT NULL,
        owner    text COLLATE "C" NOT NULL,
        max_when double precision NOT NULL,
        disorder double precision NOT NULL,
        PRIMARY KEY (store, owner)
      ) WITH (fillfactor = 50);

      -- Append items (several owners of one store, in array order), atomically, in one statement. First the owners'
      -- rows are locked, in owner order (no two batches deadlock), and updated: appends to one owner are serialised,
      -- so no item ever gets a smaller seq than one committed before it, and a client paging forward from its last
      -- item cannot miss one. Then the items, then the counters.
      CREATE FUNCTION archive_append(
        p_store text, p_owners text[], p_ids text[], p_whens double precision[], p_withs text[], p_values text[],
        p_words tsvector[]
      ) RETURNS void LANGUAGE plpgsql AS $fn$
      BEGIN
        INSERT INTO archive_owners AS o (store, owner, max_when, disorder)
          SELECT p_store, b.owner, max(b.when_ms), max(b.back)
          FROM (
            SELECT u.owner, u.when_ms,
              greatest(max(u.when_ms) OVER (PARTITION BY u.owner ORDER BY u.ord
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - u.when_ms, 0) AS back
            FROM unnest(p_owners, p_whens) WITH ORDINALITY AS u(owner, when_ms, ord)
          ) b
          GROUP BY b.owner
          ORDER BY b.owner
        ON CONFLICT (store, owner) DO UPDATE SET
          disorder = greatest(o.disorder, excluded.disorder,
            o.max_when - (SELECT min(u.when_ms) FROM unnest(p_owners, p_whens) AS u(owner, when_ms)
                          WHERE u.owner = excluded.owner)),
          max_when = greatest(o.max_when, excluded.max_when);

        INSERT INTO archive (store, owner, id, when_ms, with_jid, value, words)
          SELECT p_store, u.owner, u.id, u.when_ms, u.with_jid, u.value, u.words
          FROM unnest(p_owners, p_ids, p_whens, p_withs, p_values, p_words)
            WITH ORDINALITY AS u(owner, id, when_ms, with_jid, value, words, ord)
          ORDER BY u.ord;

        INSERT INTO archive_counts AS c (store, owner, with_jid, n)
          SELECT p_store, u.owner, u.with_jid, count(*)
          FROM unnest(p_owners, p_withs) AS u(owner, with_jid)
          GROUP BY u.owner, u.with_jid
          ORDER BY u.owner, u.with_jid
        ON CONFLICT (store, owner, with_jid) DO UPDATE SET n = c.n + excluded.n;
      END
      $fn$;

      -- Remove up to p_limit of one owner's items (those older than p_before, or any when it is NULL) and return how
      -- many. Locks the owner's row first, as appends do; drops zeroed counters, and the owner's row with the last item.
      -- The seqs are collected once into an array (= ANY (ARRAY(...))): as "seq IN (subquery)" a plan made without
      -- statistics could run the subquery once per row.
      CREATE FUNCTION archive_delete(p_store text, p_owner text, p_before double precision, p_limit integer)
      RETURNS bigint LANGUAGE plpgsql AS $fn$
      DECLARE
        removed bigint;
      BEGIN
        PERFORM 1 FROM archive_owners WHERE store = p_store AND owner = p_owner FOR UPDATE;
        IF NOT FOUND THEN
          RETURN 0;
        END IF;
        IF p_before IS NULL THEN
          WITH gone AS (
            DELETE FROM archive WHERE store = p_store AND owner = p_owner AND seq = ANY (ARRAY(
              SELECT seq FROM archive WHERE store = p_store AND owner = p_owner LIMIT p_limit))
            RETURNING with_jid
          ), per AS (
            SELECT with_jid, count(*) AS n FROM gone GROUP BY with_jid
          ), counted AS (
            UPDATE archive_counts c SET n = c.n - per.n FROM per
            WHERE c.store = p_store AND c.owner = p_owner AND c.with_jid = per.with_jid
          )
          SELECT coalesce(sum(n), 0) INTO removed FROM per;
        ELSE
          WITH gone AS (
            DELETE FROM archive WHERE store = p_store AND owner = p_owner AND seq = ANY (ARRAY(
              SELECT seq FROM archive WHERE store = p_store AND owner = p_owner AND when_ms < p_before LIMIT p_limit))
            RETURNING with_jid
          ), per AS (
            SELECT with_jid, count(*) AS n FROM gone GROUP BY with_jid
          ), counted AS (
            UPDATE archive_counts c SET n = c.n - per.n FROM per
            WHERE c.store = p_store AND c.owner = p_owner AND c.with_jid = per.with_jid
          )
          SELECT coalesce(sum(n), 0) INTO removed FROM per;
        END IF;
        IF removed > 0 THEN
          DELETE FROM archive_counts WHERE store = p_store AND owner = p_owner AND n <= 0;
          DELETE FROM archive_owners WHERE store = p_store AND owner = p_owner
            AND NOT EXISTS (SELECT 1 FROM archive_counts WHERE store = p_store AND owner = p_owner);
        END IF;
        RETURN removed;
      END
      $fn$;
    `,
  },
];

/** Thrown at open when the schema was written by a newer Palaver: running on would risk corrupting it. */
export class SchemaTooNewError extends Error {
  readonly code = "schema-too-new";
  constructor(readonly where: string, readonly found: number, readonly known: number) {
    super(
      `${where} has schema version ${found}, but this Palaver knows versions up to ${known}; ` +
        `upgrade Palaver, or restore a backup made before the upgrade`,
    );
    this.name = "SchemaTooNewError";
  }
}

/** Quote an identifier (a schema name) for SQL: identifiers cannot be parameters. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The schema version of `schema` (the connection's current schema when undefined); 0 when not migrated yet. */
export async function schemaVersion(client: pg.ClientBase, schema?: string): Promise<number> {
  const target = schema ?? (await currentSchema(client));
  const exists = await client.query<{ t: string | null }>(
    "SELECT to_regclass(format('%I.palaver_migrations', $1::text))::text AS t", [target]);
  if (exists.rows[0]?.t === null) return 0;
  const r = await client.query<{ v: number }>(
    `SELECT coalesce(max(version), 0)::int AS v FROM ${quoteIdent(target)}.palaver_migrations`);
  return r.rows[0]!.v;
}

async function currentSchema(client: pg.ClientBase): Promise<string> {
  const r = await client.query<{ s: string | null }>("SELECT current_schema() AS s");
  const s = r.rows[0]?.s;
  if (s === null || s === undefined) {
    throw new Error("the connection has no current schema (no schema of its search_path exists): name one with `schema`");
  }
  return s;
}

/**
 * Bring `schema` (created when missing; the connection's current schema when undefined) up to the last version in
 * `migrations`, on `client`, whose search_path must name that schema first. Returns the versions before and after.
 * Throws SchemaTooNewError when the schema is newer than the last known migration; `where` names the database in
 * messages.
 */
export async function migrate(
  client: pg.ClientBase,
  where: string,
  schema?: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<{ from: number; to: number }> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  const known = migrations.length;
  await client.query("BEGIN");
  try {
    const target = schema ?? (await currentSchema(client));
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_CLASS, target]);
    // Only when missing: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even then.
    const found = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [target]);
    if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(target)}`);
    await client.query(`SET LOCAL search_path TO ${quoteIdent(target)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(target)}.palaver_migrations (
         version    integer PRIMARY KEY,
         name       text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`);
    const from = await schemaVersion(client, target);
    if (from > known) throw new SchemaTooNewError(`${where} schema ${target}`, from, known);
    for (const m of migrations.slice(from)) {
      try {
        await client.query(m.up);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(
          `${where} schema ${target}: migration ${m.version} (${m.name}) failed, nothing was changed: ${why}`,
          { cause: err });
      }
      await client.query(`INSERT INTO ${quoteIdent(target)}.palaver_migrations (version, name) VALUES ($1, $2)`,
        [m.version, m.name]);
    }
    await client.query("COMMIT");
    return { from, to: Math.max(from, known) };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}
