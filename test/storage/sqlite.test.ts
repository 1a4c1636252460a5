/** The SQLite driver: the storage contract in memory and on disk, migrations, chunked deletes, query plans. */
import test from "ava";
import Database from "better-sqlite3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  MIGRATIONS,
  SchemaTooNewError,
  migrate,
  openSqliteStorage,
  schemaVersion,
  type Migration,
} from "../../src/storage/sqlite/index.js";
import type { Storage } from "../../src/storage/types.js";
import { storageContract } from "./contract.js";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "palaver-storage-"));
let fileNo = 0;
/** A database path in a fresh temporary directory. */
function tempDb(): string {
  const dir = fs.mkdtempSync(path.join(tmpRoot, `db${++fileNo}-`));
  return path.join(dir, "palaver.db");
}
test.after.always(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

storageContract(test, "sqlite :memory:", async () => openSqliteStorage(":memory:"));
storageContract(test, "sqlite file", async () => openSqliteStorage(tempDb()));

const CREDS = {
  "SCRAM-SHA-1": { salt: "c2FsdA==", iterations: 4096, storedKey: "a2V5MQ==", serverKey: "a2V5Mg==" },
  "SCRAM-SHA-256": { salt: "c2FsdDI=", iterations: 4096, storedKey: "a2V5Mw==", serverKey: "a2V5NA==" },
};

async function withStorage<T>(s: Storage, fn: (s: Storage) => Promise<T>): Promise<T> {
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

// ---- opening and migrations ----

test("background checkpoints copy the WAL into the database file; closing stops them and removes the WAL", async (t) => {
  const file = tempDb();
  const s = openSqliteStorage(file, { backgroundCheckpoints: true });
  try {
    const a = s.archive("mam/archive");
    for (let i = 0; i < 200; i++) await a.append("alice@example.com", { value: i, text: `word${i}` });
    // Far fewer frames than the automatic checkpoint's threshold: only the worker copies them this soon.
    const copied = async () => fs.statSync(file).size > 64 * 1024;
    let ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ok = await copied();
    }
    t.true(ok, "the database file holds what was committed");
    const p = await a.query("alice@example.com", { fulltext: "word199" });
    t.true(p.ok && p.items.length === 1);
  } finally {
    await s.close();
  }
  t.false(fs.existsSync(`${file}-wal`), "the last connection closed cleans the WAL up");
});

test("a new file is migrated to the latest version, in WAL mode", async (t) => {
  const file = tempDb();
  await openSqliteStorage(file).close();
  const raw = new Database(file, { readonly: true });
  try {
    t.is(schemaVersion(raw), MIGRATIONS.length);
    t.is(raw.pragma("journal_mode", { simple: true }), "wal");
    const tables = raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[];
    for (const name of ["accounts", "keyval", "map", "archive", "archive_fts", "archive_counts"]) {
      t.true(tables.includes(name), name);
    }
  } finally {
    raw.close();
  }
});

test("reopening a file keeps every kind of data and does not migrate again", async (t) => {
  const file = tempDb();
  const ids = await withStorage(openSqliteStorage(file), async (s) => {
    await s.accounts.create("example.com", "alice", CREDS);
    await s.keyval("roster/version").set("alice@example.com", { v: 3 });
    await s.map("roster/items").set("alice@example.com", "bob@example.com", { name: "Bob" });
    const a = s.archive("mam/archive");
    return [
      await a.append("alice@example.com", { when: 1000, with: "bob@example.com", value: "one", text: "persistent words" }),
      await a.append("alice@example.com", { when: 2000, with: "bob@example.com", value: "two" }),
    ];
  });
  await withStorage(openSqliteStorage(file), async (s) => {
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
    const found = await a.query("alice@example.com", { fulltext: "persistent" });
    t.true(found.ok && found.items.length === 1 && found.items[0]!.id === ids[0]);
  });
  const raw = new Database(file, { readonly: true });
  t.is(schemaVersion(raw), MIGRATIONS.length);
  raw.close();
});

test("a database from a newer Palaver is refused with a clear error and left untouched", (t) => {
  const file = tempDb();
  openSqliteStorage(file).close();
  const raw = new Database(file);
  raw.pragma(`user_version = ${MIGRATIONS.length + 5}`);
  raw.close();
  const err = t.throws(() => openSqliteStorage(file), { instanceOf: SchemaTooNewError });
  t.is(err?.code, "schema-too-new");
  t.is(err?.found, MIGRATIONS.length + 5);
  t.is(err?.known, MIGRATIONS.length);
  t.true(err?.message.includes(file));
  t.regex(err?.message ?? "", new RegExp(`schema version ${MIGRATIONS.length + 5}.*up to ${MIGRATIONS.length}`));
  const after = new Database(file, { readonly: true });
  t.is(schemaVersion(after), MIGRATIONS.length + 5);
  after.close();
});

test("an unopenable path gives an error naming the file", (t) => {
  const file = path.join(tmpRoot, "no-such-dir", "x", "palaver.db");
  const err = t.throws(() => openSqliteStorage(file));
  t.true(err?.message.includes(file));
});

const STEPS: Migration[] = [
  { version: 1, name: "t1", up: "CREATE TABLE t1 (x INTEGER); INSERT INTO t1 VALUES (1);" },
  { version: 2, name: "t2 by code", up: (db) => db.exec("CREATE TABLE t2 (y TEXT); INSERT INTO t1 VALUES (2);") },
];

test("migrate applies pending migrations in order, from any version, and is idempotent", (t) => {
  const db = new Database(":memory:");
  try {
    t.deepEqual(migrate(db, STEPS.slice(0, 1)), { from: 0, to: 1 });
    t.deepEqual(migrate(db, STEPS), { from: 1, to: 2 });
    t.deepEqual(migrate(db, STEPS), { from: 2, to: 2 });
    t.is(schemaVersion(db), 2);
    t.deepEqual(db.prepare("SELECT x FROM t1 ORDER BY x").pluck().all(), [1, 2], "each ran exactly once");
  } finally {
    db.close();
  }
});

test("a failing migration rolls back every pending one and the version", (t) => {
  const db = new Database(":memory:");
  try {
    const broken: Migration[] = [...STEPS, { version: 3, name: "broken", up: "CREATE TABLE t3 (z); NOT SQL AT ALL;" }];
    t.throws(() => migrate(db, broken), { message: /migration 3 \(broken\) failed, nothing was changed: .*syntax error/ });
    t.is(schemaVersion(db), 0);
    t.deepEqual(db.prepare("SELECT name FROM sqlite_schema").all(), []);
  } finally {
    db.close();
  }
});

test("migrations must be numbered 1, 2, 3 without gaps", (t) => {
  const db = new Database(":memory:");
  try {
    t.throws(() => migrate(db, [STEPS[0]!, { ...STEPS[1]!, version: 3 }]), { message: /expected 2/ });
    t.is(schemaVersion(db), 0);
  } finally {
    db.close();
  }
});

// ---- driver specifics ----

test("store names must not be empty", async (t) => {
  await withStorage(openSqliteStorage(":memory:"), async (s) => {
    t.throws(() => s.keyval(""));
    t.throws(() => s.map(""));
    t.throws(() => s.archive(""));
    t.is(s.archive("mam/archive"), s.archive("mam/archive"), "one store object per name");
  });
});

test("bad arguments are bugs and throw", async (t) => {
  await withStorage(openSqliteStorage(":memory:"), async (s) => {
    const a = s.archive("mam/archive");
    await t.throwsAsync(a.append("alice@example.com", { id: "", value: 1 }));
    await t.throwsAsync(a.append("alice@example.com", { when: Number.NaN, value: 1 }));
    await t.throwsAsync(a.query("alice@example.com", { limit: -1 }), { instanceOf: RangeError });
    await t.throwsAsync(a.query("alice@example.com", { limit: 1.5 }), { instanceOf: RangeError });
  });
});

test("deletes larger than one chunk remove everything and keep counts right", async (t) => {
  await withStorage(openSqliteStorage(":memory:"), async (s) => {
    const a = s.archive("mam/archive");
    for (let i = 0; i < 4500; i++) {
      await a.append("alice@example.com", { when: i, with: `c${i % 3}@example.com`, value: i, text: `w${i}` });
      if (i < 2500) await a.append("bob@example.com", { when: i, value: i });
    }
    t.is(await a.delete("alice@example.com", 4100), 4100);
    let p = await a.query("alice@example.com", { limit: 0 });
    t.true(p.ok && p.count === 400);
    p = await a.query("alice@example.com", { with: "c1@example.com", limit: 0 });
    t.true(p.ok && p.count === 133);
    p = await a.query("alice@example.com", { fulltext: "w4099" });
    t.true(p.ok && p.count === 0);
    t.is(await a.expire(10_000), 400 + 2500);
    p = await a.query("bob@example.com", { limit: 0 });
    t.true(p.ok && p.count === 0);
  });
});

test("an owner's time bookkeeping records how far back items were appended, and goes with the last item", async (t) => {
  const file = tempDb();
  await withStorage(openSqliteStorage(file), async (s) => {
    const a = s.archive("mam/archive");
    await a.append("alice@example.com", { when: 2000, value: 1 });
    await a.append("alice@example.com", { when: 3000, value: 2 });
    await a.append("alice@example.com", { when: 1500, value: 3 }); // appended 1500 ms back in time
    await a.append("alice@example.com", { when: 2500, value: 4 });
    await a.append("bob@example.com", { when: 1000, value: 5 });
    const raw = new Database(file, { readonly: true });
    const owners = () => raw.prepare("SELECT owner, max_when, disorder FROM archives ORDER BY owner").all();
    try {
      t.deepEqual(owners(), [
        { owner: "alice@example.com", max_when: 3000, disorder: 1500 },
        { owner: "bob@example.com", max_when: 1000, disorder: 0 },
      ]);
      await a.delete("alice@example.com", 2200);
      t.is((owners()[0] as { disorder: number }).disorder, 1500, "items remain: the bookkeeping stays");
      await a.delete("alice@example.com");
      t.deepEqual(owners(), [{ owner: "bob@example.com", max_when: 1000, disorder: 0 }]);
      t.deepEqual(raw.prepare(
        "SELECT s.owner, j.jid, c.n FROM archive_counts c JOIN archives s ON s.id = c.archive_id JOIN archive_jids j ON j.id = c.with_id",
      ).all(), [{ owner: "bob@example.com", jid: "", n: 1 }]);
    } finally {
      raw.close();
    }
  });
});

test("appended text is indexed soon, by the next full-text query, or at the next open", async (t) => {
  const file = tempDb();
  const raw = new Database(file, { readonly: false });
  const pending = () => raw.prepare("SELECT count(*) FROM archive_fts_pending").pluck().get();
  const first = openSqliteStorage(file);
  try {
    const a = first.archive("mam/archive");
    await a.append("alice@example.com", { value: 1, text: "first words" });
    t.is(pending(), 1, "committed with the item, indexed later");
    await new Promise((resolve) => setTimeout(resolve, 400));
    t.is(pending(), 0, "indexed by the timer");
    await a.append("alice@example.com", { value: 2, text: "second words" });
    t.is(pending(), 1);
    // another connection (as after a crash of the first) indexes leftovers when it opens
    await withStorage(openSqliteStorage(file), async (second) => {
      t.is(pending(), 0);
      const p = await second.archive("mam/archive").query("alice@example.com", { fulltext: "words", limit: 1 });
      t.true(p.ok && p.count === 2);
    });
    await a.append("alice@example.com", { value: 3, text: "third words" });
    t.is(pending(), 1);
    const p = await a.query("alice@example.com", { fulltext: "third" });
    t.is(pending(), 0, "a full-text query indexes first");
    t.true(p.ok && p.items.length === 1 && p.items[0]!.value === 3);
  } finally {
    await first.close();
    raw.close();
  }
});

test("paging, count and time-range queries read through indexes, never a scan or a sort", async (t) => {
  const file = tempDb();
  const statements: string[] = [];
  await withStorage(openSqliteStorage(file, { trace: (sql) => statements.push(sql) }), async (s) => {
    const a = s.archive("mam/archive");
    const ids: string[] = [];
    for (let i = 0; i < 3000; i++) {
      ids.push(await a.append(i % 2 ? "alice@example.com" : "bob@example.com", {
        when: 1_000_000 + i,
        with: `c${i % 7}@example.com`,
        value: { i },
        text: i % 3 ? "common words" : "common and rare words",
      }));
      // carol's clock stepped back by 100 ms once
      await a.append("carol@example.com", { when: 2_000_000 + i - (i >= 1500 ? 100 : 0), value: { i } });
    }
    statements.length = 0;
    const deep = ids[1501]!;
    for (const q of [
      { before: "", limit: 50 },
      { before: deep, limit: 50 },
      { after: deep, limit: 50 },
      { after: ids[1], before: deep, limit: 50 },
      { with: "c3@example.com", before: "", limit: 20 },
      { with: "c3@example.com", before: deep, limit: 20 },
      { start: 1_001_000, end: 1_002_000, limit: 20 },
      { start: 1_001_000, before: deep, limit: 20 },
      { with: "c3@example.com", end: 1_002_000, before: "", limit: 20 },
      { fulltext: "rare", before: "", limit: 20 },
      { fulltext: "rare words", before: deep, limit: 20 },
      { fulltext: "common", after: deep, limit: 20 },
      { fulltext: "rare", start: 1_001_000, end: 1_002_000, limit: 20 },
    ]) {
      const p = await a.query("alice@example.com", q);
      t.true(p.ok && p.items.length > 0 && !p.complete, JSON.stringify(q));
    }
    for (const q of [
      { start: 2_001_000, end: 2_002_000, limit: 20 },
      { start: 2_001_000, before: "", limit: 20 },
      { end: 2_001_000, before: "", limit: 20 },
    ]) {
      const p = await a.query("carol@example.com", q);
      t.true(p.ok && p.items.length > 0 && !p.complete, JSON.stringify(q));
    }
  });
  const reads = statements.filter((sql) => sql.startsWith("SELECT") && /FROM archive\b/.test(sql));
  t.true(reads.length >= 16);
  const raw = new Database(file, { readonly: true });
  try {
    for (const sql of reads) {
      const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail);
      t.false(plan.some((d) => /^SCAN archive\b|TEMP B-TREE/.test(d)), `${sql}\n  ${plan.join("\n  ")}`);
    }
  } finally {
    raw.close();
  }
});

