import test from "ava";
import { TwoGenerationCache } from "./archive-names.js";

test("the two-generation cache keeps what was used in the last two generations, and forgets on delete", (t) => {
  const c = new TwoGenerationCache<string, number>(2);
  c.set("a", 1);
  c.set("b", 2);
  c.set("c", 3); // young is full: a and b become the old generation
  t.is(c.get("a"), 1, "found in the old generation, and moved to the young one");
  c.set("d", 4); // young (c, a) is full: it becomes old, b is dropped
  t.is(c.get("b"), undefined);
  t.is(c.get("a"), 1);
  t.is(c.get("c"), 3);
  c.delete("a");
  t.is(c.get("a"), undefined);
});
