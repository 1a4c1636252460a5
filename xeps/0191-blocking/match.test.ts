import test from "ava";
import { jid } from "../../src/jid.js";
import { coveringEntries, entryMatches, isBlocked } from "./match.js";

const ADDRESSES = ["romeo@montague.net/orchard", "romeo@montague.net/home", "romeo@montague.net", "tybalt@montague.net",
  "montague.net", "montague.net/gate", "romeo@capulet.com", "capulet.com"];

/** For each §6 entry form, exactly the addresses it covers. */
const CASES: Record<string, string[]> = {
  // 1. only that resource
  "romeo@montague.net/orchard": ["romeo@montague.net/orchard"],
  // 2. any resource of the account, and the account itself
  "romeo@montague.net": ["romeo@montague.net/orchard", "romeo@montague.net/home", "romeo@montague.net"],
  // 3. only that resource of the domain (not user@domain/resource)
  "montague.net/gate": ["montague.net/gate"],
  // 4. the domain, every account and resource at it
  "montague.net": ["romeo@montague.net/orchard", "romeo@montague.net/home", "romeo@montague.net", "tybalt@montague.net", "montague.net", "montague.net/gate"],
};

for (const [entry, covered] of Object.entries(CASES)) {
  test(`§6: entry ${entry} covers exactly ${covered.length} of the sample addresses`, (t) => {
    for (const a of ADDRESSES) {
      const expected = covered.includes(a);
      t.is(entryMatches(jid(entry), jid(a)), expected, `${entry} vs ${a}`);
      t.is(isBlocked(new Set([jid(entry).full]), jid(a)), expected, `${entry} vs ${a} (set lookup)`);
    }
  });
}

test("a resource entry at the domain does not cover a user's resource of the same name", (t) => {
  t.false(entryMatches(jid("montague.net/orchard"), jid("romeo@montague.net/orchard")));
});

test("entries are compared prepared: case and Unicode forms of the address do not escape a block", (t) => {
  const list = new Set([jid("Romeo@MONTAGUE.net").full]);
  t.true(isBlocked(list, jid("romeo@montague.net/balcony")));
  t.false(isBlocked(list, jid("romeo@montague.net.example")));
});

test("covering entries: full, bare and domain, without duplicates", (t) => {
  t.deepEqual(coveringEntries(jid("a@b.c/r")), ["a@b.c/r", "a@b.c", "b.c"]);
  t.deepEqual(coveringEntries(jid("a@b.c")), ["a@b.c", "b.c"]);
  t.deepEqual(coveringEntries(jid("b.c/r")), ["b.c/r", "b.c"]);
  t.deepEqual(coveringEntries(jid("b.c")), ["b.c"]);
  t.false(isBlocked(new Set(), jid("a@b.c/r")));
});
