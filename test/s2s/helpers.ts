/**
 * Federation test fixtures: Palaver servers for different domains, each on its own loopback address (127.0.0.x
 * all reach this machine on Linux), with s2s listeners, static routes to each other, and their own certificates
 * (self-signed by default, or issued by a test CA made here with node-forge); and a raw client to log in with.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";
import { catalog } from "../../xeps/index.js";
import { configSchema, type Config } from "../../src/config/schema.js";
import { jid } from "../../src/jid.js";
import { configureLogging } from "../../src/log.js";
import { Server } from "../../src/server.js";
import { RawClient } from "../helpers/raw-client.js";

/** The modules federation tests rely on (IM extensions that must work across servers, MUC). */
export const FED_MODULES = {
  disco: null, ping: null, version: null, time: null, last: null, offline: null, carbons: null, "stanza-id": null,
  mam: null, vcard: null, blocking: null, caps: null, pep: null, muc: null,
};

/** A port free on `address` right now (bound and released). */
export function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, address, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A distinct loopback address per call within this process (127.0.<pid-based>.<n>), so parallel runs rarely meet. */
let nextHost = 2;
const subnet = 16 + (process.pid % 200);
export function loopback(): string {
  const n = nextHost++;
  if (nextHost > 250) nextHost = 2;
  return `127.0.${subnet}.${n}`;
}

// ---- certificates ----

export interface Pem { cert: string; key: string }

function keyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString("hex");
}

export interface TestCa extends Pem {
  /** A certificate for `names` (DNS-IDs), issued by this CA, usable as server and client certificate. */
  issue(names: string[], opts?: { xmppAddrs?: string[]; srvNames?: string[]; cn?: string }): Pem;
}

/** A throwaway certificate authority (RFC 5280 CA certificate, keyCertSign). */
export function makeCa(name = "Palaver Test CA"): TestCa {
  const { publicKey, privateKey } = keyPair();
  const caKey = forge.pki.privateKeyFromPem(privateKey);
  const ca = forge.pki.createCertificate();
  ca.publicKey = forge.pki.publicKeyFromPem(publicKey);
  ca.serialNumber = serial();
  ca.validity.notBefore = new Date(Date.now() - 3_600_000);
  ca.validity.notAfter = new Date(Date.now() + 7 * 86_400_000);
  const subject = [{ name: "commonName", value: name }];
  ca.setSubject(subject);
  ca.setIssuer(subject);
  ca.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  ca.sign(caKey, forge.md.sha256.create());
  const caPem = forge.pki.certificateToPem(ca);
  return {
    cert: caPem,
    key: privateKey,
    issue(names, opts = {}) {
      const pair = keyPair();
      const c = forge.pki.createCertificate();
      c.publicKey = forge.pki.publicKeyFromPem(pair.publicKey);
      c.serialNumber = serial();
      c.validity.notBefore = new Date(Date.now() - 3_600_000);
      c.validity.notAfter = new Date(Date.now() + 7 * 86_400_000);
      c.setSubject([{ name: "commonName", value: opts.cn ?? names[0] ?? "nobody" }]);
      c.setIssuer(subject);
      const asn1 = forge.asn1;
      const otherName = (oid: string, inner: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes()),
        asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [inner]),
      ]);
      const san = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        ...names.map((n) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, n)),
        // RFC 6120 §13.7.1.4 id-on-xmppAddr (UTF8String) and RFC 4985 SRVName (IA5String).
        ...(opts.xmppAddrs ?? []).map((a) => otherName("1.3.6.1.5.5.7.8.5", asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, forge.util.encodeUtf8(a)))),
        ...(opts.srvNames ?? []).map((s) => otherName("1.3.6.1.5.5.7.8.7", asn1.create(asn1.Class.UNIVERSAL, asn1.Type.IA5STRING, false, s))),
      ]);
      c.setExtensions([
        { name: "basicConstraints", cA: false, critical: true },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true, clientAuth: true },
        { name: "subjectAltName", value: asn1.toDer(san).getBytes() } as never,
      ]);
      c.sign(caKey, forge.md.sha256.create());
      return { cert: forge.pki.certificateToPem(c), key: pair.privateKey };
    },
  };
}

// ---- servers ----

export interface FedServer {
  server: Server;
  domain: string;
  address: string;
  dir: string;
  ports: { s2s: number; plain: number; component?: number };
  addUser(user: string, password?: string): Promise<string>;
  /** Log a user in over the plaintext c2s listener, bind `resource`, send initial presence when asked. */
  login(user: string, resource?: string): Promise<RawClient>;
  stop(): Promise<void>;
}

