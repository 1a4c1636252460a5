/**
 * The pure parts of federation: dialback keys (XEP-0220 §2.1.1 example), certificate identity (RFC 6125 as RFC
 * 6120 §13.7.2.1 profiles it), SRV ordering and the XEP-0368 merge (RFC 2782, RFC 6120 §3.2), the policy
 * decisions, SASL EXTERNAL (XEP-0178 §3) and the component handshake (XEP-0114 §3).
 */
import test from "ava";
import { createHash } from "node:crypto";
import { handshakeDigest, verifyHandshake } from "../../src/component/handshake.js";
import { externalMechanism, type ExternalContext } from "../../src/sasl/external.js";
import { DialbackKeys } from "../../src/s2s/dialback-key.js";
import {
  certificateProvesDomain, dnsIdMatches, parseSubjectAltName, presentedIdentifiers, type PresentedIdentifiers,
} from "../../src/s2s/identity.js";
import { decideDialback, inboundOffer, outboundStep, type S2sPolicy } from "../../src/s2s/policy.js";
import { orderSrv, planFromSrv, type SrvRecord } from "../../src/s2s/resolve.js";
import { serialiseStanza } from "../../src/s2s/stream-base.js";
import { parseXml } from "../../src/xml/element.js";
import { makeCa } from "./helpers.js";
import { X509Certificate } from "node:crypto";

// ---- dialback keys ----

test("dialback keys reproduce XEP-0220 §2.1.1 Example 1 and verify only their own inputs", (t) => {
  const keys = new DialbackKeys("d14lb4ck43v3r");
  const key = keys.make("capulet.example", "montague.example", "417GAF25");
  t.is(key, "225cc5aa6a071133249d25fef42ae516fc7a86c523aa1c6980a7f73e784c972d");
  t.true(keys.verify("capulet.example", "montague.example", "417GAF25", key));
  t.true(keys.verify("capulet.example", "montague.example", "417GAF25", ` ${key.toUpperCase()}\n`));
  t.false(keys.verify("capulet.example", "montague.example", "417GAF26", key), "another stream id");
  t.false(keys.verify("montague.example", "capulet.example", "417GAF25", key), "the pair reversed");
  t.false(new DialbackKeys("another secret").verify("capulet.example", "montague.example", "417GAF25", key), "another secret");
  t.false(keys.verify("capulet.example", "montague.example", "417GAF25", "short"));
});

test("without a configured secret each server makes keys the others cannot forge", (t) => {
  const a = new DialbackKeys();
  const b = new DialbackKeys();
  t.not(a.make("r.example", "o.example", "id"), b.make("r.example", "o.example", "id"));
});

// ---- certificate identity ----

const ids = (p: Partial<PresentedIdentifiers>): PresentedIdentifiers => ({ dns: [], srv: [], xmpp: [], cn: [], ...p });

test("DNS-IDs match exactly or by a wildcard over one whole left-most label (RFC 6125 §6.4.3)", (t) => {
  t.true(dnsIdMatches("example.org", "EXAMPLE.org."));
  t.true(dnsIdMatches("*.example.org", "conference.example.org"));
  t.false(dnsIdMatches("*.example.org", "example.org"), "the wildcard needs a label");
  t.false(dnsIdMatches("*.example.org", "a.b.example.org"), "only one label");
  t.false(dnsIdMatches("*.org", "example.org"), "too broad");
  t.false(dnsIdMatches("f*.example.org", "foo.example.org"), "partial wildcards are not honoured");
  t.false(dnsIdMatches("*.example.org", "xn--80ak6aa92e.example.org"), "not over an A-label");
});

test("a certificate proves a domain by DNS-ID, SRV-ID or XmppAddr; the CN only without any of them (§6.4.4)", (t) => {
  t.true(certificateProvesDomain(ids({ dns: ["b.example"] }), "b.example"));
  t.true(certificateProvesDomain(ids({ srv: ["_xmpp-server.b.example"] }), "b.example"));
  t.false(certificateProvesDomain(ids({ srv: ["_xmpp-client.b.example"] }), "b.example"), "a client SRV-ID is not a server's");
  t.true(certificateProvesDomain(ids({ xmpp: ["b.example"] }), "b.example"));
  t.true(certificateProvesDomain(ids({ cn: ["b.example"] }), "b.example"));
  t.false(certificateProvesDomain(ids({ dns: ["other.example"], cn: ["b.example"] }), "b.example"), "CN ignored when a DNS-ID exists");
  t.false(certificateProvesDomain(ids({ dns: ["other.example"] }), "b.example"));
});

