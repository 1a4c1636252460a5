import test from "ava";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";
import { createSelfSigned, ensureSelfSigned, selfSignedFiles } from "../../src/tls/self-signed.js";

const DAY = 86_400_000;
const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "palaver-certs-"));
}

test("makes a pair per domain: RSA 2048, SHA-256, CN and subjectAltName domain and *.domain, a year, key 0600", async (t) => {
  const dir = join(tempDir(), "certs");
  const logged: string[] = [];
  const log = {
    debug() {}, warn() {}, error() {}, child() { return log; },
    info(msg: string, f?: Record<string, unknown>) { logged.push(`${msg} ${String(f?.domain)}`); },
  };
  const results = await ensureSelfSigned(["example.org", "chat.example.net"], dir, { log });
  t.deepEqual(results.map((r) => [r.domain, r.created, r.reason]),
    [["example.org", true, "missing"], ["chat.example.net", true, "missing"]]);
  t.deepEqual(logged, ["self-signed certificate created example.org", "self-signed certificate created chat.example.net"]);
  for (const domain of ["example.org", "chat.example.net"]) {
    const { certFile, keyFile } = selfSignedFiles(domain, dir);
    t.is(results.find((r) => r.domain === domain)?.certFile, certFile);
    const pem = readFileSync(certFile, "utf8");
    const x = new X509Certificate(pem);
    t.is(x.subject, `CN=${domain}`);
    t.is(x.issuer, `CN=${domain}`);
    t.is(x.subjectAltName, `DNS:${domain}, DNS:*.${domain}`);
    t.truthy(x.checkHost(`conference.${domain}`));
    t.is(x.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    const days = (new Date(x.validTo).getTime() - Date.now()) / DAY;
    t.true(days > 360 && days <= 365);
    t.is(forge.pki.certificateFromPem(pem).siginfo.algorithmOid, SHA256_WITH_RSA);
    t.true(x.verify(x.publicKey));
    t.is(statSync(keyFile).mode & 0o777, 0o600);
  }
});

test("an existing valid pair is kept as it is", async (t) => {
  const dir = tempDir();
  await ensureSelfSigned(["example.org"], dir);
  const { certFile } = selfSignedFiles("example.org", dir);
  const before = readFileSync(certFile, "utf8");
  const again = await ensureSelfSigned(["example.org"], dir);
  t.deepEqual(again.map((r) => r.created), [false]);
  t.is(readFileSync(certFile, "utf8"), before);
});

test("remade when expired, when it names another domain, or when the key is missing", async (t) => {
  const dir = tempDir();
  const expired = await createSelfSigned("old.example", { notBefore: new Date(Date.now() - 100 * DAY), days: 30 });
  const other = await createSelfSigned("somewhere.else");
  const files = (d: string) => selfSignedFiles(d, dir);
  writeFileSync(files("old.example").certFile, expired.certPem);
  writeFileSync(files("old.example").keyFile, expired.keyPem);
  writeFileSync(files("moved.example").certFile, other.certPem);
  writeFileSync(files("moved.example").keyFile, other.keyPem);
  writeFileSync(files("nokey.example").certFile, other.certPem);

  const results = await ensureSelfSigned(["old.example", "moved.example", "nokey.example"], dir);
  t.deepEqual(results.map((r) => [r.domain, r.created, r.reason]), [
    ["old.example", true, "expired"],
    ["moved.example", true, "does not cover moved.example"],
    ["nokey.example", true, "missing"],
  ]);
  for (const d of ["old.example", "moved.example", "nokey.example"]) {
    const x = new X509Certificate(readFileSync(files(d).certFile));
    t.is(x.subject, `CN=${d}`);
    t.true(new Date(x.validTo).getTime() > Date.now() + 300 * DAY);
  }
});

test("a pair that expires within a week is renewed; a broken certificate file is replaced", async (t) => {
  const dir = tempDir();
  const soon = await createSelfSigned("soon.example", { notBefore: new Date(Date.now() - 27 * DAY), days: 30 });
  writeFileSync(selfSignedFiles("soon.example", dir).certFile, soon.certPem);
  writeFileSync(selfSignedFiles("soon.example", dir).keyFile, soon.keyPem);
  writeFileSync(selfSignedFiles("broken.example", dir).certFile, "not a certificate\n");
  writeFileSync(selfSignedFiles("broken.example", dir).keyFile, soon.keyPem);
  const results = await ensureSelfSigned(["soon.example", "broken.example"], dir);
  t.deepEqual(results.map((r) => r.created), [true, true]);
  t.is(results[0].reason, "expires soon");
  t.regex(results[1].reason ?? "", /^unusable: .*holds no PEM certificate/);
});

test("an IP literal domain gets an iPAddress name and a safe file name", async (t) => {
  const dir = tempDir();
  const [r] = await ensureSelfSigned(["[::1]"], dir);
  t.is(r.certFile, join(dir, "___1_.crt"));
  const x = new X509Certificate(readFileSync(r.certFile));
  t.is(x.subjectAltName, "IP Address:0:0:0:0:0:0:0:1");
});
