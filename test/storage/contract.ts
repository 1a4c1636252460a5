/**
 * The storage contract (src/storage/types.ts): every driver runs this suite, e.g.
 *   storageContract(test, "sqlite :memory:", async () => openSqliteStorage(":memory:"));
 * `open` must return a fresh, empty storage each time; each test closes the one it opened.
 * Archive semantics follow XEP-0313 (MAM) with XEP-0059 (RSM) paging.
 */
import type { ExecutionContext, TestFn } from "ava";
import type { ArchiveItem, ArchivePage, ArchiveStore, Json, Storage, StoredCredentials } from "../../src/storage/types.js";

type Body = (t: ExecutionContext, s: Storage) => Promise<void>;

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

function credentials(seed: string): StoredCredentials {
  const keys = (hash: string) => ({
    salt: Buffer.from(`${seed}-${hash}-salt`).toString("base64"),
    iterations: 4096,
    storedKey: Buffer.from(`${seed}-${hash}-stored`).toString("base64"),
    serverKey: Buffer.from(`${seed}-${hash}-server`).toString("base64"),
  });
  return { "SCRAM-SHA-1": keys("sha1"), "SCRAM-SHA-256": keys("sha256") };
}

/** Values that must come back exactly as stored. */
const VALUES: Json[] = [
  null,
  true,
  false,
  0,
  -1.5,
  Number.MAX_SAFE_INTEGER,
  "",
  "plain",
  "unicode: héllo wörld ✓ 日本語 עברית 😀👩‍👩‍👧 \u0000 \u2028 \"quotes\" \\ <xml a='1'/>",
  "x".repeat(1_000_000),
  [],
  [1, "two", null, [3, [4]], { five: 5 }],
  {},
  {
    stanza: "<message xmlns='jabber:client' to='a@b'><body>hi</body></message>",
    nested: { deep: { deeper: { list: [1, 2, { k: "v" }], empty: {}, nil: null } } },
    "key with spaces & ünïcode 🔑": "value",
  },
];

/** Append `n` items to one owner: when = T0 + i minutes, with alternating between two contacts, text "msg i". */
async function fill(a: ArchiveStore, owner: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(
      await a.append(owner, {
        when: T0 + i * MINUTE,
        with: i % 2 === 0 ? "even@example.com" : "odd@example.com",
        value: { i },
        text: `msg ${i}`,
      }),
    );
  }
  return ids;
}

/** The page of a successful query; a failed one fails the test. */
function ok(t: ExecutionContext, page: ArchivePage): { items: ArchiveItem[]; complete: boolean; count: number } {
  t.true(page.ok, "expected a page, got an error");
  if (!page.ok) throw new Error(`expected a page, got ${page.error}`);
  return page;
}

