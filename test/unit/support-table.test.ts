import test from "ava";
import { readFileSync } from "node:fs";
import { README_PATH, supportTable, withTable } from "../../conformance/support-table.js";

test("the README's support table is the one the modules declare (run `npm run support-table`)", (t) => {
  const readme = readFileSync(README_PATH, "utf8");
  t.is(withTable(readme, supportTable()), readme);
});

test("every shipped module declares at least one XEP with a version and status", (t) => {
  const table = supportTable();
  t.regex(table, /XEP-0199 \| version 2\.0\.1 \| `ping` \| complete/);
  t.regex(table, /XEP-0030 .* `disco` \| complete/);
});