// ---- migration 2: keyed ids, no time index, counters kept by the writer ----

test("an archive written by schema 1 keeps its items, ids, counts and time filters after migration 2", async (t) => {
  const file = tempDb();
  const v1 = new Database(file);
  v1.pragma("journal_mode = WAL");
  migrate(v1, MIGRATIONS.slice(0, 1));
  // As version 1 wrote them: random ids, counters and owner times by trigger.
  const insert = v1.prepare("INSERT INTO archive (store, owner, id, when_ms, with_jid, value) VALUES (?, ?, ?, ?, ?, ?)");
  for (let i = 0; i < 30; i++) insert.run("mam/archive", "alice@example.com", `old${i}`, 1_000 + i, i % 2 ? "bob@example.com" : "carol@example.com", JSON.stringify({ i }));
  v1.close();

  await withStorage(openSqliteStorage(file), async (s) => {
    const a = s.archive("mam/archive");
    const newer = await a.append("alice@example.com", { id: s.newArchiveId(), when: 2_000, with: "bob@example.com", value: { i: 30 } });
    const all = await a.query("alice@example.com", {});
    t.true(all.ok && all.count === 31);
    t.deepEqual(all.ok && all.items.map((x) => x.id), [...Array.from({ length: 30 }, (_, i) => `old${i}`), newer]);
    const page = await a.query("alice@example.com", { before: "old10", limit: 3 });
    t.deepEqual(page.ok && page.items.map((x) => x.id), ["old7", "old8", "old9"]);
    const after = await a.query("alice@example.com", { after: "old28", limit: 5 });
    t.deepEqual(after.ok && after.items.map((x) => x.id), ["old29", newer]);
    const withBob = await a.query("alice@example.com", { with: "bob@example.com", limit: 0 });
    t.true(withBob.ok && withBob.count === 16);
    const ids = await a.query("alice@example.com", { ids: ["old3", newer, "nope"] });
    t.deepEqual(ids.ok && ids.items.map((x) => x.id), ["old3", newer]);
    const range = await a.query("alice@example.com", { start: 1_010, end: 1_012 });
    t.deepEqual(range.ok && range.items.map((x) => x.id), ["old10", "old11", "old12"]);
    await t.throwsAsync(a.append("alice@example.com", { id: "old5", value: 1 }), { message: /exists already/ });
    await t.throwsAsync(a.append("alice@example.com", { id: newer, value: 1 }), { message: /exists already/ });
  });
});

