import test from "ava";
import { mostRecent, publishOrder, trimOrder } from "./items.js";

test("a new item goes last; the oldest fall out beyond max_items (§7.1.2 retract-oldest)", (t) => {
  t.deepEqual(publishOrder([], "a", 2), { order: ["a"], dropped: [], replaced: false });
  t.deepEqual(publishOrder(["a", "b"], "c", 2), { order: ["b", "c"], dropped: ["a"], replaced: false });
  t.deepEqual(publishOrder(["a", "b", "c", "d"], "e", 2), { order: ["d", "e"], dropped: ["a", "b", "c"], replaced: false });
});

test("re-publishing an id replaces the item and makes it the newest, without dropping others", (t) => {
  t.deepEqual(publishOrder(["a", "b"], "a", 2), { order: ["b", "a"], dropped: [], replaced: true });
  t.deepEqual(publishOrder(["a"], "a", 1), { order: ["a"], dropped: [], replaced: true });
});

test("a smaller max_items trims the oldest; max_items in a request gives the newest, in order (§6.5.7)", (t) => {
  t.deepEqual(trimOrder(["a", "b", "c"], 1), { order: ["c"], dropped: ["a", "b"] });
  t.deepEqual(trimOrder(["a"], 5), { order: ["a"], dropped: [] });
  t.deepEqual(mostRecent(["a", "b", "c"], 2), ["b", "c"]);
  t.deepEqual(mostRecent(["a", "b"], 5), ["a", "b"]);
});
