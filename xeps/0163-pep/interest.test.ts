import test from "ava";
import { InterestTable } from "./interest.js";

test("initial presence, a presence update, and new caps (XEP-0163 §4.3.3)", (t) => {
  const table = new InterestTable();
  t.is(table.available("o@x", "c@x/1", "v1"), "new");
  t.deepEqual(table.resolved("o@x", "c@x/1", "v1", new Set(["tune", "nick"])), ["tune", "nick"]);
  t.is(table.available("o@x", "c@x/1", "v1"), "same", "a status change is no new interest");
  t.is(table.available("o@x", "c@x/1", "v2"), "changed");
  t.deepEqual(table.resolved("o@x", "c@x/1", "v2", new Set(["tune", "mood"])), ["mood"], "only what is newly asked for");
  t.deepEqual(table.interested("o@x", "nick"), []);
  t.deepEqual(table.interested("o@x", "tune"), ["c@x/1"]);
});

test("a stale answer (left, or advertising other caps since) is ignored", (t) => {
  const table = new InterestTable();
  table.available("o@x", "c@x/1", "v1");
  table.available("o@x", "c@x/1", "v2");
  t.is(table.resolved("o@x", "c@x/1", "v1", new Set(["tune"])), null);
  table.unavailable("o@x", "c@x/1");
  t.is(table.resolved("o@x", "c@x/1", "v2", new Set(["tune"])), null);
  t.false(table.has("o@x", "c@x/1"));
});

test("interested resources of one contact, and per owner", (t) => {
  const table = new InterestTable();
  for (const [owner, full] of [["o@x", "c@x/1"], ["o@x", "c@x/2"], ["o@x", "d@x/1"], ["p@x", "c@x/1"]] as const) {
    table.available(owner, full, "v");
    table.resolved(owner, full, "v", new Set(["tune"]));
  }
  t.deepEqual(table.interestedOf("o@x", "c@x", "tune").sort(), ["c@x/1", "c@x/2"]);
  table.dropOwner("o@x");
  t.deepEqual(table.interested("o@x", "tune"), []);
  t.deepEqual(table.interested("p@x", "tune"), ["c@x/1"]);
});

test("an account's listeners are bounded", (t) => {
  const table = new InterestTable(2);
  t.is(table.available("o@x", "a@x/1", ""), "new");
  t.is(table.available("o@x", "b@x/1", ""), "new");
  t.is(table.available("o@x", "c@x/1", ""), "full");
  t.is(table.available("o@x", "a@x/1", "v"), "changed", "those already there still update");
  t.false(table.has("o@x", "c@x/1"));
});
