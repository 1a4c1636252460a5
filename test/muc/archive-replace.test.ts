/**
 * ArchiveStore.replace (for XEP-0425 tombstones): the item keeps its id, time and place in the order; its old
 * text is no longer found by full-text search; an unknown id or another owner's item is not touched.
 */
import test from "ava";
import { openSqliteStorage } from "../../src/storage/sqlite/index.js";

test("replace keeps the item's id, time and order, and swaps its full-text entry", async (t) => {
  const storage = openSqliteStorage(":memory:");
  t.teardown(() => storage.close());
  const a = storage.archive("muc/rooms");
  await a.append("room@muc", { id: "m1", when: 1000, with: "alice@x", value: "first", text: "hello world" });
  await a.append("room@muc", { id: "m2", when: 2000, with: "bob@x", value: "second", text: "another message" });
  await a.append("other@muc", { id: "o1", when: 1500, with: "alice@x", value: "elsewhere", text: "hello there" });

  t.true(await a.replace("room@muc", "m1", "tombstone"));
  const all = await a.query("room@muc", {});
  t.true(all.ok);
  if (!all.ok) return;
  t.deepEqual(all.items.map((i) => [i.id, i.when, i.with, i.value]), [["m1", 1000, "alice@x", "tombstone"], ["m2", 2000, "bob@x", "second"]]);

  const found = await a.query("room@muc", { fulltext: "hello" });
  t.true(found.ok && found.items.length === 0, "the retracted text is no longer searchable");
  const elsewhere = await a.query("other@muc", { fulltext: "hello" });
  t.true(elsewhere.ok && elsewhere.items.length === 1, "other owners keep theirs");

  t.true(await a.replace("room@muc", "m2", "edited", "replacement words"));
  const words = await a.query("room@muc", { fulltext: "replacement" });
  t.true(words.ok && words.items.map((i) => i.id).join() === "m2");

  t.false(await a.replace("room@muc", "nope", "x"));
  t.false(await a.replace("room@muc", "o1", "x"), "an id of another owner is not this owner's item");
});
