import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatConfigErrors } from "../../src/config/errors.js";
import { loadConfig } from "../../src/config/load.js";
import { createSelfSigned } from "../../src/tls/self-signed.js";

// Two real key pairs, made once for every test in this file.
const pairs = Promise.all([
  createSelfSigned("example.org"),
  createSelfSigned("other.net", { notBefore: new Date(Date.now() - 400 * 86_400_000), days: 30 }),
]);

async function setup() {
  const [good, expired] = await pairs;
  const dir = mkdtempSync(join(tmpdir(), "palaver-config-tls-"));
  writeFileSync(join(dir, "example.crt"), good.certPem);
  writeFileSync(join(dir, "example.key"), good.keyPem);
  writeFileSync(join(dir, "other.crt"), expired.certPem);
  writeFileSync(join(dir, "other.key"), expired.keyPem);
  writeFileSync(join(dir, "garbage.crt"), "hello\n");
  const file = join(dir, "palaver.yaml");
  const conf = (cert: string, key: string, host = "example.org") =>
    writeFileSync(file, `hosts:\n  ${host}:\n    tls:\n      cert: ${cert}\n      key: ${key}\n`);
  return { dir, file, conf };
}

test("configured certificate files that exist, parse and match load, relative to the config file", async (t) => {
  const { file, conf } = await setup();
  conf("example.crt", "example.key");
  const r = loadConfig(file);
  if (!r.ok) return t.fail(formatConfigErrors(r.errors));
  t.deepEqual(r.config.hosts["example.org"].tls, { cert: "example.crt", key: "example.key" });
  t.deepEqual(r.warnings, []);
});

test("a missing certificate file names the key, line and absolute path", async (t) => {
  const { dir, file, conf } = await setup();
  conf("missing.crt", "example.key");
  const r = loadConfig(file);
  if (r.ok) return t.fail("loaded");
  t.is(r.errors.length, 1);
  t.is(r.errors[0].path, "hosts.example.org.tls.cert");
  t.is(r.errors[0].line, 4);
  t.is(r.errors[0].message, `file not found: ${join(dir, "missing.crt")}`);
});

test("a file without PEM, and a key of another certificate, are errors on their keys", async (t) => {
  const { file, conf } = await setup();
  conf("garbage.crt", "example.key");
  let r = loadConfig(file);
  if (r.ok) return t.fail("loaded");
  t.is(r.errors[0].path, "hosts.example.org.tls.cert");
  t.regex(r.errors[0].message, /holds no PEM certificate/);
  conf("example.crt", "other.key");
  r = loadConfig(file);
  if (r.ok) return t.fail("loaded");
  t.is(r.errors[0].path, "hosts.example.org.tls.key");
  t.is(r.errors[0].line, 5);
  t.regex(r.errors[0].message, /is not the private key of the certificate/);
});

test("an expired certificate, or one for another domain, loads with warnings", async (t) => {
  const { file, conf } = await setup();
  conf("other.crt", "other.key");
  const r = loadConfig(file);
  if (!r.ok) return t.fail(formatConfigErrors(r.errors));
  const messages = r.warnings.map((w) => `${w.path}: ${w.message}`);
  t.is(messages.length, 2);
  t.regex(messages[0], /^hosts\.example\.org\.tls\.cert: the certificate does not name example\.org/);
  t.regex(messages[1], /^hosts\.example\.org\.tls\.cert: the certificate expired on /);
});
