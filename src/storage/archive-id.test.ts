import test from "ava";
import { randomBytes } from "node:crypto";
import { ArchiveIdCipher, newArchiveId } from "./archive-id.js";

const cipher = () => new ArchiveIdCipher(randomBytes(16));

test("ids are 22 URL- and XML-safe characters, unique over many pools", (t) => {
  const c = cipher();
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const id = c.next();
    t.regex(id, /^[A-Za-z0-9_-]{22}$/);
    seen.add(id);
  }
  t.is(seen.size, 10_000);
});

test("the sort keys of successive ids grow, though the ids themselves are in no order", (t) => {
  const c = cipher();
  const ids = Array.from({ length: 1000 }, () => c.next());
  const keys = ids.map((id) => c.sortKey(id)!);
  for (let i = 1; i < keys.length; i++) t.true(Buffer.compare(keys[i - 1]!, keys[i]!) < 0, `key ${i}`);
  // XEP-0359 §6: nothing can be read from an id; sorted, the ids come out shuffled.
  const sorted = [...ids].sort();
  const inPlace = sorted.filter((id, i) => id === ids[i]).length;
  t.true(inPlace < 20, `${inPlace} ids in generation order`);
});

test("a key recognises only its own ids", (t) => {
  const a = cipher();
  const b = cipher();
  const id = a.next();
  t.truthy(a.sortKey(id));
  t.is(b.sortKey(id), undefined);
  for (const foreign of ["", "a1", newArchiveId(), "x".repeat(22), "A".repeat(21) + "=", `${id.slice(0, 21)}!`]) {
    t.is(a.sortKey(foreign), undefined, foreign);
  }
});

test("the same key decodes ids made by another instance (the key is what persists)", (t) => {
  const key = randomBytes(16);
  const id = new ArchiveIdCipher(key).next();
  t.truthy(new ArchiveIdCipher(key).sortKey(id));
});

test("a key must be 16 bytes", (t) => {
  t.throws(() => new ArchiveIdCipher(randomBytes(8)), { instanceOf: RangeError });
});

test("sortKeys of a mixed batch agrees with sortKey of each", (t) => {
  const c = cipher();
  const ids = [c.next(), "foreign", c.next(), newArchiveId(), "", c.next(), cipher().next()];
  const batch = c.sortKeys(ids);
  t.is(batch.length, ids.length);
  ids.forEach((id, i) => t.deepEqual(batch[i], c.sortKey(id), id));
  t.deepEqual(batch.map((k) => k !== undefined), [true, false, true, false, false, true, false]);
});
