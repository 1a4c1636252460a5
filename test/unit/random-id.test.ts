import test from "ava";
import { randomId } from "../../src/random-id.js";

test("random ids are base64url of the requested size and do not repeat across pool refills", (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) seen.add(randomId());
  t.is(seen.size, 2000);
  for (const id of seen) t.regex(id, /^[A-Za-z0-9_-]{16}$/);
  t.regex(randomId(32), /^[A-Za-z0-9_-]{43}$/);
});
