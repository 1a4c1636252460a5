/**
 * Development certificates: a self-signed X.509 certificate per domain (RFC 5280), made on first start so the
 * server speaks TLS out of the box. The key pair comes from Node's crypto (native, fast); node-forge builds and
 * signs the certificate. subjectAltName names the domain and *.domain (RFC 6125 DNS-IDs; XMPP services such
 * as conference.<domain> are covered by the wildcard).
 */
import { generateKeyPair, randomBytes, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isIP } from "node:net";
import { promisify } from "node:util";
import forge from "node-forge";
import type { Logger } from "../log.js";
import { certCovers, readCertPair } from "./pem.js";

const generateKeyPairAsync = promisify(generateKeyPair);
const DAY = 86_400_000;
/** Remade this long before it expires, so a running server never serves an expired one for long. */
const RENEW_BEFORE_DAYS = 7;

export interface SelfSignedOptions {
  /** Start of validity (default: an hour ago, to tolerate clock skew). */
  notBefore?: Date;
  /** Days of validity from notBefore (default about a year). */
  days?: number;
}

export function selfSignedFiles(domain: string, certsDir: string): { certFile: string; keyFile: string } {
  // An IP literal like [::1] keeps only characters safe in file names.
  const name = domain.replace(/[^\p{L}\p{N}.\-_]/gu, "_");
  return { certFile: join(certsDir, `${name}.crt`), keyFile: join(certsDir, `${name}.key`) };
}

function altNamesFor(domain: string): { type: number; value?: string; ip?: string }[] {
  const literal = domain.startsWith("[") && domain.endsWith("]") ? domain.slice(1, -1) : domain;
  if (isIP(literal)) return [{ type: 7, ip: literal }]; // iPAddress
  return [{ type: 2, value: domain }, { type: 2, value: `*.${domain}` }]; // dNSName
}

/** A new self-signed certificate and its key, both PEM (the key is PKCS#8). */
export async function createSelfSigned(domain: string, opts: SelfSignedOptions = {}): Promise<{ certPem: string; keyPem: string }> {
  const { publicKey, privateKey } = await generateKeyPairAsync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // A positive serial of 128 random bits (RFC 5280 §4.1.2.2: at most 20 octets, non-negative).
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  cert.serialNumber = serial.toString("hex");
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3_600_000);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + (opts.days ?? 365) * DAY);
  const name = [{ name: "commonName", value: domain }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true, clientAuth: true },
    { name: "subjectAltName", altNames: altNamesFor(domain) },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKey };
}

/** Why an existing pair must be remade, or null when it is fine. */
export function needsRenewal(certFile: string, keyFile: string, domain: string, now = new Date()): string | null {
  if (!existsSync(certFile) || !existsSync(keyFile)) return "missing";
  const r = readCertPair(certFile, keyFile);
  if (!r.ok) return `unusable: ${r.error}`;
  const x: X509Certificate = r.pair.x509;
  if (!certCovers(x, domain)) return `does not cover ${domain}`;
  const notAfter = new Date(x.validTo).getTime();
  if (notAfter < now.getTime()) return "expired";
  if (notAfter - now.getTime() < RENEW_BEFORE_DAYS * DAY) return "expires soon";
  return null;
}

/** Write through a temporary file and rename, so a reader never sees half a file; the key is mode 0600. */
function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, text, { mode, flag: "wx" });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export interface SelfSignedResult {
  domain: string;
  certFile: string;
  keyFile: string;
  /** True when a new pair was written; `reason` says why. */
  created: boolean;
  reason?: string;
}

/**
 * For each domain (those configured without their own `tls` files), make sure `certsDir/<domain>.crt` and
 * `.key` exist, cover the domain and have not expired; otherwise make a new pair.
 */
export async function ensureSelfSigned(
  domains: readonly string[], certsDir: string, opts: { log?: Logger; now?: Date } = {},
): Promise<SelfSignedResult[]> {
  const results: SelfSignedResult[] = [];
  for (const domain of domains) {
    const { certFile, keyFile } = selfSignedFiles(domain, certsDir);
    const reason = needsRenewal(certFile, keyFile, domain, opts.now);
    if (reason === null) { results.push({ domain, certFile, keyFile, created: false }); continue; }
    mkdirSync(certsDir, { recursive: true });
    const { certPem, keyPem } = await createSelfSigned(domain, opts.now ? { notBefore: new Date(opts.now.getTime() - 3_600_000) } : {});
    writeAtomic(keyFile, keyPem, 0o600);
    writeAtomic(certFile, certPem, 0o644);
    opts.log?.info("self-signed certificate created", { domain, certFile, keyFile, reason });
    results.push({ domain, certFile, keyFile, created: true, reason });
  }
  return results;
}