// ---- migration 3: archives and correspondents by number ----

test("an archive written by schema 2 keeps items, ids, counts, times, pending text and searches after migration 3", async (t) => {
  const file = tempDb();
  const v2 = new Database(file);
  v2.pragma("journal_mode = WAL");
  migrate(v2, MIGRATIONS.slice(0, 2));
  // Written as schema 2 wrote them (archive.ts of that version): ids the store made (by their key) and a caller's
  // own, counters and owner times per batch, text in archive_fts for some items and still pending for others.
  const { ArchiveIdCipher } = await import("../../src/storage/archive-id.js");
  const { scopeToken } = await import("../../src/storage/sqlite/fts-query.js");
  const cipher = new ArchiveIdCipher(v2.prepare("SELECT value FROM archive_meta WHERE name = 'id-key'").pluck().get() as Buffer);
  const insert = v2.prepare(
    "INSERT INTO archive (store, owner, id, idkey, when_ms, with_jid, value) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
  );
  const made: string[] = [];
  const rows: [string, string, string | null, number, string, string][] = [];
  for (let i = 0; i < 20; i++) {
    const id = i === 3 ? "own-id" : cipher.next();
    if (i !== 3) made.push(id);
    rows.push(["alice@example.com", id, i === 3 ? null : "key", 1_000 + (i === 10 ? -500 : i), i % 2 ? "bob@example.com" : "carol@example.com", JSON.stringify({ i })]);
  }
  rows.push(["bob@example.com", cipher.next(), "key", 5_000, "alice@example.com", JSON.stringify({ i: 100 })]);
  for (const [owner, id, key, when, withJid, value] of rows) {
    const seq = insert.pluck().get("mam/archive", owner, id, key === null ? null : cipher.sortKey(id), when, withJid, value) as number;
    const text = `word${seq} shared`;
    const scope = scopeToken("mam/archive", owner);
    if (seq % 2) v2.prepare("INSERT INTO archive_fts (rowid, text, scope) VALUES (?, ?, ?)").run(seq, text, scope);
    else v2.prepare("INSERT INTO archive_fts_pending (seq, text, scope) VALUES (?, ?, ?)").run(seq, text, scope);
  }
  v2.exec(`
    INSERT INTO archive_counts (store, owner, with_jid, n) SELECT store, owner, with_jid, count(*) FROM archive GROUP BY 1, 2, 3;
    INSERT INTO archive_owners (store, owner, max_when, disorder) VALUES
      ('mam/archive', 'alice@example.com', 1019, 509), ('mam/archive', 'bob@example.com', 5000, 0);
  `);
  v2.close();

  await withStorage(openSqliteStorage(file), async (s) => {
    const a = s.archive("mam/archive");
    const all = await a.query("alice@example.com", {});
    t.true(all.ok && all.count === 20);
    t.deepEqual(all.ok && all.items.map((x) => (x.value as { i: number }).i), Array.from({ length: 20 }, (_, i) => i));
    t.is(all.ok && all.items[3]!.id, "own-id");
    t.is(all.ok && all.items[1]!.with, "bob@example.com");
    const page = await a.query("alice@example.com", { before: made[10]!, limit: 3 });
    t.deepEqual(page.ok && page.items.map((x) => x.id), [made[7], made[8], made[9]]);
    t.deepEqual((await a.query("alice@example.com", { after: "own-id", limit: 1 })).ok, true);
    const withBob = await a.query("alice@example.com", { with: "bob@example.com", limit: 0 });
    t.true(withBob.ok && withBob.count === 10, "counters carried over");
    const range = await a.query("alice@example.com", { start: 400, end: 600 });
    t.deepEqual(range.ok && range.items.map((x) => (x.value as { i: number }).i), [10], "the disorder carried over");
    for (const seq of [2, 3]) {
      const hit = await a.query("alice@example.com", { fulltext: `word${seq}` });
      t.true(hit.ok && hit.items.length === 1, `text of item ${seq} (pending or indexed) is found`);
    }
    const shared = await a.query("alice@example.com", { fulltext: "shared", limit: 0 });
    t.true(shared.ok && shared.count === 20, "searches stay within the owner's archive");
    await t.throwsAsync(a.append("alice@example.com", { id: "own-id", value: 1 }), { message: /exists already/ });
    await t.throwsAsync(a.append("bob@example.com", { id: made[0]!, value: 1 }), { message: /exists already/ });
    const later = await a.append("alice@example.com", { when: 2_000, with: "dave@example.com", value: { i: 20 }, text: "fresh" });
    const fresh = await a.query("alice@example.com", { fulltext: "fresh" });
    t.deepEqual(fresh.ok && fresh.items.map((x) => x.id), [later]);
  });
  const raw = new Database(file, { readonly: true });
  try {
    t.is(schemaVersion(raw), 3);
    const tables = raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[];
    t.false(tables.includes("archive_owners"));
    t.deepEqual(raw.prepare("SELECT owner, max_when, disorder FROM archives ORDER BY owner").all(), [
      { owner: "alice@example.com", max_when: 2_000, disorder: 509 },
      { owner: "bob@example.com", max_when: 5_000, disorder: 0 },
    ]);
  } finally {
    raw.close();
  }
});

