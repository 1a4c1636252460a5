/**
 * TLS for server-to-server streams: the CA set peers' certificates are checked against (the system's, plus
 * configured PEM files), the contexts presenting each local domain's certificate (to peers as a server, chosen
 * by SNI; and as a client, since the receiving server asks for one to offer SASL EXTERNAL, XEP-0178 §3), and the
 * verdict on a peer's certificate for a domain (RFC 6125, RFC 6120 §13.7.2).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import tls, { type SecureContext, type TLSSocket } from "node:tls";
import type { Config } from "../config/schema.js";
import { readCertPair } from "../tls/pem.js";
import { certSources } from "../tls/store.js";
import { certificateProvesDomain, presentedIdentifiers } from "./identity.js";

/** XEP-0368 §3: the ALPN protocol of server-to-server XMPP over Direct TLS. */
export const ALPN_XMPP_SERVER = "xmpp-server";

/**
 * What a peer's certificate proves about a domain: "valid" (chains to a trusted CA and names the domain),
 * "untrusted" (no trusted chain: self-signed, unknown CA, expired), "mismatch" (trusted, but for other names),
 * "none" (no certificate, or no TLS).
 */
export type CertStatus = "valid" | "untrusted" | "mismatch" | "none";

export interface CertVerdict { status: CertStatus; detail?: string }

/** Read the configured CA files; an unreadable file is an error naming it. */
export function loadTrustedCas(config: Config, dir: string): string[] {
  const cas: string[] = config.s2s.systemCAs ? [...tls.rootCertificates] : [];
  for (const file of config.s2s.trustedCAs) {
    const path = resolve(dir, file);
    const text = readFileSync(path, "utf8");
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    if (!blocks) throw new Error(`${path} holds no PEM certificate`);
    cas.push(...blocks);
  }
  return cas;
}

export class S2sTls {
  private contexts = new Map<string, SecureContext>();
  private pems = new Map<string, { cert: string; key: string }>();
  private order: string[] = [];

  constructor(private readonly config: Config, private readonly dir: string, private cas: string[]) {
    this.reload();
  }

  /** Re-read certificates and CA files (after SIGHUP); a failing domain keeps what it had. */
  reload(): string[] {
    const errors: string[] = [];
    try {
      this.cas = loadTrustedCas(this.config, this.dir);
    } catch (e) {
      errors.push((e as Error).message);
    }
    const contexts = new Map<string, SecureContext>();
    const pems = new Map<string, { cert: string; key: string }>();
    for (const source of certSources(this.config, this.dir)) {
      const r = readCertPair(source.certFile, source.keyFile);
      if (!r.ok) {
        errors.push(`${source.domain}: ${r.error}`);
        const old = this.contexts.get(source.domain);
        if (old) { contexts.set(source.domain, old); pems.set(source.domain, this.pems.get(source.domain)!); }
        continue;
      }
      const pem = { cert: r.pair.certPem, key: r.pair.keyPem };
      pems.set(source.domain, pem);
      contexts.set(source.domain, tls.createSecureContext({ ...pem, ca: this.cas, minVersion: "TLSv1.2" }));
    }
    if (contexts.size > 0) {
      this.contexts = contexts;
      this.pems = pems;
      this.order = Object.keys(this.config.hosts).filter((d) => contexts.has(d));
    }
    return errors;
  }

  /** The local host whose certificate covers `domain`: itself, else its parent (service subdomains), else the first. */
  private hostFor(domain: string | undefined): string {
    if (domain) {
      const d = domain.toLowerCase().replace(/\.$/, "");
      if (this.contexts.has(d)) return d;
      const dot = d.indexOf(".");
      if (dot > 0 && this.contexts.has(d.slice(dot + 1))) return d.slice(dot + 1);
    }
    return this.order[0]!;
  }

  /**
   * Options for the server side (s2s listeners and STARTTLS on them): the certificate by SNI, and the peer's
   * certificate requested but not required, so a peer without a valid one can still do dialback.
   */
  serverOptions(alpn?: string[]): tls.TlsOptions {
    const pem = this.pems.get(this.hostFor(undefined))!;
    return {
      ...pem,
      ca: this.cas,
      minVersion: "TLSv1.2",
      requestCert: true,
      rejectUnauthorized: false,
      SNICallback: (name, cb) => cb(null, this.contexts.get(this.hostFor(name))),
      ...(alpn ? { ALPNProtocols: alpn } : {}),
    };
  }

  /** Options to connect as `local` to `remote` (SNI is the remote domain, XEP-0368 §3; RFC 6120 §13.7.2.1). */
  clientOptions(local: string, remote: string, directTls: boolean): tls.ConnectionOptions {
    return {
      secureContext: this.contexts.get(this.hostFor(local)),
      servername: /^[\d.]+$|:/.test(remote) ? undefined : remote,
      rejectUnauthorized: false,
      // `authorized` then says whether the chain is trusted; the name is checked by RFC 6125 rules in verdict(),
      // which know SRV-IDs and XmppAddr, unlike Node's host name check.
      checkServerIdentity: () => undefined,
      minVersion: "TLSv1.2",
      ...(directTls ? { ALPNProtocols: [ALPN_XMPP_SERVER] } : {}),
    };
  }

  /** What the peer's certificate on `socket` proves about `domain`. */
  verdict(socket: TLSSocket | null, domain: string): CertVerdict {
    if (!socket) return { status: "none", detail: "no TLS" };
    const cert = socket.getPeerX509Certificate();
    if (!cert) return { status: "none", detail: "no certificate presented" };
    if (!socket.authorized) return { status: "untrusted", detail: String(socket.authorizationError ?? "not trusted") };
    const now = Date.now();
    if (Date.parse(cert.validTo) < now || Date.parse(cert.validFrom) > now) return { status: "untrusted", detail: "outside its validity period" };
    if (!certificateProvesDomain(presentedIdentifiers(cert), domain)) {
      return { status: "mismatch", detail: `issued for ${cert.subjectAltName ?? cert.subject}` };
    }
    return { status: "valid" };
  }
}
