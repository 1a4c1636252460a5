/**
 * The roster store on the real SQLite driver: versions and counts, tombstones for removals (RFC 6121 §2.6.3)
 * and their pruning, pending inbound requests (§3.1.3), and clearing an account.
 */
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStorage } from "../../src/storage/sqlite/index.js";
import type { Storage } from "../../src/storage/types.js";
import { MAX_TOMBSTONES, RosterStore } from "../../src/im/roster-store.js";
import { parseVersion, planRosterGet } from "../../src/im/roster-versioning.js";

let dir: string;
let storage: Storage;

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), "palaver-roster-"));
  storage = openSqliteStorage(join(dir, "db.sqlite"));
});

test.after.always(async () => {
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

const item = (jid: string, name?: string) => ({ jid, name, subscription: "none" as const, groups: [] });

test("versions count up per owner, items are counted, a removal leaves a tombstone seen by changesSince", async (t) => {
  const s = new RosterStore(storage);
  const owner = "v@example.com";
  t.is((await s.state(owner)).ver, 0);
  t.is(RosterStore.versionString(await s.state(owner)), "0");

  const a = await s.put(owner, item("a@x", "A"));
  const b = await s.put(owner, item("b@x"));
  t.is(a.item.ver, 1);
  t.is(b.item.ver, 2);
  t.false("name" in b.item, "no name stored for an item without one");
  t.is(parseVersion(b.version)!.ver, 2);
  t.is(parseVersion(a.version)!.epoch, parseVersion(b.version)!.epoch);
  await s.put(owner, item("a@x", "A2"));
  t.is((await s.state(owner)).items, 2, "updating is not adding");

  t.is(await s.remove(owner, "nobody@x"), null);
  const removed = await s.remove(owner, "b@x");
  t.truthy(removed);
  const state = await s.state(owner);
  t.like(state, { ver: 4, items: 1, tombstones: 1 });
  t.deepEqual((await s.items(owner)).map((i) => i.jid), ["a@x"]);
  t.is(await s.item(owner, "b@x"), undefined);

  const changes = await s.changesSince(owner, 1);
  t.deepEqual(changes.map((c) => [c.jid, c.subscription, c.ver]), [["a@x", "none", 3], ["b@x", "remove", 4]]);

  // Adding an item back replaces its tombstone.
  await s.put(owner, item("b@x"));
  t.like(await s.state(owner), { items: 2, tombstones: 0 });
});

test("the oldest tombstones are pruned; versions older than them get the full roster", async (t) => {
  const s = new RosterStore(storage);
  const owner = "p@example.com";
  await s.put(owner, item("keep@x"));
  const early = RosterStore.versionString(await s.state(owner));
  for (let i = 0; i <= MAX_TOMBSTONES; i++) {
    await s.put(owner, item(`t${i}@x`));
    await s.remove(owner, `t${i}@x`);
  }
  const state = await s.state(owner);
  t.is(state.tombstones, MAX_TOMBSTONES / 2);
  t.true(state.floor > 1);
  t.is(state.items, 1);
  t.deepEqual(planRosterGet(early, state), { kind: "full" }, "its removals can no longer be told");
  const recent = RosterStore.versionString(state, state.floor);
  t.deepEqual(planRosterGet(recent, state), { kind: "pushes", since: state.floor });
  const changes = await s.changesSince(owner, state.floor);
  t.true(changes.every((c) => c.subscription === "remove" && c.ver > state.floor));
  t.is(changes.length, MAX_TOMBSTONES / 2);
});

test("pending requests: one per contact, oldest first, removed one by one or with the roster", async (t) => {
  const s = new RosterStore(storage);
  const owner = "q@example.com";
  await s.addPendingRequest(owner, { contact: "b@x", stanza: "<presence type='subscribe'/>", at: 2 });
  await s.addPendingRequest(owner, { contact: "a@x", stanza: "<presence type='subscribe'/>", at: 1 });
  t.deepEqual((await s.pendingRequests(owner)).map((r) => r.contact), ["a@x", "b@x"]);
  await s.removePendingRequest(owner, "a@x");
  t.is(await s.pendingRequest(owner, "a@x"), undefined);
  t.truthy(await s.pendingRequest(owner, "b@x"));

  await s.put(owner, item("c@x"));
  await s.clear(owner);
  t.deepEqual(await s.pendingRequests(owner), []);
  t.deepEqual(await s.items(owner), []);
  t.is((await s.state(owner)).ver, 0, "a cleared roster starts again at version 0");
});

test("the view modules get reads live items and subscriptions only", async (t) => {
  const s = new RosterStore(storage);
  const owner = "r@example.com";
  await s.put(owner, { jid: "f@x", subscription: "from", groups: [] });
  await s.put(owner, { jid: "t@x", subscription: "to", groups: [] });
  await s.put(owner, { jid: "b@x", subscription: "both", groups: [] });
  await s.remove(owner, "b@x");
  t.true(await s.isSubscriber(owner, "f@x"));
  t.false(await s.isSubscriber(owner, "t@x"));
  t.false(await s.isSubscriber(owner, "b@x"), "a removed item is no subscriber");
  t.deepEqual((await s.items(owner)).map((i) => i.jid).sort(), ["f@x", "t@x"]);
});
