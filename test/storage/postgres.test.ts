/**
 * The PostgreSQL driver: the storage contract against a real PostgreSQL, migrations (versioned, transactional, safe
 * with two processes starting at once), concurrency, replace, deletes larger than one statement, query plans.
 * Every storage is on a schema of its own (test/helpers/postgres.ts).
 */
import test from "ava";
import type pg from "pg";
import {
  MIGRATIONS,
  SchemaTooNewError,
  migrate,
  openPostgresStorage,
  schemaVersion,
  type Migration,
} from "../../src/storage/postgres/index.js";
import type { ArchiveAppendTo, ArchivePage, Storage } from "../../src/storage/types.js";
import { POSTGRES_URL, dropSchema, openTestStorage, randomSchema, requirePostgres, withClient } from "../helpers/postgres.js";
import { storageContract } from "./contract.js";

test.before(requirePostgres);

storageContract(test, "postgres", () => openTestStorage());

const CREDS = {
  "SCRAM-SHA-1": { salt: "c2FsdA==", iterations: 4096, storedKey: "a2V5MQ==", serverKey: "a2V5Mg==" },
  "SCRAM-SHA-256": { salt: "c2FsdDI=", iterations: 4096, storedKey: "a2V5Mw==", serverKey: "a2V5NA==" },
};