test("subjectAltName as Node renders it, with quoted values, is read back entry by entry", (t) => {
  t.deepEqual(parseSubjectAltName('DNS:a.example, othername:XmppAddr:b.example, DNS:"c, d.example", othername:SRVName:_xmpp-server.e.example'), [
    { type: "DNS", value: "a.example" },
    { type: "othername:XmppAddr", value: "b.example" },
    { type: "DNS", value: "c, d.example" },
    { type: "othername:SRVName", value: "_xmpp-server.e.example" },
  ]);
  t.deepEqual(parseSubjectAltName(undefined), []);
});

test("identifiers are read from a real certificate (DNS-ID, XmppAddr and SRVName otherNames)", (t) => {
  const ca = makeCa();
  const pem = ca.issue(["dns.example"], { xmppAddrs: ["xmpp.example"], srvNames: ["_xmpp-server.srv.example"], cn: "cn.example" });
  const p = presentedIdentifiers(new X509Certificate(pem.cert));
  t.deepEqual(p, { dns: ["dns.example"], srv: ["_xmpp-server.srv.example"], xmpp: ["xmpp.example"], cn: ["cn.example"] });
  for (const d of ["dns.example", "xmpp.example", "srv.example"]) t.true(certificateProvesDomain(p, d), d);
  t.false(certificateProvesDomain(p, "cn.example"));
});

// ---- resolution ----

const srv = (name: string, priority: number, weight: number, port = 5269): SrvRecord => ({ name, port, priority, weight });

test("SRV records are tried by priority, and by weight within one (RFC 2782)", (t) => {
  const records = [srv("c", 20, 0), srv("a", 10, 60), srv("b", 10, 40)];
  // random() = 0: the first of the running sums wins; = 0.99: the last.
  t.deepEqual(orderSrv(records, () => 0).map((r) => r.name), ["a", "b", "c"]);
  t.deepEqual(orderSrv(records, () => 0.99).map((r) => r.name), ["b", "a", "c"]);
  const counts = { a: 0, b: 0 };
  let x = 0;
  for (let i = 0; i < 1000; i++) counts[orderSrv(records, () => (x = (x + 0.618033) % 1))[0]!.name as "a" | "b"]++;
  t.true(counts.a > counts.b, "the heavier record comes first more often");
});

test("XEP-0368: Direct TLS and STARTTLS records form one order; '.' means no service (RFC 6120 §3.2.1)", (t) => {
  const plan = planFromSrv([srv("tls.example.", 5, 0, 5270)], [srv("xmpp.example.", 10, 0)], () => 0);
  t.deepEqual(plan, { ok: true, source: "srv", targets: [
    { host: "tls.example", port: 5270, directTls: true }, { host: "xmpp.example", port: 5269, directTls: false },
  ] });
  t.is(planFromSrv(null, null), null, "no records at all: the A/AAAA fallback applies");
  t.false((planFromSrv(null, [srv(".", 0, 0, 0)]) as { ok: boolean }).ok, "'.' for xmpp-server: no fallback");
  t.like(planFromSrv([srv(".", 0, 0, 0)], [srv("xmpp.example", 0, 0)]), { ok: true, targets: [{ host: "xmpp.example", directTls: false }] },
    "'.' for xmpps-server only rules out Direct TLS");
});

// ---- policy ----

const policy = (p: Partial<S2sPolicy> = {}): S2sPolicy => ({ requireEncryption: true, requireValidCertificates: false, dialback: true, bidi: true, ...p });

test("the receiving side offers only STARTTLS until TLS is in place, then EXTERNAL for a valid certificate, dialback and bidi", (t) => {
  t.deepEqual(inboundOffer(policy(), { secure: false, canStartTls: true, cert: "none" }), { starttls: "required", external: false, dialback: false, bidi: false });
  t.deepEqual(inboundOffer(policy(), { secure: true, canStartTls: false, cert: "valid" }), { starttls: "no", external: true, dialback: true, bidi: true });
  t.deepEqual(inboundOffer(policy(), { secure: true, canStartTls: false, cert: "untrusted" }), { starttls: "no", external: false, dialback: true, bidi: true });
  t.deepEqual(inboundOffer(policy({ requireValidCertificates: true }), { secure: true, canStartTls: false, cert: "untrusted" }),
    { starttls: "no", external: false, dialback: false, bidi: true });
  t.deepEqual(inboundOffer(policy({ requireEncryption: false, bidi: false }), { secure: false, canStartTls: true, cert: "none" }),
    { starttls: "offered", external: false, dialback: true, bidi: false });
});