test("removing an archive's items forgets the archive and the correspondents no other item names", async (t) => {
  const file = tempDb();
  await withStorage(openSqliteStorage(file), async (s) => {
    const a = s.archive("mam/archive");
    await a.append("alice@example.com", { with: "bob@example.com", value: 1 });
    await a.append("alice@example.com", { with: "only-alice-knows@example.com", value: 2 });
    await a.append("carol@example.com", { with: "bob@example.com", value: 3 });
    t.is(await a.delete("alice@example.com"), 2);
    const raw = new Database(file, { readonly: true });
    try {
      t.deepEqual(raw.prepare("SELECT owner FROM archives").pluck().all(), ["carol@example.com"]);
      t.deepEqual(raw.prepare("SELECT jid FROM archive_jids ORDER BY jid").pluck().all(), ["bob@example.com"]);
    } finally {
      raw.close();
    }
    // Both come back when used again, with new numbers.
    await a.append("alice@example.com", { with: "only-alice-knows@example.com", value: 4, text: "again" });
    const p = await a.query("alice@example.com", { with: "only-alice-knows@example.com" });
    t.deepEqual(p.ok && p.items.map((x) => x.value), [4]);
    const found = await a.query("alice@example.com", { fulltext: "again" });
    t.deepEqual(found.ok && found.items.map((x) => x.value), [4]);
  });
});