/** The `i` of each item (values made by `fill`). */
function nums(items: ArchiveItem[]): number[] {
  return items.map((it) => (it.value as { i: number }).i);
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

export function storageContract(test: TestFn, name: string, open: () => Promise<Storage>): void {
  const check = (title: string, body: Body) =>
    test(`${name}: ${title}`, async (t) => {
      const s = await open();
      try {
        await body(t, s);
      } finally {
        await s.close();
      }
    });

  // ---- keyval ----

  check("keyval: missing owner is undefined; set, overwrite, delete", async (t, s) => {
    const kv = s.keyval("test/kv");
    t.is(await kv.get("alice@example.com"), undefined);
    await kv.set("alice@example.com", { a: 1 });
    t.deepEqual(await kv.get("alice@example.com"), { a: 1 });
    await kv.set("alice@example.com", ["replaced"]);
    t.deepEqual(await kv.get("alice@example.com"), ["replaced"]);
    await kv.delete("alice@example.com");
    t.is(await kv.get("alice@example.com"), undefined);
    await t.notThrowsAsync(kv.delete("alice@example.com"));
  });

  check("keyval: null is a value, not absence", async (t, s) => {
    const kv = s.keyval("test/kv");
    await kv.set("alice@example.com", null);
    t.is(await kv.get("alice@example.com"), null);
  });

  check("keyval: JSON values round trip exactly", async (t, s) => {
    const kv = s.keyval("test/kv");
    for (const [i, v] of VALUES.entries()) await kv.set(`owner${i}`, v);
    for (const [i, v] of VALUES.entries()) t.deepEqual(await kv.get(`owner${i}`), v, `value #${i}`);
  });

  check("keyval: owners and stores are isolated", async (t, s) => {
    const a = s.keyval("test/a");
    const b = s.keyval("test/b");
    await a.set("alice@example.com", "a-alice");
    await a.set("bob@example.com", "a-bob");
    await b.set("alice@example.com", "b-alice");
    t.is(await a.get("alice@example.com"), "a-alice");
    t.is(await a.get("bob@example.com"), "a-bob");
    t.is(await b.get("alice@example.com"), "b-alice");
    t.is(await b.get("bob@example.com"), undefined);
    await a.delete("alice@example.com");
    t.is(await b.get("alice@example.com"), "b-alice");
    t.is(await a.get("bob@example.com"), "a-bob");
  });

  // ---- map ----

  check("map: missing key is undefined; set, overwrite, delete one key", async (t, s) => {
    const m = s.map("test/map");
    t.is(await m.get("alice@example.com", "k"), undefined);
    await m.set("alice@example.com", "k", 1);
    await m.set("alice@example.com", "other", 2);
    t.is(await m.get("alice@example.com", "k"), 1);
    await m.set("alice@example.com", "k", { now: "object" });
    t.deepEqual(await m.get("alice@example.com", "k"), { now: "object" });
    await m.delete("alice@example.com", "k");
    t.is(await m.get("alice@example.com", "k"), undefined);
    t.is(await m.get("alice@example.com", "other"), 2);
    await t.notThrowsAsync(m.delete("alice@example.com", "never-set"));
  });

  check("map: all() returns every key in key order; empty owner gives an empty map", async (t, s) => {
    const m = s.map("test/map");
    t.deepEqual([...(await m.all("alice@example.com"))], []);
    const keys = ["delta", "a2", "alpha", "a10", "b", "a", "charlie", "a1"];
    for (const k of keys) await m.set("alice@example.com", k, `v-${k}`);
    await m.set("bob@example.com", "zzz", "bob's");
    const all = await m.all("alice@example.com");
    t.true(all instanceof Map);
    t.deepEqual([...all.keys()], [...keys].sort());
    t.is(all.get("a10"), "v-a10");
    t.is(all.size, keys.length);
  });

  check("map: clear() removes one owner's keys only", async (t, s) => {
    const m = s.map("test/map");
    const other = s.map("test/other");
    await m.set("alice@example.com", "a", 1);
    await m.set("alice@example.com", "b", 2);
    await m.set("bob@example.com", "a", 3);
    await other.set("alice@example.com", "a", 4);
    await m.clear("alice@example.com");
    t.is((await m.all("alice@example.com")).size, 0);
    t.is(await m.get("alice@example.com", "a"), undefined);
    t.deepEqual([...(await m.all("bob@example.com"))], [["a", 3]]);
    t.deepEqual([...(await other.all("alice@example.com"))], [["a", 4]]);
    await t.notThrowsAsync(m.clear("nobody@example.com"));
  });

  check("map: JSON values round trip exactly", async (t, s) => {
    const m = s.map("test/map");
    for (const [i, v] of VALUES.entries()) await m.set("alice@example.com", `k${String(i).padStart(2, "0")}`, v);
    const all = await m.all("alice@example.com");
    for (const [i, v] of VALUES.entries()) {
      const key = `k${String(i).padStart(2, "0")}`;
      t.deepEqual(await m.get("alice@example.com", key), v, `get #${i}`);
      t.deepEqual(all.get(key), v, `all #${i}`);
    }
  });

  // ---- accounts ----

  check("accounts: create, conflict, get", async (t, s) => {
    const acc = s.accounts;
    t.is(await acc.get("example.com", "alice"), undefined);
    t.true(await acc.create("example.com", "alice", credentials("one")));
    t.false(await acc.create("example.com", "alice", credentials("two")));
    t.deepEqual(await acc.get("example.com", "alice"), credentials("one"), "a failed create changes nothing");
    t.true(await acc.create("other.org", "alice", credentials("three")), "same username on another domain");
    t.deepEqual(await acc.get("other.org", "alice"), credentials("three"));
  });

  check("accounts: setCredentials on an existing and a missing account", async (t, s) => {
    const acc = s.accounts;
    t.false(await acc.setCredentials("example.com", "ghost", credentials("x")));
    t.is(await acc.get("example.com", "ghost"), undefined, "setCredentials does not create");
    await acc.create("example.com", "alice", credentials("one"));
    t.true(await acc.setCredentials("example.com", "alice", credentials("new")));
    t.deepEqual(await acc.get("example.com", "alice"), credentials("new"));
  });

  check("accounts: delete, then it is gone and can be created again", async (t, s) => {
    const acc = s.accounts;
    await acc.create("example.com", "alice", credentials("one"));
    await acc.create("example.com", "bob", credentials("bob"));
    t.true(await acc.delete("example.com", "alice"));
    t.false(await acc.delete("example.com", "alice"));
    t.is(await acc.get("example.com", "alice"), undefined);
    t.deepEqual(await acc.get("example.com", "bob"), credentials("bob"));
    t.true(await acc.create("example.com", "alice", credentials("again")));
    t.deepEqual(await acc.get("example.com", "alice"), credentials("again"));
  });

  check("accounts: list one domain or all, sorted", async (t, s) => {
    const acc = s.accounts;
    t.deepEqual(await acc.list(), []);
    t.deepEqual(await acc.list("example.com"), []);
    for (const [d, u] of [
      ["example.com", "carol"],
      ["other.org", "zed"],
      ["example.com", "alice"],
      ["other.org", "alice"],
      ["example.com", "bob"],
    ] as const) {
      await acc.create(d, u, credentials(u));
    }
    t.deepEqual(await acc.list("example.com"), [
      { domain: "example.com", username: "alice" },
      { domain: "example.com", username: "bob" },
      { domain: "example.com", username: "carol" },
    ]);
    t.deepEqual(await acc.list("nowhere.net"), []);
    t.deepEqual(await acc.list(), [
      { domain: "example.com", username: "alice" },
      { domain: "example.com", username: "bob" },
      { domain: "example.com", username: "carol" },
      { domain: "other.org", username: "alice" },
      { domain: "other.org", username: "zed" },
    ]);
  });

  // ---- archive: append ----

  check("archive: generated ids are URL-safe, at least 96 bits, unique", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = new Set<string>();
    for (let i = 0; i < 500; i++) ids.add(await a.append("alice@example.com", { value: i }));
    t.is(ids.size, 500);
    for (const id of ids) t.regex(id, /^[A-Za-z0-9_-]{16,}$/);
  });

  check("archive: given ids, when and with are kept; defaults are now and empty with", async (t, s) => {
    const a = s.archive("test/archive");
    const before = Date.now();
    t.is(await a.append("alice@example.com", { id: "given-1", when: T0, with: "bob@example.com", value: "x" }), "given-1");
    const generated = await a.append("alice@example.com", { value: "y" });
    const after = Date.now();
    const { items } = ok(t, await a.query("alice@example.com", {}));
    t.deepEqual(items[0], { id: "given-1", when: T0, with: "bob@example.com", value: "x" });
    t.is(items[1]!.id, generated);
    t.is(items[1]!.with, "");
    t.true(items[1]!.when >= before && items[1]!.when <= after);
  });

  check("archive: a duplicate given id is rejected within a store, allowed in another store", async (t, s) => {
    const a = s.archive("test/archive");
    await a.append("alice@example.com", { id: "dup", value: 1 });
    await t.throwsAsync(a.append("alice@example.com", { id: "dup", value: 2 }));
    await t.throwsAsync(a.append("bob@example.com", { id: "dup", value: 3 }), undefined, "ids are unique per store");
    t.is(await s.archive("test/elsewhere").append("alice@example.com", { id: "dup", value: 4 }), "dup");
    const { items } = ok(t, await a.query("alice@example.com", {}));
    t.deepEqual(items.map((i) => i.value), [1]);
  });

  check("archive: appendMany (where offered) appends in order to several owners, all or nothing", async (t, s) => {
    const a = s.archive("test/archive");
    if (!a.appendMany) {
      t.pass("not offered by this driver");
      return;
    }
    const ids = await a.appendMany([
      { owner: "alice@example.com", item: { when: T0, with: "bob@example.com", value: { i: 0 }, text: "hello there" } },
      { owner: "bob@example.com", item: { id: "given", when: T0, with: "alice@example.com", value: { i: 1 } } },
      { owner: "alice@example.com", item: { when: T0 + MINUTE, value: { i: 2 }, text: "general kenobi" } },
    ]);
    t.is(ids.length, 3);
    t.is(ids[1], "given");
    let p = ok(t, await a.query("alice@example.com", {}));
    t.deepEqual(p.items.map((i) => i.id), [ids[0], ids[2]]);
    t.deepEqual(nums(p.items), [0, 2]);
    t.is(ok(t, await a.query("alice@example.com", { with: "bob@example.com" })).count, 1);
    t.deepEqual(nums(ok(t, await a.query("alice@example.com", { fulltext: "kenobi" })).items), [2], "text is indexed");
    t.deepEqual(nums(ok(t, await a.query("bob@example.com", {})).items), [1]);
    await t.throwsAsync(a.appendMany([
      { owner: "carol@example.com", item: { value: { i: 3 }, text: "lost" } },
      { owner: "carol@example.com", item: { id: "given", value: { i: 4 } } },
    ]));
    p = ok(t, await a.query("carol@example.com", {}));
    t.deepEqual(p.items, [], "a failed batch leaves nothing");
    t.is(p.count, 0);
    t.deepEqual(ok(t, await a.query("carol@example.com", { fulltext: "lost" })).items, []);
    t.deepEqual(await a.appendMany([]), []);
  });

  check("archive: JSON values round trip exactly", async (t, s) => {
    const a = s.archive("test/archive");
    for (const v of VALUES) await a.append("alice@example.com", { value: v });
    const { items } = ok(t, await a.query("alice@example.com", {}));
    t.deepEqual(items.map((i) => i.value), VALUES);
  });

  // ---- archive: query and paging ----

  check("archive: empty store gives empty complete pages in both directions", async (t, s) => {
    const a = s.archive("test/archive");
    const empty = { ok: true, items: [], complete: true, count: 0 };
    t.deepEqual(await a.query("alice@example.com", {}), empty);
    t.deepEqual(await a.query("alice@example.com", { limit: 10 }), empty);
    t.deepEqual(await a.query("alice@example.com", { before: "", limit: 10 }), empty);
    t.deepEqual(await a.query("alice@example.com", { limit: 0 }), empty);
  });

  check("archive: no limit returns everything in chronological order", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 25);
    const page = ok(t, await a.query("alice@example.com", {}));
    t.deepEqual(page.items.map((i) => i.id), ids);
    t.deepEqual(nums(page.items), range(0, 25));
    t.is(page.items[3]!.when, T0 + 3 * MINUTE);
    t.is(page.items[3]!.with, "odd@example.com");
    t.true(page.complete);
    t.is(page.count, 25);
  });

  check("archive: forward paging with after, to the last page", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 10);
    let p = ok(t, await a.query("alice@example.com", { limit: 4 }));
    t.deepEqual(nums(p.items), [0, 1, 2, 3]);
    t.false(p.complete);
    t.is(p.count, 10);
    p = ok(t, await a.query("alice@example.com", { after: ids[3], limit: 4 }));
    t.deepEqual(nums(p.items), [4, 5, 6, 7]);
    t.false(p.complete);
    t.is(p.count, 10, "count ignores paging");
    p = ok(t, await a.query("alice@example.com", { after: ids[7], limit: 4 }));
    t.deepEqual(nums(p.items), [8, 9]);
    t.true(p.complete);
    t.is(p.count, 10);
    p = ok(t, await a.query("alice@example.com", { after: ids[9], limit: 4 }));
    t.deepEqual(p.items, []);
    t.true(p.complete);
    t.is(p.count, 10);
  });

  check("archive: backward paging with before, from before:'' to the first page", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 10);
    let p = ok(t, await a.query("alice@example.com", { before: "", limit: 4 }));
    t.deepEqual(nums(p.items), [6, 7, 8, 9], "the last page, oldest first");
    t.false(p.complete);
    t.is(p.count, 10);
    p = ok(t, await a.query("alice@example.com", { before: ids[6], limit: 4 }));
    t.deepEqual(nums(p.items), [2, 3, 4, 5]);
    t.false(p.complete);
    p = ok(t, await a.query("alice@example.com", { before: ids[2], limit: 4 }));
    t.deepEqual(nums(p.items), [0, 1]);
    t.true(p.complete);
    t.is(p.count, 10);
    p = ok(t, await a.query("alice@example.com", { before: ids[0], limit: 4 }));
    t.deepEqual(p.items, []);
    t.true(p.complete);
    t.is(p.count, 10);
  });

  check("archive: pages of exactly `limit` items are complete only at the end", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 9);
    // forward: 0-2, 3-5, 6-8
    let p = ok(t, await a.query("alice@example.com", { after: ids[2], limit: 3 }));
    t.deepEqual(nums(p.items), [3, 4, 5]);
    t.false(p.complete);
    p = ok(t, await a.query("alice@example.com", { after: ids[5], limit: 3 }));
    t.deepEqual(nums(p.items), [6, 7, 8]);
    t.true(p.complete, "nothing after the last item");
    // backward: 6-8, 3-5, 0-2
    p = ok(t, await a.query("alice@example.com", { before: ids[6], limit: 3 }));
    t.deepEqual(nums(p.items), [3, 4, 5]);
    t.false(p.complete);
    p = ok(t, await a.query("alice@example.com", { before: ids[3], limit: 3 }));
    t.deepEqual(nums(p.items), [0, 1, 2]);
    t.true(p.complete, "nothing before the first item");
    // a limit equal to the whole set
    p = ok(t, await a.query("alice@example.com", { limit: 9 }));
    t.is(p.items.length, 9);
    t.true(p.complete);
    p = ok(t, await a.query("alice@example.com", { before: "", limit: 9 }));
    t.is(p.items.length, 9);
    t.true(p.complete);
    p = ok(t, await a.query("alice@example.com", { limit: 8 }));
    t.false(p.complete);
    t.is(p.count, 9);
  });

  check("archive: limit 0 gives the count only", async (t, s) => {
    const a = s.archive("test/archive");
    await fill(a, "alice@example.com", 5);
    let p = ok(t, await a.query("alice@example.com", { limit: 0 }));
    t.deepEqual(p.items, []);
    t.is(p.count, 5);
    t.false(p.complete);
    p = ok(t, await a.query("alice@example.com", { limit: 0, with: "odd@example.com" }));
    t.is(p.count, 2);
    p = ok(t, await a.query("alice@example.com", { limit: 0, with: "nobody@example.com" }));
    t.is(p.count, 0);
    t.true(p.complete);
  });

  check("archive: after and before together select the items strictly between", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 10);
    let p = ok(t, await a.query("alice@example.com", { after: ids[2], before: ids[8] }));
    t.deepEqual(nums(p.items), [3, 4, 5, 6, 7]);
    t.true(p.complete);
    t.is(p.count, 10);
    p = ok(t, await a.query("alice@example.com", { after: ids[2], before: ids[8], limit: 2 }));
    t.deepEqual(nums(p.items), [6, 7], "before pages backward");
    t.false(p.complete);
    p = ok(t, await a.query("alice@example.com", { after: ids[2], before: "", limit: 3 }));
    t.deepEqual(nums(p.items), [7, 8, 9]);
    t.false(p.complete);
    p = ok(t, await a.query("alice@example.com", { after: ids[4], before: ids[5] }));
    t.deepEqual(p.items, []);
    t.true(p.complete);
  });

  check("archive: afterId and beforeId bound the result set and its count, in either paging direction", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 12);
    const between = { afterId: ids[2], beforeId: ids[9] };
    let p = ok(t, await a.query("alice@example.com", between));
    t.deepEqual(nums(p.items), [3, 4, 5, 6, 7, 8]);
    t.true(p.complete);
    t.is(p.count, 6, "count is of the bounded set");
    p = ok(t, await a.query("alice@example.com", { ...between, limit: 2 }));
    t.deepEqual(nums(p.items), [3, 4], "forward from the lower bound");
    t.false(p.complete);
    t.is(p.count, 6);
    p = ok(t, await a.query("alice@example.com", { ...between, after: ids[6], limit: 2 }));
    t.deepEqual(nums(p.items), [7, 8], "forward paging stops at beforeId");
    t.true(p.complete);
    t.is(p.count, 6);
    p = ok(t, await a.query("alice@example.com", { ...between, before: "", limit: 4 }));
    t.deepEqual(nums(p.items), [5, 6, 7, 8], "the last page of the bounded set");
    t.false(p.complete);
    p = ok(t, await a.query("alice@example.com", { ...between, before: ids[5], limit: 4 }));
    t.deepEqual(nums(p.items), [3, 4], "backward paging stops at afterId");
    t.true(p.complete);
    p = ok(t, await a.query("alice@example.com", { afterId: ids[9], after: ids[3], limit: 10 }));
    t.deepEqual(nums(p.items), [10, 11], "the later of afterId and after wins");
    p = ok(t, await a.query("alice@example.com", { afterId: ids[7], with: "even@example.com" }));
    t.deepEqual(nums(p.items), [8, 10]);
    t.is(p.count, 2, "with other filters");
    p = ok(t, await a.query("alice@example.com", { afterId: ids[5], beforeId: ids[3] }));
    t.deepEqual(p.items, []);
    t.is(p.count, 0);
    p = ok(t, await a.query("alice@example.com", { afterId: ids[4], fulltext: "msg", limit: 0 }));
    t.is(p.count, 7, "fulltext count within the bounds");
    const notFound = { ok: false, error: "item-not-found" };
    t.deepEqual(await a.query("alice@example.com", { afterId: "no-such-id" }), notFound);
    t.deepEqual(await a.query("alice@example.com", { beforeId: "no-such-id", with: "nobody@example.com" }), notFound);
  });

  check("archive: full walks forward and backward see every item once", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 103);
    const forward: string[] = [];
    let after: string | undefined;
    for (;;) {
      const p = ok(t, await a.query("alice@example.com", after === undefined ? { limit: 10 } : { after, limit: 10 }));
      forward.push(...p.items.map((i) => i.id));
      if (p.complete) break;
      after = p.items.at(-1)!.id;
    }
    t.deepEqual(forward, ids);
    const backward: string[] = [];
    let before = "";
    for (;;) {
      const p = ok(t, await a.query("alice@example.com", { before, limit: 10 }));
      backward.unshift(...p.items.map((i) => i.id));
      if (p.complete) break;
      before = p.items[0]!.id;
    }
    t.deepEqual(backward, ids);
  });

  check("archive: unknown after/before ids are item-not-found", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 3);
    const bobs = await fill(a, "bob@example.com", 1);
    const elsewhere = await fill(s.archive("test/elsewhere"), "alice@example.com", 1);
    const notFound = { ok: false, error: "item-not-found" };
    t.deepEqual(await a.query("alice@example.com", { after: "no-such-id" }), notFound);
    t.deepEqual(await a.query("alice@example.com", { before: "no-such-id", limit: 5 }), notFound);
    t.deepEqual(await a.query("alice@example.com", { after: bobs[0] }), notFound, "another owner's id");
    t.deepEqual(await a.query("alice@example.com", { before: elsewhere[0] }), notFound, "another store's id");
    t.deepEqual(await a.query("alice@example.com", { after: ids[0], before: "no-such-id" }), notFound);
    t.deepEqual(await a.query("alice@example.com", { after: "" }), notFound, "an empty after is no id");
    t.deepEqual(await a.query("carol@example.com", { after: ids[0] }), notFound, "an owner with no archive");
    t.deepEqual(
      await a.query("alice@example.com", { after: "no-such-id", with: "nobody@example.com" }),
      notFound,
      "even when the filters match nothing",
    );
  });

  check("archive: ids filter returns exactly the existing ids, in archive order", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 10);
    const bobs = await fill(a, "bob@example.com", 2);
    let p = ok(t, await a.query("alice@example.com", { ids: [ids[7]!, ids[2]!, ids[5]!] }));
    t.deepEqual(nums(p.items), [2, 5, 7]);
    t.is(p.count, 3);
    t.true(p.complete);
    p = ok(t, await a.query("alice@example.com", { ids: [ids[1]!, "no-such-id", bobs[0]!] }));
    t.deepEqual(nums(p.items), [1], "unknown ids and other owners' ids are left out");
    t.is(p.count, 1);
    p = ok(t, await a.query("alice@example.com", { ids: [] }));
    t.deepEqual(p.items, []);
    t.is(p.count, 0);
    p = ok(t, await a.query("alice@example.com", { ids: [ids[1]!, ids[2]!, ids[3]!], with: "odd@example.com" }));
    t.deepEqual(nums(p.items), [1, 3], "ids combine with other filters");
    p = ok(t, await a.query("alice@example.com", { ids: [ids[1]!, ids[2]!, ids[3]!, ids[4]!], limit: 2 }));
    t.deepEqual(nums(p.items), [1, 2]);
    t.false(p.complete);
    t.is(p.count, 4);
    p = ok(t, await a.query("alice@example.com", { ids: [ids[1]!, ids[2]!, ids[3]!, ids[4]!], before: "", limit: 2 }));
    t.deepEqual(nums(p.items), [3, 4]);
  });

  check("archive: with filter, its count, and paging through it", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 10);
    let p = ok(t, await a.query("alice@example.com", { with: "odd@example.com" }));
    t.deepEqual(nums(p.items), [1, 3, 5, 7, 9]);
    t.is(p.count, 5);
    t.true(p.items.every((i) => i.with === "odd@example.com"));
    p = ok(t, await a.query("alice@example.com", { with: "even@example.com", limit: 2 }));
    t.deepEqual(nums(p.items), [0, 2]);
    t.false(p.complete);
    t.is(p.count, 5);
    p = ok(t, await a.query("alice@example.com", { with: "even@example.com", before: "", limit: 2 }));
    t.deepEqual(nums(p.items), [6, 8]);
    t.false(p.complete);
    p = ok(t, await a.query("alice@example.com", { with: "even@example.com", after: ids[5], limit: 2 }));
    t.deepEqual(nums(p.items), [6, 8], "the cursor need not match the filter");
    t.true(p.complete);
    p = ok(t, await a.query("alice@example.com", { with: "even@example.com", before: ids[3], limit: 5 }));
    t.deepEqual(nums(p.items), [0, 2]);
    t.true(p.complete);
    t.is(p.count, 5);
    p = ok(t, await a.query("alice@example.com", { with: "nobody@example.com", limit: 5 }));
    t.deepEqual(p, { ok: true, items: [], complete: true, count: 0 });
    p = ok(t, await a.query("alice@example.com", { with: "nobody@example.com", before: "", limit: 5 }));
    t.deepEqual(p, { ok: true, items: [], complete: true, count: 0 });
  });

  check("archive: start and end are inclusive bounds on when", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 10);
    let p = ok(t, await a.query("alice@example.com", { start: T0 + 3 * MINUTE, end: T0 + 6 * MINUTE }));
    t.deepEqual(nums(p.items), [3, 4, 5, 6]);
    t.is(p.count, 4);
    p = ok(t, await a.query("alice@example.com", { start: T0 + 3 * MINUTE - 1, end: T0 + 6 * MINUTE + 1 }));
    t.deepEqual(nums(p.items), [3, 4, 5, 6]);
    p = ok(t, await a.query("alice@example.com", { start: T0 + 3 * MINUTE + 1 }));
    t.deepEqual(nums(p.items), [4, 5, 6, 7, 8, 9]);
    p = ok(t, await a.query("alice@example.com", { end: T0 + 2 * MINUTE }));
    t.deepEqual(nums(p.items), [0, 1, 2]);
    p = ok(t, await a.query("alice@example.com", { start: T0 + 5 * MINUTE, end: T0 + 5 * MINUTE }));
    t.deepEqual(nums(p.items), [5]);
    p = ok(t, await a.query("alice@example.com", { start: T0 + 6 * MINUTE, end: T0 + 3 * MINUTE }));
    t.deepEqual(p, { ok: true, items: [], complete: true, count: 0 }, "start after end");
    p = ok(t, await a.query("alice@example.com", { start: T0 + 100 * MINUTE }));
    t.deepEqual(p, { ok: true, items: [], complete: true, count: 0 }, "after the newest item");
    p = ok(t, await a.query("alice@example.com", { end: T0 - 1 }));
    t.deepEqual(p, { ok: true, items: [], complete: true, count: 0 }, "before the oldest item");
    p = ok(t, await a.query("alice@example.com", { start: T0 + 30_000, end: T0 + 50_000 }));
    t.deepEqual(p, { ok: true, items: [], complete: true, count: 0 }, "between two items");
    t.deepEqual(
      await a.query("alice@example.com", { start: T0 + 100 * MINUTE, after: "no-such-id" }),
      { ok: false, error: "item-not-found" },
      "an unknown cursor is reported even when the range is empty",
    );
    // paging inside a time range
    p = ok(t, await a.query("alice@example.com", { start: T0 + 2 * MINUTE, end: T0 + 8 * MINUTE, before: "", limit: 3 }));
    t.deepEqual(nums(p.items), [6, 7, 8]);
    t.false(p.complete);
    t.is(p.count, 7);
    p = ok(t, await a.query("alice@example.com", { start: T0 + 2 * MINUTE, end: T0 + 8 * MINUTE, before: ids[4], limit: 3 }));
    t.deepEqual(nums(p.items), [2, 3]);
    t.true(p.complete);
    p = ok(t, await a.query("alice@example.com", { start: T0 + 2 * MINUTE, after: ids[0], limit: 3 }));
    t.deepEqual(nums(p.items), [2, 3, 4]);
    t.is(p.count, 8);
    p = ok(t, await a.query("alice@example.com", { start: T0 + 2 * MINUTE, end: T0 + 6 * MINUTE, with: "odd@example.com" }));
    t.deepEqual(nums(p.items), [3, 5]);
    t.is(p.count, 2);
  });

  check("archive: time bounds stay exact when items were not appended in time order", async (t, s) => {
    const a = s.archive("test/archive");
    const order = [5, 1, 9, 3, 7, 0, 8, 2, 6, 4];
    for (const m of order) await a.append("alice@example.com", { when: T0 + m * MINUTE, value: { i: m } });
    let p = ok(t, await a.query("alice@example.com", {}));
    t.deepEqual(nums(p.items), order, "archive order is append order");
    p = ok(t, await a.query("alice@example.com", { start: T0 + 3 * MINUTE, end: T0 + 7 * MINUTE }));
    t.deepEqual(nums(p.items), [5, 3, 7, 6, 4]);
    t.is(p.count, 5);
    p = ok(t, await a.query("alice@example.com", { start: T0 + 3 * MINUTE, end: T0 + 7 * MINUTE, before: "", limit: 2 }));
    t.deepEqual(nums(p.items), [6, 4]);
    t.false(p.complete);
    t.is(p.count, 5);
    p = ok(t, await a.query("alice@example.com", { end: T0 + 2 * MINUTE }));
    t.deepEqual(nums(p.items), [1, 0, 2]);
    p = ok(t, await a.query("alice@example.com", { start: T0 + 8 * MINUTE }));
    t.deepEqual(nums(p.items), [9, 8]);
  });

  check("archive: fulltext matches whole words, case- and accent-insensitively, all words required", async (t, s) => {
    const a = s.archive("test/archive");
    const texts = [
      "Hello world",
      "hello there, General Kenobi",
      "Helsinki is cold",
      "Café au lait",
      "the WORLD is round",
      "nothing to see",
    ];
    for (const [i, text] of texts.entries()) {
      await a.append("alice@example.com", { value: { i }, text, with: i % 2 ? "odd@example.com" : "even@example.com" });
    }
    await a.append("alice@example.com", { value: { i: 99 } }); // no text: never matches
    await a.append("bob@example.com", { value: { i: 100 }, text: "hello world" });
    const search = async (fulltext: string, extra: object = {}) =>
      ok(t, await a.query("alice@example.com", { fulltext, ...extra }));
    let p = await search("hello");
    t.deepEqual(nums(p.items), [0, 1]);
    t.is(p.count, 2);
    t.deepEqual(nums((await search("WORLD")).items), [0, 4]);
    t.deepEqual(nums((await search("hello world")).items), [0], "every word must occur");
    t.deepEqual(nums((await search("world hello")).items), [0]);
    t.deepEqual(nums((await search("hel")).items), [], "no partial words");
    t.deepEqual(nums((await search("hel*")).items), [0, 1, 2], "a trailing * matches a prefix");
    t.deepEqual(nums((await search("hel* wor*")).items), [0]);
    t.deepEqual(nums((await search("cafe")).items), [3]);
    t.deepEqual(nums((await search("kenobi")).items), [1]);
    t.deepEqual(nums((await search("absent")).items), []);
    t.deepEqual(nums((await search("world", { with: "even@example.com" })).items), [0, 4]);
    t.deepEqual(nums((await search("hello", { with: "odd@example.com" })).items), [1]);
    p = await search("hello", { limit: 1 });
    t.deepEqual(nums(p.items), [0]);
    t.false(p.complete);
    t.is(p.count, 2);
    p = await search("hello", { before: "", limit: 1 });
    t.deepEqual(nums(p.items), [1]);
    t.false(p.complete);
  });

  check("archive: fulltext input is words, never search syntax", async (t, s) => {
    const a = s.archive("test/archive");
    await a.append("alice@example.com", { value: { i: 0 }, text: "say \"hello\" (to) NEAR the AND OR NOT -minus* star" });
    await a.append("alice@example.com", { value: { i: 1 }, text: "unrelated" });
    for (const input of ['"hello"', "(to)", "AND", "OR", "NOT", "NEAR", "-minus", "hello AND", 'say"', "text:hello"]) {
      const p = await a.query("alice@example.com", { fulltext: input });
      t.true(p.ok, input);
    }
    t.deepEqual(nums(ok(t, await a.query("alice@example.com", { fulltext: "NOT unrelated" })).items), [], "NOT is a word");
    t.deepEqual(nums(ok(t, await a.query("alice@example.com", { fulltext: '"hello"' })).items), [0]);
    t.deepEqual(nums(ok(t, await a.query("alice@example.com", { fulltext: "  " })).items), []);
  });

  check("archive: count is the filtered total whatever the page", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 30);
    await fill(a, "bob@example.com", 7);
    const cases: [object, number][] = [
      [{}, 30],
      [{ with: "even@example.com" }, 15],
      [{ start: T0 + 10 * MINUTE }, 20],
      [{ end: T0 + 9 * MINUTE }, 10],
      [{ start: T0 + 10 * MINUTE, end: T0 + 19 * MINUTE, with: "odd@example.com" }, 5],
      [{ fulltext: "msg" }, 30],
      [{ fulltext: "17" }, 1],
      [{ fulltext: "msg", start: T0 + 10 * MINUTE }, 20],
      [{ fulltext: "msg", with: "odd@example.com", end: T0 + 9 * MINUTE }, 5],
      [{ ids: [ids[0], ids[29], "nope"] }, 2],
    ];
    for (const [filters, expected] of cases) {
      for (const paging of [{}, { limit: 3 }, { before: "", limit: 3 }, { after: ids[12], limit: 2 }, { before: ids[20], limit: 2 }]) {
        const p = ok(t, await a.query("alice@example.com", { ...filters, ...paging }));
        t.is(p.count, expected, JSON.stringify({ ...filters, ...paging }));
      }
    }
  });

  // ---- archive: delete and expire ----

  check("archive: delete(owner) removes all of one owner's items", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 12);
    await fill(a, "bob@example.com", 3);
    await fill(s.archive("test/elsewhere"), "alice@example.com", 2);
    t.is(await a.delete("alice@example.com"), 12);
    t.deepEqual(await a.query("alice@example.com", { limit: 5 }), { ok: true, items: [], complete: true, count: 0 });
    t.deepEqual(await a.query("alice@example.com", { after: ids[0] }), { ok: false, error: "item-not-found" });
    t.deepEqual(await a.query("alice@example.com", { fulltext: "msg" }), { ok: true, items: [], complete: true, count: 0 });
    t.is(ok(t, await a.query("bob@example.com", {})).count, 3);
    t.is(ok(t, await s.archive("test/elsewhere").query("alice@example.com", {})).count, 2);
    t.is(await a.delete("alice@example.com"), 0);
    t.is(await a.delete("nobody@example.com"), 0);
    // the archive works as before afterwards
    const again = await fill(a, "alice@example.com", 3);
    const p = ok(t, await a.query("alice@example.com", { before: "", limit: 2 }));
    t.deepEqual(p.items.map((i) => i.id), again.slice(1));
    t.is(p.count, 3);
    t.deepEqual(nums(ok(t, await a.query("alice@example.com", { fulltext: "msg" })).items), [0, 1, 2]);
  });

  check("archive: delete(owner, before) removes only that owner's older items", async (t, s) => {
    const a = s.archive("test/archive");
    const ids = await fill(a, "alice@example.com", 10);
    await fill(a, "bob@example.com", 10);
    t.is(await a.delete("alice@example.com", T0 + 4 * MINUTE), 4, "strictly older than before");
    let p = ok(t, await a.query("alice@example.com", {}));
    t.deepEqual(nums(p.items), range(4, 10));
    t.is(p.count, 6);
    p = ok(t, await a.query("alice@example.com", { with: "even@example.com", limit: 1 }));
    t.is(p.count, 3);
    t.deepEqual(await a.query("alice@example.com", { before: ids[2] }), { ok: false, error: "item-not-found" });
    t.deepEqual(nums(ok(t, await a.query("alice@example.com", { fulltext: "1" })).items), []);
    t.deepEqual(nums(ok(t, await a.query("alice@example.com", { fulltext: "5" })).items), [5]);
    t.is(ok(t, await a.query("alice@example.com", { fulltext: "msg", limit: 1 })).count, 6);
    t.is(ok(t, await a.query("bob@example.com", {})).count, 10);
    t.is(await a.delete("alice@example.com", T0 + 4 * MINUTE), 0);
    t.is(await a.delete("alice@example.com", T0), 0);
  });

  check("archive: expire(before) removes older items of every owner in this store only", async (t, s) => {
    const a = s.archive("test/archive");
    const other = s.archive("test/elsewhere");
    await fill(a, "alice@example.com", 10);
    await fill(a, "bob@example.com", 5);
    await fill(a, "carol@example.com", 2);
    await fill(other, "alice@example.com", 10);
    t.is(await a.expire(T0 + 3 * MINUTE), 3 + 3 + 2);
    t.deepEqual(nums(ok(t, await a.query("alice@example.com", {})).items), range(3, 10));
    t.deepEqual(nums(ok(t, await a.query("bob@example.com", {})).items), [3, 4]);
    t.deepEqual(ok(t, await a.query("carol@example.com", { limit: 5 })), { items: [], complete: true, count: 0, ok: true });
    t.is(ok(t, await other.query("alice@example.com", {})).count, 10);
    t.is(await a.expire(T0 + 3 * MINUTE), 0);
    t.is(await s.archive("test/never-used").expire(Date.now()), 0);
  });

  check("archive: owners and stores are isolated", async (t, s) => {
    const a = s.archive("test/archive");
    const b = s.archive("test/elsewhere");
    await a.append("alice@example.com", { value: "a-alice", with: "x@example.com", text: "shared word" });
    await a.append("bob@example.com", { value: "a-bob", with: "x@example.com", text: "shared word" });
    await b.append("alice@example.com", { value: "b-alice", with: "x@example.com", text: "shared word" });
    for (const [store, owner, value] of [
      [a, "alice@example.com", "a-alice"],
      [a, "bob@example.com", "a-bob"],
      [b, "alice@example.com", "b-alice"],
    ] as const) {
      for (const q of [{}, { with: "x@example.com" }, { fulltext: "shared" }, { start: 0 }, { before: "", limit: 5 }]) {
        const p = ok(t, await store.query(owner, q));
        t.deepEqual(p.items.map((i) => i.value), [value], `${value} ${JSON.stringify(q)}`);
        t.is(p.count, 1);
      }
    }
    t.is(ok(t, await b.query("bob@example.com", {})).count, 0);
  });
}
