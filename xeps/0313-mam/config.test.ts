import test from "ava";
import mam from "./index.js";

const parse = (v: unknown) => mam.config!.safeParse(v);

test("options: every default; retention given in days or with a unit becomes milliseconds", (t) => {
  const r = parse({});
  t.true(r.success);
  t.deepEqual(r.data, { defaultPolicy: "always", pageSize: 50, maxPageSize: 250, retention: 0, expiryInterval: 3600 });
  t.is(parse({ retention: "365d" }).data?.retention, 365 * 86_400_000);
  t.is(parse({ retention: 30 }).data?.retention, 30 * 86_400_000);
  t.is(parse({ retention: "forever" }).data?.retention, 0);
});

test("options: a retention that is not a duration, an unknown policy, a page size over the maximum are refused", (t) => {
  const bad = parse({ retention: "a month" });
  t.false(bad.success);
  t.regex(bad.error!.issues[0]!.message, /365d/);
  t.false(parse({ defaultPolicy: "sometimes" }).success);
  t.false(parse({ pageSize: 300, maxPageSize: 250 }).success);
  t.false(parse({ pageSize: 0 }).success);
  t.false(parse({ unknownOption: 1 }).success);
});