test("a batch that fails leaves no trace of the archives and correspondents it introduced", async (t) => {
  const file = tempDb();
  await withStorage(openSqliteStorage(file), async (s) => {
    const a = s.archive("mam/archive");
    await a.append("alice@example.com", { id: "taken", value: 0 });
    await t.throwsAsync(a.appendMany!([
      { owner: "new@example.com", item: { with: "stranger@example.com", value: 1 } },
      { owner: "new@example.com", item: { id: "taken", value: 2 } },
    ]), { message: /exists already/ });
    // The same names again, now in a batch that commits; then a second correspondent made after the failure.
    await a.append("new@example.com", { with: "stranger@example.com", value: 3 });
    await a.append("new@example.com", { with: "other@example.com", value: 4 });
  });
  await withStorage(openSqliteStorage(file), async (s) => {
    const a = s.archive("mam/archive");
    const p = await a.query("new@example.com", {});
    t.deepEqual(p.ok && p.items.map((x) => [x.value, x.with]), [[3, "stranger@example.com"], [4, "other@example.com"]]);
    const withStranger = await a.query("new@example.com", { with: "stranger@example.com" });
    t.deepEqual(withStranger.ok && withStranger.items.map((x) => x.value), [3]);
  });
});

test("ids the store makes keep their key across reopening the database", async (t) => {
  const file = tempDb();
  let id = "";
  await withStorage(openSqliteStorage(file), async (s) => {
    id = await s.archive("mam/archive").append("alice@example.com", { value: 1 });
  });
  await withStorage(openSqliteStorage(file), async (s) => {
    const a = s.archive("mam/archive");
    await a.append("alice@example.com", { value: 2 });
    const p = await a.query("alice@example.com", { after: id });
    t.true(p.ok && p.items.length === 1 && p.items[0]!.value === 2);
  });
  const raw = new Database(file, { readonly: true });
  try {
    t.is(raw.prepare("SELECT count(*) FROM archive WHERE idkey IS NULL").pluck().get(), 0);
  } finally {
    raw.close();
  }
});

