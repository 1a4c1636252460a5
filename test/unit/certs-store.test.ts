import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer, TLSSocket, type ConnectionOptions, type PeerCertificate } from "node:tls";
import { configSchema } from "../../src/config/schema.js";
import { ALPN_XMPP_CLIENT, tlsServerOptions } from "../../src/tls/options.js";
import { CertificateStore, certSources, openCertificateStore, type CertSource } from "../../src/tls/store.js";
import { createSelfSigned, ensureSelfSigned } from "../../src/tls/self-signed.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "palaver-store-"));
}

/** A store for two self-signed domains, made once for the SNI tests. */
const twoDomains = (async () => {
  const dir = tempDir();
  const made = await ensureSelfSigned(["alpha.test", "beta.test"], dir);
  const sources: CertSource[] = made.map((m) => ({ domain: m.domain, source: "self-signed", certFile: m.certFile, keyFile: m.keyFile }));
  const r = CertificateStore.load(sources);
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.store;
})();

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

/** Connect, finish the handshake, and report what the server presented. */
function handshake(port: number, opts: ConnectionOptions): Promise<{ cert: PeerCertificate; alpn: string | false; version: string | null }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...opts }, () => {
      const result = { cert: socket.getPeerCertificate(), alpn: socket.alpnProtocol ?? false, version: socket.getProtocol() };
      socket.end();
      resolve(result);
    });
    socket.on("error", reject);
  });
}

test("Direct TLS: SNI picks the certificate of the requested domain, its parent for a subdomain, else the first", async (t) => {
  const store = await twoDomains;
  const server = createServer(tlsServerOptions(store, [ALPN_XMPP_CLIENT]), (s) => s.end());
  const port = await listen(server);
  try {
    t.is((await handshake(port, { servername: "beta.test" })).cert.subject.CN, "beta.test");
    t.is((await handshake(port, { servername: "alpha.test" })).cert.subject.CN, "alpha.test");
    t.is((await handshake(port, { servername: "conference.beta.test" })).cert.subject.CN, "beta.test");
    t.is((await handshake(port, { servername: "BETA.test" })).cert.subject.CN, "beta.test");
    t.is((await handshake(port, { servername: "unknown.example" })).cert.subject.CN, "alpha.test");
    // Connecting to an IP address sends no SNI: the default (first host) answers.
    const plain = await handshake(port, { ALPNProtocols: [ALPN_XMPP_CLIENT] });
    t.is(plain.cert.subject.CN, "alpha.test");
    t.is(plain.alpn, "xmpp-client");
    t.true(plain.version === "TLSv1.2" || plain.version === "TLSv1.3");
  } finally {
    server.close();
  }
});

test("STARTTLS: a server-side TLSSocket over an accepted socket uses the same options and SNI", async (t) => {
  const store = await twoDomains;
  const server = createNetServer((raw) => {
    const secure = new TLSSocket(raw, { isServer: true, ...tlsServerOptions(store) });
    secure.on("error", () => secure.destroy());
  });
  const port = await listen(server);
  try {
    t.is((await handshake(port, { servername: "beta.test" })).cert.subject.CN, "beta.test");
    t.is((await handshake(port, {})).cert.subject.CN, "alpha.test");
  } finally {
    server.close();
  }
});

