/**
 * Finding a remote domain's server (RFC 6120 §3.2, XEP-0368 §3) through a real DNS exchange with the test DNS
 * server: static routes first, SRV records of both services in one order, "." refusing the service, the domain's
 * own address on 5269 when there are no SRV records, and quick failure when nothing answers.
 */
import test from "ava";
import dgram from "node:dgram";
import { S2sResolver } from "../../src/s2s/resolve.js";
import { TestDns } from "./dns-server.js";

let dns: TestDns;
test.before(async () => {
  dns = await TestDns.start();
  dns.zone.set("_xmpp-server._tcp.both.example", { SRV: [{ priority: 20, weight: 0, port: 5269, target: "plain.both.example" }] });
  dns.zone.set("_xmpps-server._tcp.both.example", { SRV: [{ priority: 10, weight: 0, port: 5270, target: "tls.both.example" }] });
  dns.zone.set("plain.both.example", { A: ["192.0.2.1"], AAAA: ["2001:db8::1"] });
  dns.zone.set("_xmpp-server._tcp.none.example", { SRV: [{ priority: 0, weight: 0, port: 0, target: "." }] });
  dns.zone.set("bare.example", { A: ["192.0.2.7"] });
});
test.after.always(() => dns?.stop());

const resolver = (routes: Record<string, { host: string; port: number; directTls: boolean }> = {}) =>
  new S2sResolver(new Map(Object.entries(routes)), { servers: [`127.0.0.1:${dns.port}`], timeoutMs: 2000 });

test("SRV records of both services, ordered by priority; their targets' addresses", async (t) => {
  const r = resolver();
  t.deepEqual(await r.plan("both.example"), { ok: true, source: "srv", targets: [
    { host: "tls.both.example", port: 5270, directTls: true },
    { host: "plain.both.example", port: 5269, directTls: false },
  ] });
  t.deepEqual(await r.addresses("plain.both.example"), ["192.0.2.1", "2001:db8::1"]);
  t.deepEqual(await r.addresses("tls.both.example"), []);
  t.deepEqual(await r.addresses("198.51.100.4"), ["198.51.100.4"]);
});

test("without SRV records: the domain itself on 5269 (§3.2.2); a '.' target: no service, no fallback", async (t) => {
  const r = resolver();
  t.deepEqual(await r.plan("bare.example"), { ok: true, source: "fallback", targets: [{ host: "bare.example", port: 5269, directTls: false }] });
  t.deepEqual(await r.addresses("bare.example"), ["192.0.2.7"]);
  t.like(await r.plan("none.example"), { ok: false });
});

test("a static route wins over DNS; an IP literal domain needs no DNS", async (t) => {
  const r = resolver({ "both.example": { host: "10.1.2.3", port: 5999, directTls: true } });
  t.deepEqual(await r.plan("both.example"), { ok: true, source: "route", targets: [{ host: "10.1.2.3", port: 5999, directTls: true }] });
  t.deepEqual(await r.plan("[2001:db8::5]"), { ok: true, source: "fallback", targets: [{ host: "2001:db8::5", port: 5269, directTls: false }] });
});

test("a DNS server that never answers: the look-ups give up after their timeout and the plan falls back", async (t) => {
  const silent = dgram.createSocket("udp4");
  await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
  t.teardown(() => silent.close());
  const r = new S2sResolver(new Map(), { servers: [`127.0.0.1:${silent.address().port}`], timeoutMs: 300 });
  t.deepEqual(await r.plan("quiet.example"), { ok: true, source: "fallback", targets: [{ host: "quiet.example", port: 5269, directTls: false }] });
  t.deepEqual(await r.addresses("quiet.example"), []);
});
