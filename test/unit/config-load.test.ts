import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXAMPLE_CONFIG_PATH } from "../../src/config/ensure.js";
import { formatConfigErrors, type ConfigError } from "../../src/config/errors.js";
import { configPaths, loadConfig, type LoadResult } from "../../src/config/load.js";
import { catalog } from "../../xeps/index.js";

function write(text: string, name = "palaver.yaml"): string {
  const dir = mkdtempSync(join(tmpdir(), "palaver-config-"));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function errorsOf(r: LoadResult): ConfigError[] {
  if (r.ok) throw new Error(`expected errors, config loaded: ${JSON.stringify(r.config)}`);
  return r.errors;
}

function only(r: LoadResult): ConfigError {
  const errors = errorsOf(r);
  if (errors.length !== 1) throw new Error(`expected one error, got:\n${formatConfigErrors(errors)}`);
  return errors[0];
}

test("an empty file gives the defaults: localhost, c2s on 5222, Direct TLS on 5223, HTTP on 5280, HTTPS on 5443", (t) => {
  const file = write("");
  const r = loadConfig(file);
  if (!r.ok) return t.fail(formatConfigErrors(r.errors));
  t.deepEqual(Object.keys(r.config.hosts), ["localhost"]);
  t.deepEqual(r.config.hosts.localhost.admins, []);
  t.deepEqual(r.config.listeners.map((l) => [l.kind, l.port, l.address, l.allowPlaintext]),
    [["c2s", 5222, "::", false], ["c2s-tls", 5223, "::", false], ["http", 5280, "::", false], ["https", 5443, "::", false]]);
  t.is(r.config.storage.driver, "sqlite");
  t.is(r.config.limits.maxDepth, 64);
  t.deepEqual(r.config.modules, {});
  t.is(r.dir, join(file, ".."));
  t.deepEqual(r.warnings, []);
  t.deepEqual(configPaths(r.config, r.dir), {
    dataDir: join(r.dir, "data"), certsDir: join(r.dir, "certs"), database: join(r.dir, "data", "palaver.db"),
  });
});

test("the example file validates and enables the documented modules", (t) => {
  const r = loadConfig(EXAMPLE_CONFIG_PATH);
  if (!r.ok) return t.fail(formatConfigErrors(r.errors));
  t.deepEqual(Object.keys(r.config.hosts), ["localhost"]);
  t.deepEqual(r.config.listeners.map((l) => `${l.kind}:${l.port}`), ["c2s:5222", "c2s-tls:5223", "http:5280", "https:5443"]);
  t.false(r.config.listeners.some((l) => l.allowPlaintext));
  t.is(r.config.storage.driver, "sqlite");
  // The example documents and enables every module Palaver ships.
  t.deepEqual(Object.keys(r.config.modules).sort(), catalog.map((m) => m.id).sort());
  t.deepEqual(r.config.modules.register, { open: [] });
  t.is(r.config.modules.ping, null);
});

test("empty values (`key:` alone) take their defaults", (t) => {
  const r = loadConfig(write("hosts:\n  localhost:\n  example.org:\n    admins:\nlimits:\nauth:\nmodules:\n  ping:\n"));
  if (!r.ok) return t.fail(formatConfigErrors(r.errors));
  t.deepEqual(r.config.hosts, { localhost: { admins: [] }, "example.org": { admins: [] } });
  t.is(r.config.limits.maxStanzaBytes, 256 * 1024);
  t.is(r.config.auth.scramIterations, 4096);
  t.deepEqual(r.config.modules, { ping: null });
});

test("a value of the wrong type names the file, key path, line and both types", (t) => {
  const file = write("listeners:\n  - kind: c2s\n    port: 5222\n  - kind: c2s-tls\n    port: 52x22\n");
  const e = only(loadConfig(file));
  t.is(e.file, file);
  t.is(e.path, "listeners[1].port");
  t.is(e.line, 5);
  t.is(e.column, 11);
  t.is(e.message, 'expected a number, got the string "52x22"');
  t.is(formatConfigErrors([e]), `${file}:5:11: listeners[1].port: expected a number, got the string "52x22"`);
});

test("a quoted number gets a hint, and a number out of range says the limit", (t) => {
  const errors = errorsOf(loadConfig(write('listeners:\n  - kind: c2s\n    port: "5222"\n  - kind: c2s-tls\n    port: 70000\n')));
  t.deepEqual(errors.map((e) => [e.path, e.line, e.message]), [
    ["listeners[0].port", 3, 'expected a number, got the string "5222" (write it without quotes)'],
    ["listeners[1].port", 5, "must be at most 65535, got the number 70000"],
  ]);
});

test("an unknown key is reported at the key, with the closest known key", (t) => {
  const e = only(loadConfig(write("listeners:\n  - kind: c2s\n    prot: 5222\n    port: 5222\n")));
  t.is(e.path, "listeners[0].prot");
  t.is(e.line, 3);
  t.is(e.column, 5);
  t.is(e.message, 'unknown key "prot" (did you mean "port"?)');
});

test("an unknown key with nothing close lists the allowed keys; top-level keys too", (t) => {
  const errors = errorsOf(loadConfig(write("log:\n  colour: true\nlistener:\n  - {kind: c2s, port: 5222}\n")));
  const byLine = [...errors].sort((a, b) => a.line! - b.line!);
  t.deepEqual(byLine.map((e) => [e.path, e.line, e.message]), [
    ["log.colour", 2, 'unknown key "colour"; allowed here: level'],
    ["listener", 3, 'unknown key "listener" (did you mean "listeners"?)'],
  ]);
});

test("a wrong enum value suggests the closest option", (t) => {
  const e = only(loadConfig(write("listeners:\n  - kind: c2stls\n    port: 5223\n")));
  t.is(e.path, "listeners[0].kind");
  t.is(e.line, 2);
  t.is(e.message, 'expected one of "c2s", "c2s-tls", "http", "https", "s2s", "s2s-tls", "component", got the string "c2stls" (did you mean "c2s-tls"?)');
});

test("a missing required key names it at its parent's line", (t) => {
  const e = only(loadConfig(write("listeners:\n  - kind: c2s\n")));
  t.is(e.path, "listeners[0].port");
  t.is(e.line, 2);
  t.is(e.message, 'missing required key "port"');
});

test("a host that is not a domain name is reported at its key", (t) => {
  const e = only(loadConfig(write("hosts:\n  localhost:\n  'not a domain!':\n    admins: []\n")));
  t.is(e.path, 'hosts["not a domain!"]');
  t.is(e.line, 3);
  t.is(e.column, 3);
  t.is(e.message, "not a valid domain name");
});

test("an unknown storage driver says which ones exist", (t) => {
  const e = only(loadConfig(write("storage:\n  driver: postgress\n")));
  t.is(e.path, "storage.driver");
  t.is(e.line, 2);
  t.is(e.message, 'expected one of "sqlite", "postgres", got the string "postgress" (did you mean "postgres"?)');
});

test("postgres storage: a URL, an optional schema and pool size; clear errors; no SQLite file path", (t) => {
  const r = loadConfig(write("storage:\n  driver: postgres\n  url: postgres://palaver:pw@db.example.com/palaver\n  schema: xmpp\n"));
  if (!r.ok) return t.fail(formatConfigErrors(r.errors));
  t.deepEqual(r.config.storage, { driver: "postgres", url: "postgres://palaver:pw@db.example.com/palaver", schema: "xmpp", poolSize: 10 });
  t.is(configPaths(r.config, r.dir).database, undefined);
  t.is(only(loadConfig(write("storage:\n  driver: postgres\n"))).message, 'missing required key "url"');
  let e = only(loadConfig(write("storage:\n  driver: postgres\n  url: mysql://db/palaver\n")));
  t.is(e.path, "storage.url");
  t.is(e.line, 3);
  t.regex(e.message, /^must be a postgres:\/\/ URL/);
  e = only(loadConfig(write("storage:\n  driver: postgres\n  url: postgres://db/palaver\n  schema: My-Schema\n")));
  t.is(e.path, "storage.schema");
  t.regex(e.message, /^must be a schema name/);
  e = only(loadConfig(write("storage:\n  driver: postgres\n  url: postgres://db/palaver\n  poolSize: 0\n")));
  t.is(e.message, "must be at least 1, got the number 0");
  e = only(loadConfig(write("storage:\n  driver: postgres\n  url: postgres://db/palaver\n  file: palaver.db\n")));
  t.is(e.message, 'unknown key "file"; allowed here: driver, url, schema, poolSize', "the keys of the driver named");
  const empty = loadConfig(write("storage:\n  driver: postgres\n  url: postgres://db/palaver\n  poolSize:\n"));
  t.true(empty.ok && empty.config.storage.driver === "postgres" && empty.config.storage.poolSize === 10, "an empty value takes the default");
});

test("two listeners on the same address and port", (t) => {
  const e = only(loadConfig(write(
    "listeners:\n  - kind: c2s\n    port: 5222\n  - kind: c2s-tls\n    port: 5222\n    address: '::'\n")));
  t.is(e.path, "listeners[1].port");
  t.is(e.line, 5);
  t.is(e.message, "same address and port as listeners[0] (:: port 5222)");
});

test("a wildcard address collides with a specific one on the same port; port 0 never collides", (t) => {
  const e = only(loadConfig(write(
    "listeners:\n  - {kind: c2s, port: 5222, address: 0.0.0.0}\n  - {kind: c2s, port: 5222, address: 127.0.0.1}\n" +
    "  - {kind: c2s, port: 5222, address: '::1'}\n  - {kind: c2s, port: 0}\n  - {kind: c2s-tls, port: 0}\n")));
  t.is(e.path, "listeners[1].port");
  t.is(e.line, 3);
  t.regex(e.message, /collides with listeners\[0\] on 0\.0\.0\.0: "0\.0\.0\.0" takes the port on every IPv4 address/);
});

test("no listener at all is an error", (t) => {
  const e = only(loadConfig(write("listeners: []\n")));
  t.is(e.path, "listeners");
  t.is(e.line, 1);
  t.regex(e.message, /at least one listener is required/);
});

test("administrators must be bare JIDs of accounts on their own host", (t) => {
  const errors = errorsOf(loadConfig(write(
    "hosts:\n  localhost:\n    admins:\n      - alice@localhost\n      - bob@example.org\n" +
    "      - carol@localhost/phone\n      - localhost\n      - '@localhost'\n")));
  t.deepEqual(errors.map((e) => [e.path, e.line]), [
    ["hosts.localhost.admins[1]", 5], ["hosts.localhost.admins[2]", 6],
    ["hosts.localhost.admins[3]", 7], ["hosts.localhost.admins[4]", 8],
  ]);
  t.is(errors[0].message, "must be an account of localhost, not of example.org");
  t.is(errors[1].message, 'must be a bare JID (an account, without "/phone")');
  t.is(errors[2].message, "must be an account (user@localhost), not a domain");
  t.regex(errors[3].message, /^not a valid JID: localpart/);
});

test("host names are prepared once; two spellings of one domain are an error", (t) => {
  const ok = loadConfig(write("hosts:\n  Example.ORG:\n    admins: [Alice@example.org]\n"));
  if (!ok.ok) return t.fail(formatConfigErrors(ok.errors));
  t.deepEqual(Object.keys(ok.config.hosts), ["example.org"]);
  const e = only(loadConfig(write("hosts:\n  example.org:\n  EXAMPLE.org:\n")));
  t.is(e.path, "hosts.EXAMPLE.org");
  t.is(e.line, 3);
  t.regex(e.message, /same domain as "example\.org"/);
});

test("a YAML syntax error is reported with its line", (t) => {
  const file = write("hosts:\n  localhost:\n    admins: [alice@localhost\nlisteners: []\n");
  const errors = errorsOf(loadConfig(file));
  t.true(errors.length >= 1);
  t.is(errors[0].file, file);
  t.is(typeof errors[0].line, "number");
  t.true(errors[0].line! >= 3 && errors[0].line! <= 4);
  t.regex(errors[0].message, /^YAML syntax error: /);
});

test("a duplicated key is a YAML error at its second occurrence", (t) => {
  const e = only(loadConfig(write("dataDir: a\ncertsDir: c\ndataDir: b\n")));
  t.is(e.line, 3);
  t.regex(e.message, /unique/);
});

test("a file that is a list, not a mapping", (t) => {
  const e = only(loadConfig(write("- hosts\n- listeners\n")));
  t.is(e.line, 1);
  t.regex(e.message, /must be a mapping of keys/);
});

test("a missing file is a clear error", (t) => {
  const file = join(mkdtempSync(join(tmpdir(), "palaver-config-")), "nope.yaml");
  const e = only(loadConfig(file));
  t.is(e.file, file);
  t.is(e.path, "");
  t.regex(e.message, /configuration file not found/);
  t.is(formatConfigErrors([e]), `${file}: ${e.message}`);
});
