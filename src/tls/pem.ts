/**
 * Reading a PEM certificate chain and its private key, with errors that say which file is wrong and why.
 * Used by the config checks and by the certificate store.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";

export interface CertPair {
  certPem: string;
  keyPem: string;
  /** The first (leaf) certificate of the chain. */
  x509: X509Certificate;
}

export type CertPairResult =
  | { ok: true; pair: CertPair }
  | { ok: false; which: "cert" | "key"; error: string };

function readText(file: string): { ok: true; text: string } | { ok: false; error: string } {
  try {
    return { ok: true, text: readFileSync(file, "utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, error: `file not found: ${file}` };
    if (code === "EACCES") return { ok: false, error: `permission denied reading ${file}` };
    if (code === "EISDIR") return { ok: false, error: `${file} is a directory, not a file` };
    return { ok: false, error: `cannot read ${file}: ${(e as Error).message}` };
  }
}

/** Parse the leaf certificate of a PEM chain. */
export function parseCertificate(pem: string, file: string): { ok: true; x509: X509Certificate } | { ok: false; error: string } {
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    return { ok: false, error: `${file} holds no PEM certificate (expected a "-----BEGIN CERTIFICATE-----" block)` };
  }
  try {
    return { ok: true, x509: new X509Certificate(pem) };
  } catch (e) {
    return { ok: false, error: `${file} holds a certificate that cannot be parsed: ${(e as Error).message}` };
  }
}

function parseKey(pem: string, file: string): { ok: true; key: KeyObject } | { ok: false; error: string } {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    return { ok: false, error: `${file} holds no PEM private key (expected a "-----BEGIN PRIVATE KEY-----" block)` };
  }
  try {
    return { ok: true, key: createPrivateKey(pem) };
  } catch (e) {
    return { ok: false, error: `${file} holds a private key that cannot be parsed: ${(e as Error).message}` };
  }
}

/** Read, parse and match a certificate file and a key file. */
export function readCertPair(certFile: string, keyFile: string): CertPairResult {
  const cert = readText(certFile);
  if (!cert.ok) return { ok: false, which: "cert", error: cert.error };
  const x = parseCertificate(cert.text, certFile);
  if (!x.ok) return { ok: false, which: "cert", error: x.error };
  const key = readText(keyFile);
  if (!key.ok) return { ok: false, which: "key", error: key.error };
  const k = parseKey(key.text, keyFile);
  if (!k.ok) return { ok: false, which: "key", error: k.error };
  if (!x.x509.checkPrivateKey(k.key)) {
    return { ok: false, which: "key", error: `${keyFile} is not the private key of the certificate in ${certFile}` };
  }
  return { ok: true, pair: { certPem: cert.text, keyPem: key.text, x509: x.x509 } };
}

/** Whether the certificate is valid for `domain` (a DNS name in its subjectAltName, or a wildcard over it). */
export function certCovers(x509: X509Certificate, domain: string): boolean {
  if (domain.startsWith("[") && domain.endsWith("]")) return x509.checkIP(domain.slice(1, -1)) !== undefined;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(domain)) return x509.checkIP(domain) !== undefined;
  return x509.checkHost(domain) !== undefined;
}

/** The DNS names and IP addresses a certificate names in its subjectAltName ("DNS:" prefix removed). */
export function altNames(x509: X509Certificate): string[] {
  const san = x509.subjectAltName;
  if (!san) return [];
  return san.split(/,\s*/).map((n) => (n.startsWith("DNS:") ? n.slice(4) : n));
}
