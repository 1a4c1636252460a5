import test from "ava";
import { createHash } from "node:crypto";
import { certificateSignatureHash } from "../../src/sasl/cert-signature.js";
import { tlsServerEndPoint } from "../../src/sasl/channel-binding.js";
import { selfSignedCertificate, type Digest } from "./sasl-helpers.js";

// RFC 5929 §4.1: the end-point hash follows the certificate's signature hash, with MD5 and SHA-1 -> SHA-256.
const cases: [Digest, string][] = [
  ["md5", "sha256"], ["sha1", "sha256"], ["sha256", "sha256"], ["sha384", "sha384"], ["sha512", "sha512"],
];
for (const [digest, endPointHash] of cases) {
  test(`certificate signed with ${digest}: tls-server-end-point uses ${endPointHash}`, (t) => {
    const { der } = selfSignedCertificate(digest);
    t.is(certificateSignatureHash(der), digest);
    t.deepEqual(tlsServerEndPoint(der), createHash(endPointHash).update(der).digest());
  });
}

// Hand-made DER for algorithms node-forge cannot sign with.
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const len = body.length < 0x80 ? Buffer.from([body.length])
    : body.length < 0x100 ? Buffer.from([0x81, body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [a! * 40 + b!];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const fakeCert = (algorithm: Buffer) => seq(seq(tlv(0x02, Buffer.from([1]))), algorithm, tlv(0x03, Buffer.from([0, 1, 2])));
const SHA256 = seq(oid("2.16.840.1.101.3.4.2.1"));
const SHA384 = seq(oid("2.16.840.1.101.3.4.2.2"));
const PSS = "1.2.840.113549.1.1.10";
const mgf1 = (hash: Buffer) => seq(oid("1.2.840.113549.1.1.8"), hash);

test("ECDSA with SHA-384 (by OID)", (t) => {
  t.is(certificateSignatureHash(fakeCert(seq(oid("1.2.840.10045.4.3.3")))), "sha384");
});

test("Ed25519 uses no single hash: tls-server-end-point is undefined", (t) => {
  const der = fakeCert(seq(oid("1.3.101.112")));
  t.is(certificateSignatureHash(der), null);
  t.is(tlsServerEndPoint(der), null);
});

test("RSASSA-PSS: the hash of its parameters, defaults to SHA-1, and two hashes are undefined", (t) => {
  t.is(certificateSignatureHash(fakeCert(seq(oid(PSS), seq(tlv(0xa0, SHA256), tlv(0xa1, mgf1(SHA256)))))), "sha256");
  t.is(certificateSignatureHash(fakeCert(seq(oid(PSS), seq()))), "sha1");
  t.is(certificateSignatureHash(fakeCert(seq(oid(PSS), seq(tlv(0xa0, SHA384), tlv(0xa1, mgf1(SHA256)))))), null);
  const defaults = fakeCert(seq(oid(PSS), seq()));
  t.deepEqual(tlsServerEndPoint(defaults), createHash("sha256").update(defaults).digest());
});

test("garbage, truncated and empty input give null, never an exception", (t) => {
  const { der } = selfSignedCertificate("sha256");
  t.is(certificateSignatureHash(Buffer.alloc(0)), null);
  t.is(certificateSignatureHash(Buffer.from("not a certificate")), null);
  for (let cut = 0; cut < 40; cut++) t.is(certificateSignatureHash(der.subarray(0, cut)), null);
  t.is(certificateSignatureHash(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])), null);
  t.is(certificateSignatureHash(Buffer.from([0x30, 0x80, 0x00, 0x00])), null);
});