test("dialback requests: unknown target, no TLS, certificate policy, duplicates; a valid certificate needs no callback", (t) => {
  const base = { targetServed: true, secure: true, cert: "untrusted" as const, alreadyPending: false };
  t.like(decideDialback(policy(), { ...base, targetServed: false }), { action: "error", condition: "item-not-found" });
  t.like(decideDialback(policy(), { ...base, secure: false }), { action: "error", condition: "policy-violation" });
  t.like(decideDialback(policy({ requireValidCertificates: true }), base), { action: "error", condition: "not-authorized" });
  t.like(decideDialback(policy({ dialback: false }), base), { action: "error", condition: "not-authorized" });
  t.like(decideDialback(policy(), { ...base, alreadyPending: true }), { action: "error", condition: "resource-constraint" });
  t.deepEqual(decideDialback(policy(), base), { action: "callback" });
  t.deepEqual(decideDialback(policy({ requireValidCertificates: true }), { ...base, cert: "valid" }), { action: "valid-by-certificate" });
});

test("the initiating side: TLS first, then EXTERNAL, then dialback, else it gives up", (t) => {
  const s = { secure: false, starttlsOffered: true, externalOffered: false, externalFailed: false, dialbackSupported: true, cert: "none" as const };
  t.deepEqual(outboundStep(policy(), s), { step: "starttls" });
  t.like(outboundStep(policy(), { ...s, starttlsOffered: false }), { step: "fail" });
  t.deepEqual(outboundStep(policy({ requireEncryption: false }), { ...s, starttlsOffered: false }), { step: "dialback" });
  const secure = { ...s, secure: true, starttlsOffered: false, cert: "valid" as const };
  t.deepEqual(outboundStep(policy(), { ...secure, externalOffered: true }), { step: "external" });
  t.deepEqual(outboundStep(policy(), { ...secure, externalOffered: true, externalFailed: true }), { step: "dialback" });
  t.like(outboundStep(policy({ requireValidCertificates: true }), { ...secure, cert: "untrusted" }), { step: "fail" });
  t.like(outboundStep(policy({ dialback: false }), { ...secure, cert: "untrusted" }), { step: "fail" });
});

// ---- SASL EXTERNAL ----

const externalCtx = (certifiedIdentity: string | null, secure = true): ExternalContext => ({
  host: "b.example", ip: "127.0.0.1", secure, channelBinding: null, lookup: async () => undefined, certifiedIdentity,
});

test("EXTERNAL is offered only over TLS with a certified identity, which it authorizes (XEP-0178 §3)", async (t) => {
  const m = externalMechanism();
  t.false(m.available(externalCtx(null), false));
  t.false(m.available(externalCtx("a.example", false), false));
  t.true(m.available(externalCtx("a.example"), false));
  t.deepEqual(await m.start(externalCtx("a.example")).step(Buffer.alloc(0)), { kind: "success", username: "a.example" });
  t.deepEqual(await m.start(externalCtx("a.example")).step(Buffer.from("A.Example")), { kind: "success", username: "a.example" });
  t.like(await m.start(externalCtx("a.example")).step(Buffer.from("evil.example")), { kind: "failure", condition: "invalid-authzid" });
  t.like(await m.start(externalCtx(null)).step(Buffer.alloc(0)), { kind: "failure", condition: "not-authorized" });
  t.like(await m.start(externalCtx("a.example")).step(Buffer.from([0xff, 0xfe])), { kind: "failure", condition: "incorrect-encoding" });
});

// ---- components and serialisation ----

test("the component handshake is the lower-case hex SHA-1 of stream id and secret (XEP-0114 §3)", (t) => {
  const expected = createHash("sha1").update("3BF96D32sunshine").digest("hex");
  t.is(handshakeDigest("3BF96D32", "sunshine"), expected);
  t.true(verifyHandshake("3BF96D32", "sunshine", expected.toUpperCase()));
  t.false(verifyHandshake("3BF96D33", "sunshine", expected));
  t.false(verifyHandshake("3BF96D32", "moonshine", expected));
  t.false(verifyHandshake("3BF96D32", "sunshine", ""));
});

test("stanzas take the stream's namespace: a stored jabber:client xmlns is dropped at the top only", (t) => {
  const stored = parseXml("<message xmlns='jabber:client' to='b@b.example'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'/></forwarded></message>")!;
  const out = serialiseStanza(stored);
  t.true(out.startsWith("<message to="), out);
  t.true(out.includes("<message xmlns=\"jabber:client\"/>") || out.includes("<message xmlns='jabber:client'/>"), out);
  t.is(stored.attrs.xmlns, "jabber:client", "the shared element is left as it was");
});
