import test from "ava";
import { HeldStanzas } from "./buffer.js";

test("items are released in arrival order", (t) => {
  const b = new HeldStanzas<string>();
  b.add("a");
  b.add("b");
  b.add("c");
  t.is(b.size, 3);
  t.deepEqual(b.drain(), ["a", "b", "c"]);
  t.is(b.size, 0);
  t.deepEqual(b.drain(), []);
});

test("an item with a key replaces the held one with that key and moves to where it arrived", (t) => {
  const b = new HeldStanzas<string>();
  b.add("alice available", "alice");
  b.add("receipt");
  b.add("bob available", "bob");
  b.add("alice away", "alice");
  t.is(b.size, 3);
  t.deepEqual(b.drain(), ["receipt", "bob available", "alice away"]);
});

test("keys are forgotten after a drain", (t) => {
  const b = new HeldStanzas<string>();
  b.add("x1", "x");
  t.deepEqual(b.drain(), ["x1"]);
  b.add("x2", "x");
  b.add("y");
  t.deepEqual(b.drain(), ["x2", "y"]);
});

test("a flood of updates from a few senders keeps one per sender, in order, across compaction", (t) => {
  const b = new HeldStanzas<string>();
  for (let i = 0; i < 1000; i++) b.add(`s${i % 3}:${i}`, `s${i % 3}`);
  b.add("last");
  t.is(b.size, 4);
  t.deepEqual(b.drain(), ["s1:997", "s2:998", "s0:999", "last"]);
  // Compaction must keep keys pointing at the right entries.
  for (let i = 0; i < 300; i++) b.add(`k${i % 2}:${i}`, `k${i % 2}`);
  b.add("k0:final", "k0");
  t.deepEqual(b.drain(), ["k1:299", "k0:final"]);
});
