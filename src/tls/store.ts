/**
 * The server's certificates, one per host: configured files (e.g. Let's Encrypt) or the self-signed pair.
 * Builds a TLS SecureContext per domain and picks one by SNI (RFC 6066 §3), so each domain served presents
 * its own certificate. `reload()` re-reads the files (SIGHUP after a renewal); a domain whose files fail to
 * load keeps its previous context.
 */
import { createSecureContext, type SecureContext } from "node:tls";
import { resolve } from "node:path";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import { altNames, readCertPair, type CertPair } from "./pem.js";
import { ensureSelfSigned, selfSignedFiles } from "./self-signed.js";

export interface CertSource {
  domain: string;
  source: "configured" | "self-signed";
  certFile: string;
  keyFile: string;
}

export interface CertInfo {
  domain: string;
  source: "configured" | "self-signed";
  file: string;
  keyFile: string;
  subject: string;
  issuer: string;
  altNames: string[];
  notBefore: Date;
  notAfter: Date;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  fingerprint256: string;
}

interface Loaded { source: CertSource; pair: CertPair; context: SecureContext }

const MIN_VERSION = "TLSv1.2" as const;

function build(source: CertSource): { ok: true; loaded: Loaded } | { ok: false; error: string } {
  const r = readCertPair(source.certFile, source.keyFile);
  if (!r.ok) return { ok: false, error: r.error };
  try {
    const context = createSecureContext({ cert: r.pair.certPem, key: r.pair.keyPem, minVersion: MIN_VERSION });
    return { ok: true, loaded: { source, pair: r.pair, context } };
  } catch (e) {
    return { ok: false, error: `${source.certFile}: ${(e as Error).message}` };
  }
}

/** Which files serve each configured host (hosts in config order; the first is the default). */
export function certSources(config: Config, dir: string): CertSource[] {
  const certsDir = resolve(dir, config.certsDir);
  return Object.entries(config.hosts).map(([domain, host]) =>
    host.tls
      ? { domain, source: "configured" as const, certFile: resolve(dir, host.tls.cert), keyFile: resolve(dir, host.tls.key) }
      : { domain, source: "self-signed" as const, ...selfSignedFiles(domain, certsDir) });
}

export class CertificateStore {
  private loaded = new Map<string, Loaded>();
  private order: string[] = [];

  private constructor(private readonly log: Logger | undefined) {}

  /** Load every source; fails (naming the files) if any cannot be loaded. */
  static load(sources: readonly CertSource[], log?: Logger): { ok: true; store: CertificateStore } | { ok: false; errors: string[] } {
    if (sources.length === 0) return { ok: false, errors: ["no certificate sources (no hosts configured)"] };
    const store = new CertificateStore(log);
    const errors: string[] = [];
    for (const s of sources) {
      const r = build(s);
      if (r.ok) store.loaded.set(s.domain, r.loaded);
      else errors.push(`${s.domain}: ${r.error}`);
    }
    if (errors.length > 0) return { ok: false, errors };
    store.order = sources.map((s) => s.domain);
    return { ok: true, store };
  }

  domains(): string[] { return [...this.order]; }

  /** The context for a requested server name: exact, else its parent domain (wildcard), else the default. */
  contextFor(servername: string | undefined): SecureContext {
    return this.entryFor(servername).context;
  }

  private entryFor(servername: string | undefined): Loaded {
    if (servername) {
      let name = servername.toLowerCase();
      if (name.endsWith(".")) name = name.slice(0, -1);
      const exact = this.loaded.get(name);
      if (exact) return exact;
      const dot = name.indexOf(".");
      if (dot > 0) {
        const parent = this.loaded.get(name.slice(dot + 1));
        if (parent) return parent;
      }
    }
    return this.loaded.get(this.order[0])!;
  }

  /** The context of the first host, for clients that send no SNI. */
  defaultContext(): SecureContext { return this.entryFor(undefined).context; }

  /** PEM of the default certificate and key, for `tls.createServer` (which builds its own default context). */
  defaultPem(): { cert: string; key: string } {
    const { pair } = this.entryFor(undefined);
    return { cert: pair.certPem, key: pair.keyPem };
  }

  /** Node's SNICallback. An arrow function, so it can be passed on as it is. */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    cb(null, this.contextFor(servername));
  };

  /**
   * Re-read the files (of the same sources, or of new ones after a config reload). A domain whose files fail
   * keeps its previous context, and the error is logged and returned; domains no longer listed are dropped.
   */
  reload(sources?: readonly CertSource[]): { ok: true } | { ok: false; errors: string[] } {
    const list = sources ?? this.order.map((d) => this.loaded.get(d)!.source);
    const next = new Map<string, Loaded>();
    const errors: string[] = [];
    for (const s of list) {
      const r = build(s);
      if (r.ok) { next.set(s.domain, r.loaded); continue; }
      const old = this.loaded.get(s.domain);
      errors.push(`${s.domain}: ${r.error}`);
      this.log?.error("certificate reload failed; keeping the previous one", { domain: s.domain, error: r.error, kept: !!old });
      if (old) next.set(s.domain, old);
    }
    const order = list.map((s) => s.domain).filter((d) => next.has(d));
    if (order.length === 0) return { ok: false, errors };
    this.loaded = next;
    this.order = order;
    if (errors.length === 0) this.log?.info("certificates reloaded", { domains: order });
    return errors.length === 0 ? { ok: true } : { ok: false, errors };
  }

  /** What each domain serves, for `palaver cert`. */
  describe(now = new Date()): CertInfo[] {
    return this.order.map((domain) => {
      const { source, pair } = this.loaded.get(domain)!;
      const x = pair.x509;
      const notAfter = new Date(x.validTo);
      return {
        domain,
        source: source.source,
        file: source.certFile,
        keyFile: source.keyFile,
        subject: x.subject,
        issuer: x.issuer,
        altNames: altNames(x),
        notBefore: new Date(x.validFrom),
        notAfter,
        daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
        fingerprint256: x.fingerprint256,
      };
    });
  }
}

/**
 * What the server calls at start: make the missing self-signed certificates, then load every host's pair.
 */
export async function openCertificateStore(
  config: Config, dir: string, opts: { log?: Logger; now?: Date } = {},
): Promise<{ ok: true; store: CertificateStore } | { ok: false; errors: string[] }> {
  const sources = certSources(config, dir);
  const selfSigned = sources.filter((s) => s.source === "self-signed").map((s) => s.domain);
  const certsDir = resolve(dir, config.certsDir);
  try {
    await ensureSelfSigned(selfSigned, certsDir, opts);
  } catch (e) {
    return { ok: false, errors: [`cannot make self-signed certificates in ${certsDir}: ${(e as Error).message}`] };
  }
  return CertificateStore.load(sources, opts.log);
}
