import test from "ava";
import { matches, normalizeQuery, search, type Entry, type Query } from "./match.js";

const ALICE: Entry = { jid: "alice@localhost", username: "alice", fn: "Alice Liddell", first: "Alice", last: "Liddell", nick: "ally", emails: ["alice@wonderland.lit", "a.liddell@oxford.example"] };
const BOB: Entry = { jid: "bob@localhost", username: "bob", emails: [] };
const ZOE: Entry = { jid: "zoe@localhost", username: "zoe", fn: "Zoë Ångström", last: "Ångström", emails: [] };

const q = (raw: Query) => normalizeQuery(raw)!;

test("a query keeps the fields given, trimmed and folded; an empty one is no query", (t) => {
  t.deepEqual(normalizeQuery({ first: "  ALICE ", last: "", nick: "  ", email: "*" }), { first: "alice" });
  t.is(normalizeQuery({}), null);
  t.is(normalizeQuery({ first: " ", email: "**" }), null);
});

test("fields match case-insensitively by containment; a trailing * is a wildcard", (t) => {
  t.true(matches(ALICE, q({ last: "liddell" })));
  t.true(matches(ALICE, q({ last: "LIDD*" })));
  t.true(matches(ALICE, q({ first: "lic" })));
  t.false(matches(ALICE, q({ last: "carroll" })));
  t.true(matches(ALICE, q({ email: "oxford" })), "any of the addresses");
  t.true(matches(ALICE, q({ fn: "alice l" })));
});

test("every field given must match", (t) => {
  t.true(matches(ALICE, q({ first: "alice", last: "liddell" })));
  t.false(matches(ALICE, q({ first: "alice", last: "smith" })));
  t.false(matches(BOB, q({ first: "b" })), "an entry without the field does not match it");
});

test("nick matches the vCard nickname or else the username; x-username only the username", (t) => {
  t.true(matches(ALICE, q({ nick: "ally" })));
  t.true(matches(ALICE, q({ nick: "alic" })));
  t.true(matches(BOB, q({ nick: "bo" })));
  t.true(matches(BOB, q({ username: "bob" })));
  t.false(matches(ALICE, q({ username: "ally" })));
});

test("Unicode compatibility forms and case fold together (NFKC, then lower case)", (t) => {
  t.true(matches(ZOE, q({ last: "ÅNGSTRÖM" })));
  t.true(matches(ZOE, q({ fn: "zoe\u0308" })), "a combining diaeresis composes to ë");
  t.true(matches(ZOE, q({ username: "ｚｏｅ" })), "full-width letters");
});

test("results are ordered by JID and limited, saying when some were left out", (t) => {
  const all = [ZOE, BOB, ALICE];
  const some = search(all, q({ nick: "o" }), 10);
  t.deepEqual(some.results.map((e) => e.jid), ["bob@localhost", "zoe@localhost"]);
  t.false(some.truncated);
  const limited = search(all, q({ username: "" + "e" }), 1);
  t.deepEqual(limited.results.map((e) => e.jid), ["alice@localhost"]);
  t.true(limited.truncated);
});
