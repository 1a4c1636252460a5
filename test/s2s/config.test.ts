/** Federation and component settings in the config file: defaults, and the errors that name the key at fault. */
import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatConfigErrors } from "../../src/config/errors.js";
import { loadConfig } from "../../src/config/load.js";

function load(text: string, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "palaver-s2s-config-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  writeFileSync(join(dir, "palaver.yaml"), text);
  return loadConfig(join(dir, "palaver.yaml"));
}

const messages = (r: ReturnType<typeof load>) => (r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`));

test("defaults: TLS required, certificates not required (dialback allowed), bidi on, 30 s budget, no routes", (t) => {
  const r = load("hosts: { example.org: {} }\nlisteners: [{ kind: s2s, port: 5269 }, { kind: s2s-tls, port: 5270 }, { kind: component, port: 5347 }]\n");
  if (!r.ok) return t.fail(formatConfigErrors(r.errors));
  t.like(r.config.s2s, { requireEncryption: true, requireValidCertificates: false, dialback: true, bidi: true, systemCAs: true, connectTimeout: 30, idleTimeout: 300 });
  t.is(r.config.s2s.enabled, undefined, "on because s2s listeners are configured");
  t.deepEqual(r.config.s2s.routes, {});
  t.deepEqual(r.config.listeners.map((l) => [l.kind, l.address]), [["s2s", "::"], ["s2s-tls", "::"], ["component", "127.0.0.1"]]);
});

test("static routes and components are read with their defaults", (t) => {
  const r = load(`hosts: { example.org: {} }
s2s:
  routes:
    other.example: { host: 10.0.0.2 }
    tls.example: { host: xmpp.tls.example, port: 5270, directTls: true }
components:
  bot.example.org: { secret: s3cret, name: Bot }
`);
  if (!r.ok) return t.fail(formatConfigErrors(r.errors));
  t.deepEqual(r.config.s2s.routes["other.example"], { host: "10.0.0.2", port: 5269, directTls: false });
  t.deepEqual(r.config.s2s.routes["tls.example"], { host: "xmpp.tls.example", port: 5270, directTls: true });
  t.deepEqual(r.config.components["bot.example.org"], { secret: "s3cret", name: "Bot" });
});

test("mistakes are named by key: a component on a host's domain, bad DNS servers, unreadable CA files, s2s listeners without federation", (t) => {
  const r = load(`hosts: { example.org: {} }
listeners: [{ kind: s2s, port: 5269 }]
s2s:
  enabled: false
  dnsServers: ["127.0.0.1:5353", "not an address", "[::1]:53"]
  trustedCAs: [missing.pem, empty.pem]
components:
  example.org: { secret: x }
`, { "empty.pem": "nothing here" });
  const m = messages(r);
  t.true(m.some((e) => e.startsWith("listeners[0].kind:") && e.includes("s2s.enabled is false")), m.join("\n"));
  t.true(m.some((e) => e.startsWith("s2s.dnsServers[1]:")), m.join("\n"));
  t.false(m.some((e) => e.startsWith("s2s.dnsServers[0]") || e.startsWith("s2s.dnsServers[2]")), m.join("\n"));
  t.true(m.some((e) => e.startsWith("s2s.trustedCAs[0]:") && e.includes("cannot read")), m.join("\n"));
  t.true(m.some((e) => e.startsWith("s2s.trustedCAs[1]:") && e.includes("no PEM certificate")), m.join("\n"));
  t.true(m.some((e) => e.startsWith("components.example.org") && e.includes("one of the hosts")), m.join("\n"));
});

test("unknown keys and wrong types are refused", (t) => {
  t.true(messages(load("s2s: { requireValidCertificate: true }\n")).some((e) => e.startsWith("s2s")));
  t.true(messages(load("s2s: { routes: { other.example: { port: 5269 } } }\n")).some((e) => e.includes("host")));
  t.true(messages(load("components: { bot.example: {} }\n")).some((e) => e.includes("secret")));
  t.true(messages(load("s2s: { dialbackSecret: short }\n")).some((e) => e.startsWith("s2s.dialbackSecret")));
});
