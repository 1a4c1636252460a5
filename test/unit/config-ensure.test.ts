import test from "ava";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXAMPLE_CONFIG_PATH, ensureConfigFile } from "../../src/config/ensure.js";

test("first start copies the example to the missing config and says so; later starts leave it alone", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "palaver-ensure-"));
  const target = join(dir, "etc", "palaver.yaml");
  const said: string[] = [];
  const first = ensureConfigFile(target, EXAMPLE_CONFIG_PATH, (l) => said.push(l));
  t.deepEqual(first, { ok: true, created: true, path: target });
  t.is(readFileSync(target, "utf8"), readFileSync(EXAMPLE_CONFIG_PATH, "utf8"));
  t.is(said.length, 1);
  t.true(said[0].includes(target));
  writeFileSync(target, "hosts:\n  example.org:\n");
  const second = ensureConfigFile(target, EXAMPLE_CONFIG_PATH, (l) => said.push(l));
  t.deepEqual(second, { ok: true, created: false, path: target });
  t.is(readFileSync(target, "utf8"), "hosts:\n  example.org:\n");
  t.is(said.length, 1);
});

test("without an example to copy, a clear error", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "palaver-ensure-"));
  const r = ensureConfigFile(join(dir, "palaver.yaml"), join(dir, "no-example.yaml"));
  t.false(r.ok);
  if (!r.ok) t.regex(r.error, /no example to copy/);
});