test("a TLS 1.1 client is refused", async (t) => {
  const store = await twoDomains;
  const server = createServer(tlsServerOptions(store), (s) => s.end());
  const port = await listen(server);
  try {
    // The client offers TLS 1.0-1.1 only (security level 0 so that its own OpenSSL allows it).
    await t.throwsAsync(handshake(port, { minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT:@SECLEVEL=0" }),
      { message: /alert protocol version/ });
    t.is((await handshake(port, { maxVersion: "TLSv1.2" })).version, "TLSv1.2");
  } finally {
    server.close();
  }
});

test("reload: a broken file keeps the previous context; a good one replaces it", async (t) => {
  const dir = tempDir();
  const first = await createSelfSigned("gamma.test");
  const second = await createSelfSigned("gamma.test");
  const certFile = join(dir, "fullchain.pem");
  const keyFile = join(dir, "privkey.pem");
  writeFileSync(certFile, first.certPem);
  writeFileSync(keyFile, first.keyPem);
  const errors: string[] = [];
  const log = {
    debug() {}, info() {}, warn() {}, child() { return log; },
    error(msg: string, f?: Record<string, unknown>) { errors.push(`${msg}: ${String(f?.error)}`); },
  };
  const loaded = CertificateStore.load([{ domain: "gamma.test", source: "configured", certFile, keyFile }], log);
  if (!loaded.ok) return t.fail(loaded.errors.join("; "));
  const store = loaded.store;
  const server = createServer(tlsServerOptions(store), (s) => s.end());
  const port = await listen(server);
  try {
    const before = (await handshake(port, { servername: "gamma.test" })).cert.fingerprint256;
    t.is(before, store.describe()[0].fingerprint256);

    writeFileSync(certFile, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
    const failed = store.reload();
    t.false(failed.ok);
    if (!failed.ok) t.regex(failed.errors[0], /^gamma\.test: .*fullchain\.pem holds a certificate that cannot be parsed/);
    t.is(errors.length, 1);
    t.regex(errors[0], /^certificate reload failed; keeping the previous one/);
    t.is((await handshake(port, { servername: "gamma.test" })).cert.fingerprint256, before);

    writeFileSync(certFile, second.certPem);
    writeFileSync(keyFile, second.keyPem);
    t.deepEqual(store.reload(), { ok: true });
    const after = (await handshake(port, { servername: "gamma.test" })).cert.fingerprint256;
    t.not(after, before);
    t.is(after, store.describe()[0].fingerprint256);
  } finally {
    server.close();
  }
});

test("openCertificateStore mixes configured files and self-signed pairs; describe() reports both", async (t) => {
  const dir = tempDir();
  const real = await createSelfSigned("real.example");
  writeFileSync(join(dir, "real.crt"), real.certPem);
  writeFileSync(join(dir, "real.key"), real.keyPem);
  const config = configSchema.parse({
    hosts: { "dev.example": {}, "real.example": { tls: { cert: "real.crt", key: "real.key" } } },
    certsDir: "certs",
  });
  t.deepEqual(certSources(config, dir).map((s) => [s.domain, s.source, s.certFile]), [
    ["dev.example", "self-signed", join(dir, "certs", "dev.example.crt")],
    ["real.example", "configured", join(dir, "real.crt")],
  ]);
  const now = new Date();
  const r = await openCertificateStore(config, dir, { now });
  if (!r.ok) return t.fail(r.errors.join("; "));
  const info = r.store.describe(now);
  t.deepEqual(info.map((i) => [i.domain, i.source, i.file, i.subject, i.altNames]), [
    ["dev.example", "self-signed", join(dir, "certs", "dev.example.crt"), "CN=dev.example", ["dev.example", "*.dev.example"]],
    ["real.example", "configured", join(dir, "real.crt"), "CN=real.example", ["real.example", "*.real.example"]],
  ]);
  for (const i of info) {
    t.true(i.notAfter instanceof Date);
    t.true(i.daysLeft >= 363 && i.daysLeft <= 365, `daysLeft ${i.daysLeft}`);
  }
  t.deepEqual(r.store.domains(), ["dev.example", "real.example"]);
});

test("a store cannot be opened with a broken configured certificate", async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, "x.crt"), "nothing here");
  writeFileSync(join(dir, "x.key"), "nothing here");
  const config = configSchema.parse({ hosts: { "x.example": { tls: { cert: "x.crt", key: "x.key" } } } });
  const r = await openCertificateStore(config, dir);
  t.false(r.ok);
  if (!r.ok) t.regex(r.errors[0], /^x\.example: .*x\.crt holds no PEM certificate/);
});