export interface FedOptions {
  domain: string;
  address?: string;
  /** Fixed ports (known before start, so peers can route to this server); chosen free ones otherwise. */
  s2sPort?: number;
  /** Static routes: domain -> where its server listens. */
  routes?: Record<string, { host: string; port: number; directTls?: boolean }>;
  s2s?: Record<string, unknown>;
  /** The host's certificate (written to files); self-signed when absent. */
  tls?: Pem;
  /** CA certificates to trust (written to a file). */
  trust?: string[];
  /** s2s-tls (Direct TLS) listener instead of STARTTLS. */
  directTls?: boolean;
  components?: Record<string, { secret: string; name?: string }>;
  limits?: Record<string, unknown>;
  modules?: Record<string, unknown>;
}

export async function startFederated(o: FedOptions): Promise<FedServer> {
  configureLogging((process.env.PALAVER_TEST_LOG as "debug") ?? "error");
  const dir = mkdtempSync(join(tmpdir(), "palaver-s2s-"));
  const address = o.address ?? loopback();
  const s2sPort = o.s2sPort ?? await freePort(address);
  const host: Record<string, unknown> = { admins: [] };
  if (o.tls) {
    mkdirSync(join(dir, "own"), { recursive: true });
    writeFileSync(join(dir, "own", "cert.pem"), o.tls.cert);
    writeFileSync(join(dir, "own", "key.pem"), o.tls.key, { mode: 0o600 });
    host.tls = { cert: "own/cert.pem", key: "own/key.pem" };
  }
  const trustedCAs: string[] = [];
  if (o.trust?.length) {
    writeFileSync(join(dir, "trusted.pem"), o.trust.join("\n"));
    trustedCAs.push("trusted.pem");
  }
  const listeners: unknown[] = [
    { kind: o.directTls ? "s2s-tls" : "s2s", port: s2sPort, address },
    { kind: "c2s", port: 0, address: "127.0.0.1", allowPlaintext: true },
  ];
  if (o.components) listeners.push({ kind: "component", port: 0, address: "127.0.0.1" });
  const raw = {
    hosts: { [o.domain]: host },
    listeners,
    auth: { throttleFreeFailures: 1000 },
    modules: o.modules ?? FED_MODULES,
    limits: o.limits ?? {},
    components: o.components ?? {},
    s2s: {
      routes: o.routes ?? {},
      trustedCAs,
      systemCAs: false,
      // No DNS on test machines: a closed local port answers every query with "refused" at once.
      dnsServers: ["127.0.0.1:9"],
      dnsTimeout: 1,
      connectTimeout: 8,
      ...o.s2s,
    },
  };
  const config: Config = configSchema.parse(raw);
  const server = await Server.start({ config, dir, catalog });
  const plain = server.listeners.find((l) => l.kind === "c2s")!.port;
  const component = server.listeners.find((l) => l.kind === "component")?.port;
  return {
    server, domain: o.domain, address, dir,
    ports: { s2s: s2sPort, plain, ...(component !== undefined ? { component } : {}) },
    async addUser(user, password = "secret") {
      const address = `${user}@${o.domain}`;
      const r = await server.accounts.create(jid(address), password);
      if (!r.ok) throw new Error(`cannot create ${address}: ${r.error}`);
      return address;
    },
    login: (user, resource = "res") => loginAt(plain, o.domain, user, "secret", resource),
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Log in with PLAIN on a plaintext listener for `domain`, bind `resource`; the client is ready for stanzas. */
export async function loginAt(port: number, domain: string, user: string, password: string, resource: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.open(domain);
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${password}`).toString("base64")}</auth>`);
  const r = await c.next();
  if (r?.name !== "success") throw new Error(`login of ${user}@${domain} failed: ${r?.toString()}`);
  c.resetParser();
  await c.open(domain);
  c.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  await c.until((el) => el.name === "iq" && el.attrs.id === "bind1");
  return c;
}

/** Two servers routed to each other (each knows where the other listens before either starts). */
export async function startPair(a: Omit<FedOptions, "routes" | "address" | "s2sPort">, b: Omit<FedOptions, "routes" | "address" | "s2sPort">): Promise<[FedServer, FedServer]> {
  const addrA = loopback();
  const addrB = loopback();
  const [portA, portB] = await Promise.all([freePort(addrA), freePort(addrB)]);
  const routeA = { host: addrA, port: portA, directTls: a.directTls ?? false };
  const routeB = { host: addrB, port: portB, directTls: b.directTls ?? false };
  const sa = await startFederated({ ...a, address: addrA, s2sPort: portA, routes: { [b.domain]: routeB, ...subRoutes(b, routeB) } });
  const sb = await startFederated({ ...b, address: addrB, s2sPort: portB, routes: { [a.domain]: routeA, ...subRoutes(a, routeA) } });
  return [sa, sb];
}

/** Component domains of a server are reached at that server too (their dialback keys are its own). */
function subRoutes(o: FedOptions, route: { host: string; port: number; directTls: boolean }) {
  return Object.fromEntries(Object.keys(o.components ?? {}).map((d) => [d, route]));
}
