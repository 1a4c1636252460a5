import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { formatConfigErrors } from "../../src/config/errors.js";
import { loadConfig } from "../../src/config/load.js";
import { checkModuleIds, validateModuleConfig } from "../../src/config/module-config.js";

const pingSchema = z.strictObject({
  interval: z.number().positive().default(300),
  timeout: z.number().positive().default(60),
});
const registerSchema = z.strictObject({ open: z.array(z.string()).default([]) });

function load(text: string) {
  const dir = mkdtempSync(join(tmpdir(), "palaver-modules-"));
  const file = join(dir, "palaver.yaml");
  writeFileSync(file, text);
  const r = loadConfig(file);
  if (!r.ok) throw new Error(formatConfigErrors(r.errors));
  return { ...r, file };
}

test("an empty module section takes the module's defaults", (t) => {
  const { config, source } = load("modules:\n  ping:\n  register:\n    open: [localhost]\n");
  t.deepEqual(validateModuleConfig("ping", pingSchema, config.modules.ping, source), { ok: true, value: { interval: 300, timeout: 60 } });
  t.deepEqual(validateModuleConfig("register", registerSchema, config.modules.register, source),
    { ok: true, value: { open: ["localhost"] } });
});

test("a wrong module option names modules.<id>.<key> and its line", (t) => {
  const { config, source, file } = load("modules:\n  disco:\n  ping:\n    interval: 5m\n");
  const r = validateModuleConfig("ping", pingSchema, config.modules.ping, source);
  if (r.ok) return t.fail("validated");
  t.deepEqual(r.errors, [{
    file, path: "modules.ping.interval", line: 4, column: 15, message: 'expected a number, got the string "5m"',
  }]);
});

test("an unknown module option suggests the right one", (t) => {
  const { config, source } = load("modules:\n  ping:\n    timout: 10\n");
  const r = validateModuleConfig("ping", pingSchema, config.modules.ping, source);
  if (r.ok) return t.fail("validated");
  t.is(r.errors.length, 1);
  t.is(r.errors[0].path, "modules.ping.timout");
  t.is(r.errors[0].line, 3);
  t.is(r.errors[0].message, 'unknown key "timout" (did you mean "timeout"?)');
});

test("a module without options accepts only an empty section", (t) => {
  const { config, source } = load("modules:\n  time:\n  version:\n    showOs: false\n");
  t.deepEqual(validateModuleConfig("time", undefined, config.modules.time, source), { ok: true, value: {} });
  const r = validateModuleConfig("version", undefined, config.modules.version, source);
  if (r.ok) return t.fail("validated");
  t.is(r.errors[0].path, "modules.version.showOs");
  t.is(r.errors[0].line, 4);
  t.regex(r.errors[0].message, /^unknown key "showOs"/);
});

test("a module section that is not a mapping is a schema error", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "palaver-modules-"));
  const file = join(dir, "palaver.yaml");
  writeFileSync(file, "modules:\n  ping: 30\n");
  const r = loadConfig(file);
  if (r.ok) return t.fail("loaded");
  t.is(r.errors[0].path, "modules.ping");
  t.is(r.errors[0].line, 2);
  t.is(r.errors[0].message, "expected a mapping (key: value), got the number 30");
});

test("an unknown module id is reported at its key, with a suggestion and the known ids", (t) => {
  const { config, source, file } = load("modules:\n  disco:\n  pnig:\n  mystery:\n");
  const errors = checkModuleIds(Object.keys(config.modules), ["ping", "disco", "version"], source);
  t.deepEqual(errors, [
    { file, path: "modules.pnig", line: 3, column: 3, message: 'unknown module "pnig" (did you mean "ping"?); known modules: disco, ping, version' },
    { file, path: "modules.mystery", line: 4, column: 3, message: 'unknown module "mystery"; known modules: disco, ping, version' },
  ]);
});

test("without a source, module errors still name the key path", (t) => {
  const r = validateModuleConfig("ping", pingSchema, { interval: -1 });
  if (r.ok) return t.fail("validated");
  t.is(r.errors[0].path, "modules.ping.interval");
  t.is(r.errors[0].line, undefined);
  t.is(r.errors[0].message, "must be greater than 0, got the number -1");
});