/** A small deterministic generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x / 2_147_483_648;
  };
}

test("time filters and deletes by time agree with a plain scan, whatever the clock did", async (t) => {
  for (const [seed, stepBack] of [[1, 0], [2, 5], [3, 50], [4, 400]] as const) {
    await withStorage(openSqliteStorage(":memory:"), async (s) => {
      const a = s.archive("mam/archive");
      const rnd = lcg(seed);
      const items: { id: string; when: number }[] = [];
      let clock = 10_000;
      for (let i = 0; i < 400; i++) {
        // Mostly forward; now and then the clock steps back by up to `stepBack` ms.
        clock += Math.floor(rnd() * 10);
        const when = stepBack > 0 && rnd() < 0.1 ? clock - Math.floor(rnd() * stepBack) : clock;
        const owner = rnd() < 0.7 ? "alice@example.com" : "bob@example.com";
        const id = await a.append(owner, { when, value: i });
        if (owner === "alice@example.com") items.push({ id, when });
      }
      const lo = items[0]!.when;
      const hi = items[items.length - 1]!.when;
      for (let k = 0; k < 40; k++) {
        const start = lo - 20 + Math.floor(rnd() * (hi - lo + 40));
        const end = start + Math.floor(rnd() * (hi - lo) * 0.5);
        const expect = (f: (w: number) => boolean) => items.filter((x) => f(x.when)).map((x) => x.id);
        for (const [q, want] of [
          [{ start }, expect((w) => w >= start)],
          [{ end }, expect((w) => w <= end)],
          [{ start, end }, expect((w) => w >= start && w <= end)],
        ] as const) {
          const got = await a.query("alice@example.com", q);
          t.deepEqual(got.ok && got.items.map((x) => x.id), want, `seed ${seed} ${JSON.stringify(q)}`);
        }
      }
      const cut = lo + Math.floor((hi - lo) / 3);
      const removed = await a.delete("alice@example.com", cut);
      const left = await a.query("alice@example.com", {});
      t.is(removed, items.filter((x) => x.when < cut).length, `seed ${seed}`);
      t.deepEqual(left.ok && left.items.map((x) => x.id), items.filter((x) => x.when >= cut).map((x) => x.id));
    });
  }
});
