import test from "ava";
import { checkConfig } from "../../src/cli/check-config.js";
import { EXAMPLE_CONFIG_PATH } from "../../src/config/ensure.js";
import { checkModuleIds } from "../../src/config/module-config.js";
import { catalog } from "../../xeps/index.js";
import { configFile, fakeIO, TWO_HOSTS } from "./cli-helpers.js";

test("a good config: a one-line summary on stdout, exit 0", async (t) => {
  const io = fakeIO();
  t.is(await checkConfig(configFile(TWO_HOSTS), io), 0);
  t.is(io.out(), "configuration OK: 2 hosts (localhost, example.org), 4 listeners, modules: disco, ping\n");
  t.is(io.err(), "");
});

test("the example config checks OK", async (t) => {
  const io = fakeIO();
  t.is(await checkConfig(EXAMPLE_CONFIG_PATH, io), 0);
  t.is(io.out(), `configuration OK: 1 host (localhost), 4 listeners, modules: ${catalog.map((m) => m.id).sort().join(", ")}\n`);
});

test("every problem on stderr with file, line, key and message; exit 1", async (t) => {
  const file = configFile("listeners:\n  - kind: c2s\n    port: 52x22\n    prot: 1\n");
  const io = fakeIO();
  t.is(await checkConfig(file, io), 1);
  t.is(io.out(), "");
  t.is(io.err(),
    `${file}:3:11: listeners[0].port: expected a number, got the string "52x22"\n` +
    `${file}:4:5: listeners[0].prot: unknown key "prot" (did you mean "port"?)\n` +
    `2 problems in ${file}\n`);
});

test("module checks given by the registry are reported too", async (t) => {
  const file = configFile("modules:\n  pign:\n");
  const io = fakeIO();
  const code = await checkConfig(file, io, { validateModules: (config, source) => checkModuleIds(Object.keys(config.modules), ["ping"], source) });
  t.is(code, 1);
  t.is(io.err(), `${file}:2:3: modules.pign: unknown module "pign" (did you mean "ping"?); known modules: ping\n1 problem in ${file}\n`);
});

test("a plaintext listener is OK but warned about; no modules says none", async (t) => {
  const io = fakeIO();
  const file = configFile("listeners:\n  - {kind: c2s, port: 5322, address: 127.0.0.1, allowPlaintext: true}\n");
  t.is(await checkConfig(file, io), 0);
  t.is(io.out(), "configuration OK: 1 host (localhost), 1 listener, modules: none\n");
  t.regex(io.err(), /^warning: listeners\[0\] \(127\.0\.0\.1 port 5322\) allows unencrypted streams/);
});

test("a missing config file", async (t) => {
  const io = fakeIO();
  t.is(await checkConfig("/nonexistent/palaver.yaml", io), 1);
  t.regex(io.err(), /^\/nonexistent\/palaver\.yaml: configuration file not found/);
});