async function withStorage<T>(s: Storage | Promise<Storage>, fn: (s: Storage) => Promise<T>): Promise<T> {
  const storage = await s;
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

/** A schema name for the test, dropped when it ends. */
function schemaFor(t: { teardown(fn: () => Promise<void>): void }): string {
  const schema = randomSchema();
  t.teardown(() => dropSchema(schema));
  return schema;
}

function page(p: ArchivePage): { ids: string[]; values: unknown[]; count: number; complete: boolean } {
  if (!p.ok) throw new Error(`expected a page, got ${p.error}`);
  return { ids: p.items.map((i) => i.id), values: p.items.map((i) => i.value), count: p.count, complete: p.complete };
}

// ---- opening and migrations ----

test("a new schema is created and migrated to the latest version", async (t) => {
  const schema = schemaFor(t);
  await withStorage(openTestStorage({ schema, keep: true }), async () => {});
  await withClient(async (c) => {
    t.is(await schemaVersion(c, schema), MIGRATIONS.length);
    const tables = (await c.query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1", [schema])).rows.map((r) => r.t);
    for (const name of ["palaver_migrations", "accounts", "keyval", "map", "archive", "archive_counts", "archive_owners"]) {
      t.true(tables.includes(name), name);
    }
    const rows = (await c.query("SELECT version, name FROM palaver_migrations ORDER BY version")).rows;
    t.deepEqual(rows, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  }, schema);
});

test("reopening keeps every kind of data and does not migrate again", async (t) => {
  const schema = schemaFor(t);
  const ids = await withStorage(openTestStorage({ schema, keep: true }), async (s) => {
    await s.accounts.create("example.com", "alice", CREDS);
    await s.keyval("roster/version").set("alice@example.com", { v: 3 });
    await s.map("roster/items").set("alice@example.com", "bob@example.com", { name: "Bob" });
    const a = s.archive("mam/archive");
    return [
      await a.append("alice@example.com", { when: 1000, with: "bob@example.com", value: "one", text: "persistent words" }),
      await a.append("alice@example.com", { when: 2000, with: "bob@example.com", value: "two" }),
    ];
  });
  const applied = () => withClient(async (c) => (await c.query("SELECT version, applied_at FROM palaver_migrations")).rows, schema);
  const before = await applied();
  await withStorage(openTestStorage({ schema, keep: true }), async (s) => {
    t.deepEqual(await s.accounts.get("example.com", "alice"), CREDS);
    t.deepEqual(await s.keyval("roster/version").get("alice@example.com"), { v: 3 });
    t.deepEqual(await s.map("roster/items").get("alice@example.com", "bob@example.com"), { name: "Bob" });
    const a = s.archive("mam/archive");
    t.deepEqual(await a.query("alice@example.com", { before: "", limit: 1 }), {
      ok: true,
      items: [{ id: ids[1]!, when: 2000, with: "bob@example.com", value: "two" }],
      complete: false,
      count: 2,
    });
    t.deepEqual(page(await a.query("alice@example.com", { fulltext: "persistent" })).ids, [ids[0]]);
  });
  t.deepEqual(await applied(), before);
});

test("two processes opening a new schema at once: one migrates, the other waits and finds it done", async (t) => {
  const schema = schemaFor(t);
  const opened = await Promise.all([0, 1, 2, 3].map(() => openPostgresStorage({ url: POSTGRES_URL, schema, poolSize: 1 })));
  try {
    await Promise.all(opened.map((s, i) => s.keyval("test/kv").set(`owner${i}`, i)));
    t.deepEqual(await opened[0]!.keyval("test/kv").get("owner3"), 3, "they share one set of tables");
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
  const count = await withClient(async (c) => (await c.query("SELECT count(*)::int AS n FROM palaver_migrations")).rows[0].n, schema);
  t.is(count, MIGRATIONS.length);
});

test("a schema from a newer Palaver is refused with a clear error and left untouched", async (t) => {
  const schema = schemaFor(t);
  await withStorage(openTestStorage({ schema, keep: true }), async () => {});
  const newer = MIGRATIONS.length + 5;
  await withClient((c) => c.query("INSERT INTO palaver_migrations (version, name) VALUES ($1, 'from the future')", [newer]), schema);
  const err = await t.throwsAsync(openPostgresStorage({ url: POSTGRES_URL, schema }), { instanceOf: SchemaTooNewError });
  t.is(err?.code, "schema-too-new");
  t.is(err?.found, newer);
  t.is(err?.known, MIGRATIONS.length);
  t.true(err?.message.includes(`schema ${schema}`));
  t.regex(err?.message ?? "", new RegExp(`schema version ${newer}.*up to ${MIGRATIONS.length}`));
  t.is(await withClient((c) => schemaVersion(c, schema)), newer);
});

test("without a schema option the connection's current schema is used; without one, a clear error", async (t) => {
  const schema = schemaFor(t);
  const url = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const err = await t.throwsAsync(openPostgresStorage({ url }));
  t.regex(err?.message ?? "", /no current schema/);
  await withClient((c) => c.query(`CREATE SCHEMA ${schema}`));
  await withStorage(openPostgresStorage({ url }), async (s) => {
    await s.keyval("test/kv").set("alice@example.com", 1);
  });
  t.is(await withClient((c) => schemaVersion(c, schema)), MIGRATIONS.length);
  const value = await withClient(async (c) => (await c.query("SELECT value FROM keyval")).rows[0].value, schema);
  t.is(value, "1");
});

const STEPS: Migration[] = [
  { version: 1, name: "t1", up: "CREATE TABLE t1 (x integer); INSERT INTO t1 VALUES (1);" },
  { version: 2, name: "t2", up: "CREATE TABLE t2 (y text); INSERT INTO t1 VALUES (2);" },
];

/** A connection whose search_path is a new schema (dropped at the end), as the driver's connections have. */
async function withSchemaClient(t: { teardown(fn: () => Promise<void>): void }, fn: (c: pg.Client, schema: string) => Promise<void>) {
  const schema = schemaFor(t);
  await withClient((c) => fn(c, schema), schema);
}

test("migrate applies pending migrations in order, from any version, and is idempotent", async (t) => {
  await withSchemaClient(t, async (c, schema) => {
    t.deepEqual(await migrate(c, "test", schema, STEPS.slice(0, 1)), { from: 0, to: 1 });
    t.deepEqual(await migrate(c, "test", schema, STEPS), { from: 1, to: 2 });
    t.deepEqual(await migrate(c, "test", schema, STEPS), { from: 2, to: 2 });
    t.is(await schemaVersion(c, schema), 2);
    t.deepEqual((await c.query("SELECT x FROM t1 ORDER BY x")).rows, [{ x: 1 }, { x: 2 }], "each ran exactly once");
  });
});

test("a failing migration rolls back every pending one and its version", async (t) => {
  await withSchemaClient(t, async (c, schema) => {
    const broken: Migration[] = [...STEPS, { version: 3, name: "broken", up: "CREATE TABLE t3 (z integer); NOT SQL AT ALL;" }];
    await t.throwsAsync(migrate(c, "test", schema, broken), {
      message: new RegExp(`schema ${schema}: migration 3 \\(broken\\) failed, nothing was changed: syntax error`),
    });
    t.is(await schemaVersion(c, schema), 0);
    const tables = (await c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", [schema])).rows;
    t.deepEqual(tables, []);
  });
});

test("migrations must be numbered 1, 2, 3 without gaps", async (t) => {
  await withSchemaClient(t, async (c, schema) => {
    await t.throwsAsync(migrate(c, "test", schema, [STEPS[0]!, { ...STEPS[1]!, version: 3 }]), { message: /expected 2/ });
    t.is(await schemaVersion(c, schema), 0);
  });
});

// ---- driver specifics ----

test("store names must not be empty; one store object per name", async (t) => {
  await withStorage(openTestStorage(), async (s) => {
    t.throws(() => s.keyval(""));
    t.throws(() => s.map(""));
    t.throws(() => s.archive(""));
    t.is(s.archive("mam/archive"), s.archive("mam/archive"));
  });
});

test("bad arguments are bugs and throw", async (t) => {
  await withStorage(openTestStorage(), async (s) => {
    const a = s.archive("mam/archive");
    await t.throwsAsync(a.append("alice@example.com", { id: "", value: 1 }));
    await t.throwsAsync(a.append("alice@example.com", { when: Number.NaN, value: 1 }));
    await t.throwsAsync(a.query("alice@example.com", { limit: -1 }), { instanceOf: RangeError });
    await t.throwsAsync(a.query("alice@example.com", { limit: 1.5 }), { instanceOf: RangeError });
  });
});

test("a closed storage rejects further work", async (t) => {
  const s = await openTestStorage();
  await s.close();
  await t.throwsAsync(s.keyval("test/kv").get("alice@example.com"), { message: /closed/ });
});

test("closing lets work under way finish, including what it leads to", async (t) => {
  const schema = schemaFor(t);
  const s = await openTestStorage({ schema, keep: true });
  const kv = s.keyval("test/kv");
  // A read, then a write that depends on it: begun before close, both must land.
  const work = (async () => {
    const v = await kv.get("alice@example.com");
    await kv.set("alice@example.com", { seen: v === undefined });
  })();
  await s.close();
  await work;
  await withStorage(openTestStorage({ schema, keep: true }), async (again) => {
    t.deepEqual(await again.keyval("test/kv").get("alice@example.com"), { seen: true });
  });
});

test("appendMany is one statement, whatever the number of items and owners", async (t) => {
  const statements: string[] = [];
  await withStorage(openTestStorage({ trace: (sql) => statements.push(sql) }), async (s) => {
    const items: ArchiveAppendTo[] = [];
    for (let i = 0; i < 500; i++) {
      items.push({ owner: `u${i % 7}@example.com`, item: { when: i, with: `c${i % 3}@example.com`, value: { i }, text: `word${i}` } });
    }
    statements.length = 0;
    const ids = await s.archive("mam/archive").appendMany!(items);
    t.is(ids.length, 500);
    t.is(statements.length, 1);
    const p = page(await s.archive("mam/archive").query("u3@example.com", { with: "c1@example.com", limit: 0 }));
    t.is(p.count, items.filter((x) => x.owner === "u3@example.com" && x.item.with === "c1@example.com").length);
  });
});

test("replace keeps id, time, with and place; its text replaces the old in the full-text index", async (t) => {
  await withStorage(openTestStorage(), async (s) => {
    const a = s.archive("mam/archive");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await a.append("alice@example.com", { when: 1000 + i, with: "bob@example.com", value: { i }, text: `original ${i}` }));
    t.true(await a.replace("alice@example.com", ids[1]!, { retracted: true }, "tombstone"));
    const p = await a.query("alice@example.com", {});
    t.deepEqual(p.ok && p.items[1], { id: ids[1], when: 1001, with: "bob@example.com", value: { retracted: true } });
    t.deepEqual(page(await a.query("alice@example.com", { fulltext: "original" })).ids, [ids[0], ids[2]]);
    t.deepEqual(page(await a.query("alice@example.com", { fulltext: "tombstone" })).ids, [ids[1]]);
    t.true(await a.replace("alice@example.com", ids[1]!, "no text any more"));
    t.deepEqual(page(await a.query("alice@example.com", { fulltext: "tombstone" })).ids, []);
    t.false(await a.replace("alice@example.com", "no-such-id", 1));
    t.false(await a.replace("bob@example.com", ids[0]!, 1), "another owner's item");
    t.is(page(await a.query("alice@example.com", { limit: 0 })).count, 3);
  });
});

test("full text: words of several parts are phrases; marks, case and long texts", async (t) => {
  await withStorage(openTestStorage(), async (s) => {
    const a = s.archive("mam/archive");
    const texts = [
      "write an e-mail to bob@example.com",
      "e and then mail",
      "ÉCOLE Ωμέγα naïve",
      `${"lorem ipsum ".repeat(20_000)}needle`,
      `${"x".repeat(3000)} short`,
    ];
    for (const [i, text] of texts.entries()) await a.append("alice@example.com", { value: i, text });
    const found = async (q: string) => page(await a.query("alice@example.com", { fulltext: q })).values;
    t.deepEqual(await found("e-mail"), [0], "a phrase, not two words anywhere");
    t.deepEqual(await found("e mail"), [0, 1]);
    t.deepEqual(await found("bob@example.com"), [0]);
    t.deepEqual(await found("example.c*"), [0]);
    t.deepEqual(await found("ecole OMEGA"), [], "Greek omega is not o-m-e-g-a");
    t.deepEqual(await found("école ωμεγα naive"), [2]);
    t.deepEqual(await found("needle"), [3], "the end of a long text is indexed");
    t.deepEqual(await found("short"), [4], "a word too long to index does not stop the others");
    t.deepEqual(await found("x".repeat(3000)), [], "nor can it be found");
  });
});

test("full text: pages are right whether the nearest items hold enough matches or the index must be read", async (t) => {
  await withStorage(openTestStorage(), async (s) => {
    const a = s.archive("mam/archive");
    const items: ArchiveAppendTo[] = [];
    for (let i = 0; i < 3000; i++) {
      const words = ["every", i < 10 ? "early" : "", i >= 2990 ? "late" : "", i < 10 || i >= 2990 ? "edges" : ""];
      items.push({ owner: "alice@example.com", item: { when: i, value: i, text: words.join(" ") } });
    }
    await a.appendMany!(items);
    const search = async (fulltext: string, q: object) => page(await a.query("alice@example.com", { fulltext, ...q }));
    let p = await search("every", { before: "", limit: 5 });
    t.deepEqual(p.values, [2995, 2996, 2997, 2998, 2999], "found among the nearest items");
    t.false(p.complete);
    t.is(p.count, 3000);
    p = await search("early", { before: "", limit: 5 });
    t.deepEqual(p.values, [5, 6, 7, 8, 9], "none among the nearest: the index");
    t.is(p.count, 10);
    p = await search("edges", { before: "", limit: 15 });
    t.deepEqual(p.values, [5, 6, 7, 8, 9, 2990, 2991, 2992, 2993, 2994, 2995, 2996, 2997, 2998, 2999], "some among the nearest");
    t.false(p.complete);
    p = await search("late", { limit: 3 });
    t.deepEqual(p.values, [2990, 2991, 2992], "forward: the oldest items are the nearest");
    const first = (await search("every", { limit: 1 })).ids[0]!;
    p = await search("edges", { after: first, limit: 12 });
    t.deepEqual(p.values, [1, 2, 3, 4, 5, 6, 7, 8, 9, 2990, 2991, 2992]);
    t.is(p.count, 20);
  });
});

test("deletes larger than one statement remove everything and keep counts right", async (t) => {
  await withStorage(openTestStorage(), async (s) => {
    const a = s.archive("mam/archive");
    const items: ArchiveAppendTo[] = [];
    for (let i = 0; i < 4500; i++) {
      items.push({ owner: "alice@example.com", item: { when: i, with: `c${i % 3}@example.com`, value: i, text: `w${i}` } });
      if (i < 2500) items.push({ owner: "bob@example.com", item: { when: i, value: i } });
    }
    await a.appendMany!(items);
    t.is(await a.delete("alice@example.com", 4100), 4100);
    t.is(page(await a.query("alice@example.com", { limit: 0 })).count, 400);
    t.is(page(await a.query("alice@example.com", { with: "c1@example.com", limit: 0 })).count, 133);
    t.is(page(await a.query("alice@example.com", { fulltext: "w4099" })).count, 0);
    t.is(await a.expire(10_000), 400 + 2500);
    t.is(page(await a.query("bob@example.com", { limit: 0 })).count, 0);
  });
});

test("an owner's time bookkeeping records how far back items were appended, and goes with the last item", async (t) => {
  const schema = schemaFor(t);
  await withStorage(openTestStorage({ schema, keep: true }), async (s) => {
    const a = s.archive("mam/archive");
    await a.append("alice@example.com", { when: 2000, value: 1 });
    await a.append("alice@example.com", { when: 3000, value: 2 });
    await a.append("alice@example.com", { when: 1500, value: 3 }); // appended 1500 ms back in time
    await a.appendMany!([
      { owner: "alice@example.com", item: { when: 2500, value: 4 } },
      { owner: "bob@example.com", item: { when: 1000, value: 5 } },
      { owner: "carol@example.com", item: { when: 900, value: 6 } },
      { owner: "carol@example.com", item: { when: 700, value: 7 } }, // 200 ms back within one batch
    ]);
    const owners = () => withClient(async (c) =>
      (await c.query("SELECT owner, max_when, disorder FROM archive_owners ORDER BY owner")).rows, schema);
    t.deepEqual(await owners(), [
      { owner: "alice@example.com", max_when: 3000, disorder: 1500 },
      { owner: "bob@example.com", max_when: 1000, disorder: 0 },
      { owner: "carol@example.com", max_when: 900, disorder: 200 },
    ]);
    await a.delete("alice@example.com", 2200);
    t.is((await owners())[0].disorder, 1500, "items remain: the bookkeeping stays");
    await a.delete("alice@example.com");
    await a.delete("carol@example.com");
    t.deepEqual(await owners(), [{ owner: "bob@example.com", max_when: 1000, disorder: 0 }]);
    const counts = await withClient(async (c) => (await c.query("SELECT owner, with_jid, n::int FROM archive_counts")).rows, schema);
    t.deepEqual(counts, [{ owner: "bob@example.com", with_jid: "", n: 1 }]);
  });
});

test("concurrent appends from several nodes: a reader paging forward from its last item misses none", async (t) => {
  const schema = schemaFor(t);
  const nodes = await Promise.all([0, 1, 2].map(() => openTestStorage({ schema, keep: true, poolSize: 3 })));
  const reader = await openTestStorage({ schema, keep: true, poolSize: 1 });
  t.teardown(async () => {
    await Promise.all([...nodes, reader].map((s) => s.close()));
  });
  const owner = "room@muc.example.com";
  let writing = true;
  const writers = nodes.map(async (s, n) => {
    const a = s.archive("muc/archive");
    for (let i = 0; i < 60; i++) {
      await Promise.all([0, 1].map((k) =>
        k === 0
          ? a.append(owner, { value: `${n}-${i}`, with: `n${n}@example.com` })
          : a.appendMany!([{ owner, item: { value: `${n}-${i}-a` } }, { owner: "other@example.com", item: { value: 0 } }, { owner, item: { value: `${n}-${i}-b` } }])));
    }
  });
  const seen: string[] = [];
  const reading = (async () => {
    const a = reader.archive("muc/archive");
    let after: string | undefined;
    for (;;) {
      const done = !writing;
      const p = page(await a.query(owner, after === undefined ? { limit: 25 } : { after, limit: 25 }));
      seen.push(...p.ids);
      if (p.ids.length > 0) after = p.ids.at(-1);
      if (p.complete && done) return;
    }
  })();
  await Promise.all(writers);
  writing = false;
  await reading;
  const all = page(await reader.archive("muc/archive").query(owner, {}));
  t.is(all.count, 3 * 60 * 3);
  t.deepEqual(seen, all.ids, "every item, in archive order, each once");
  const batches = all.values.filter((v) => String(v).endsWith("-a")).map((v) => all.values.indexOf(String(v).replace(/-a$/, "-b")) - all.values.indexOf(v));
  t.true(batches.every((d) => d === 1), "an appendMany's items of one owner stay together");
});

// ---- query plans ----

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

function describe(plan: PlanNode, depth = 0): string {
  const own = `${"  ".repeat(depth)}${plan["Node Type"]}${plan["Index Name"] ? ` using ${plan["Index Name"]}` : ""}`;
  return [own, ...(plan.Plans ?? []).map((p) => describe(p, depth + 1))].join("\n");
}

test("pages, counts and time ranges of a large owner read through indexes: never a scan, a sort only of matches", async (t) => {
  const schema = schemaFor(t);
  const statements: { sql: string; params: readonly unknown[] }[] = [];
  const s = await openTestStorage({ schema, keep: true, trace: (sql, params) => statements.push({ sql, params }) });
  const alice = "alice@example.com";
  const carol = "carol@example.com";
  const ids: string[] = [];
  let deep = "";
  try {
    const a = s.archive("mam/archive");
    // 30,000 items of alice's among as many of 200 other owners', and 3,000 of carol's whose clock stepped back once.
    const items: ArchiveAppendTo[] = [];
    for (let i = 0; i < 30_000; i++) {
      items.push({ owner: alice, item: { id: `a${i}`, when: 1_000_000 + i, with: `c${i % 7}@example.com`, value: { i }, text: i % 3 ? "common words" : "common and rare words" } });
      items.push({ owner: `u${i % 200}@example.com`, item: { when: 1_000_000 + i, value: { i }, text: "common words" } });
      if (i < 3000) items.push({ owner: carol, item: { when: 2_000_000 + i - (i >= 1500 ? 100 : 0), value: { i } } });
    }
    for (let i = 0; i < items.length; i += 20_000) await a.appendMany!(items.slice(i, i + 20_000));
    for (let i = 0; i < 30_000; i++) ids.push(`a${i}`);
    deep = ids[15_001]!;
    // As autovacuum leaves a table in use: statistics, and the visibility map that lets counts read the index alone.
    await withClient((c) => c.query("VACUUM ANALYZE archive"), schema);

    statements.length = 0;
    for (const q of [
      { before: "", limit: 50 },
      { before: deep, limit: 50 },
      { after: deep, limit: 50 },
      { after: ids[1], before: deep, limit: 50 },
      { with: "c3@example.com", before: "", limit: 20 },
      { with: "c3@example.com", before: deep, limit: 20 },
      { start: 1_010_000, end: 1_020_000, limit: 20 },
      { start: 1_010_000, before: deep, limit: 20 },
      { with: "c3@example.com", end: 1_020_000, before: "", limit: 20 },
      { afterId: ids[100], beforeId: deep, before: "", limit: 20 },
      { fulltext: "rare", before: "", limit: 20 },
      { fulltext: "rare words", before: deep, limit: 20 },
      { fulltext: "common", after: deep, limit: 20 },
    ]) {
      const p = await a.query(alice, q);
      t.true(p.ok && p.items.length > 0 && !p.complete, JSON.stringify(q));
    }
    for (const q of [
      { start: 2_001_000, end: 2_002_000, limit: 20 },
      { start: 2_001_000, before: "", limit: 20 },
      { end: 2_001_000, before: "", limit: 20 },
    ]) {
      const p = await a.query(carol, q);
      t.true(p.ok && p.items.length > 0 && !p.complete, JSON.stringify(q));
    }
  } finally {
    await s.close();
  }
  const reads = statements.filter(({ sql }) => sql.startsWith("SELECT") && /\bFROM archive\b/.test(sql));
  t.true(reads.length >= 20, `${reads.length} statements`);
  await withClient(async (c) => {
    for (const [i, { sql, params }] of reads.entries()) {
      const fulltext = sql.includes("@@");
      // A sort may read the matches of a full-text search, or of a time range once an owner's items were appended
      // out of time order (then the planner weighs (store, owner, when_ms) plus a sort of the range against a walk in
      // seq order, as it should): either costs in proportion to what the count reads anyway.
      const sortable = fulltext || sql.includes("when_ms >=") || sql.includes("when_ms <=");
      // The plan for these values, and the generic plan a prepared statement may switch to after five runs.
      const custom = (await c.query(`EXPLAIN (FORMAT JSON) ${sql}`, [...params])).rows[0]["QUERY PLAN"][0].Plan as PlanNode;
      const plans = [custom];
      if (!fulltext) {
        await c.query("SET plan_cache_mode = force_generic_plan");
        await c.query(`PREPARE s${i} AS ${sql}`);
        const nulls = params.map(() => "NULL").join(", ");
        plans.push((await c.query(`EXPLAIN (FORMAT JSON) EXECUTE s${i}(${nulls})`)).rows[0]["QUERY PLAN"][0].Plan as PlanNode);
        await c.query("RESET plan_cache_mode");
      }
      for (const plan of plans) {
        const all = nodes(plan);
        const shown = `${sql}\n${describe(plan)}`;
        t.false(all.some((n) => n["Node Type"] === "Seq Scan"), shown);
        if (!sortable) t.false(all.some((n) => n["Node Type"] === "Sort" || n["Node Type"] === "Incremental Sort"), shown);
      }
    }
  }, schema);
});
