/**
 * Checks the schema cannot express: listeners that would collide, administrators that are not accounts of
 * their host, certificate files that are missing or do not parse. Each problem is a ConfigError located in the file.
 */
import { readFileSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import { resolve } from "node:path";
import { parseJid, prepDomain } from "../jid.js";
import { certCovers, readCertPair } from "../tls/pem.js";
import { formatPath, type ConfigError, type ConfigPath } from "./errors.js";
import type { Config, ListenerConfig } from "./schema.js";
import type { ConfigSource } from "./source.js";

export interface RuleResult { errors: ConfigError[]; warnings: ConfigError[] }

function at(source: ConfigSource, path: ConfigPath, message: string, where: "key" | "value" = "value"): ConfigError {
  const p = source.locate(path, where);
  return { file: source.file, path: formatPath(path), ...(p ? { line: p.line, column: p.column } : {}), message };
}

type Scope = "all" | "v4" | "one";

/** What a listening address covers on Linux: `::` takes every address (dual stack), `0.0.0.0` every IPv4 one. */
function scope(address: string): { scope: Scope; key: string } {
  const a = address.trim().toLowerCase();
  if (a === "" || a === "::" || a === "::0" || a === "0:0:0:0:0:0:0:0") return { scope: "all", key: "::" };
  if (a === "0.0.0.0") return { scope: "v4", key: a };
  return { scope: "one", key: a };
}

function overlaps(a: ListenerConfig, b: ListenerConfig): boolean {
  if (a.port !== b.port || a.port === 0) return false; // port 0 asks the system for a free port each time
  const sa = scope(a.address);
  const sb = scope(b.address);
  if (sa.key === sb.key) return true;
  if (sa.scope === "all" || sb.scope === "all") return true;
  if (sa.scope === "v4") return sb.scope === "v4" || isIPv4(sb.key);
  if (sb.scope === "v4") return isIPv4(sa.key);
  return false;
}

export function checkListeners(config: Config, source: ConfigSource): ConfigError[] {
  const errors: ConfigError[] = [];
  const ls = config.listeners;
  if (ls.length === 0) {
    errors.push(at(source, ["listeners"], "at least one listener is required (e.g. `- { kind: c2s, port: 5222 }`)"));
  }
  for (let i = 0; i < ls.length; i++) {
    for (let j = 0; j < i; j++) {
      if (!overlaps(ls[i], ls[j])) continue;
      const mine = scope(ls[i].address);
      const theirs = scope(ls[j].address);
      const wide = theirs.scope !== "one" ? theirs : mine;
      const why = mine.key === theirs.key
        ? `same address and port as listeners[${j}] (${ls[j].address} port ${ls[j].port})`
        : `port ${ls[i].port} on ${ls[i].address} collides with listeners[${j}] on ${ls[j].address}: ` +
          `"${wide.key}" takes the port on every ${wide.scope === "all" ? "" : "IPv4 "}address`;
      errors.push(at(source, ["listeners", i, "port"], why));
      break;
    }
  }
  errors.push(...checkHttpPaths(config, source));
  errors.push(...checkFederation(config, source));
  for (let i = 0; i < ls.length; i++) {
    const a = ls[i].address.trim();
    if (a.includes(" ") || (a.includes(":") && !isIPv6(a))) {
      errors.push(at(source, ["listeners", i, "address"], `not an IP address or host name: ${JSON.stringify(a)}`));
    }
  }
  return errors;
}

/**
 * Federation and components: s2s listeners need federation on; a component domain is not a host; DNS servers
 * are addresses. (Listed from checkListeners, which the loader runs.)
 */
function checkFederation(config: Config, source: ConfigSource): ConfigError[] {
  const errors: ConfigError[] = [];
  if (config.s2s.enabled === false) {
    config.listeners.forEach((l, i) => {
      if (l.kind === "s2s" || l.kind === "s2s-tls") {
        errors.push(at(source, ["listeners", i, "kind"], `an ${l.kind} listener needs federation, but s2s.enabled is false`));
      }
    });
  }
  const prepared = (d: string) => { const p = prepDomain(d); return p.ok ? p.value : d; };
  const hosts = new Set(Object.keys(config.hosts).map(prepared));
  for (const domain of Object.keys(config.components)) {
    const name = prepared(domain);
    if (hosts.has(name)) {
      errors.push(at(source, ["components", domain], `${name} is one of the hosts; a component needs a domain of its own (e.g. bot.${name})`, "key"));
    }
  }
  config.s2s.dnsServers.forEach((server, i) => {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
    const ip = m?.[1] ?? server;
    const port = m?.[2] !== undefined ? Number(m[2]) : 53;
    if (!(isIPv4(ip) || isIPv6(ip) || isIPv6(server)) || port < 1 || port > 65535) {
      errors.push(at(source, ["s2s", "dnsServers", i], `not an IP address with an optional port: ${JSON.stringify(server)}`));
    }
  });
  return errors;
}

/** Paths the HTTP listeners serve themselves (host-meta, the web chat and its files). */
const RESERVED_HTTP_PATHS = [/^\/$/, /^\/\.well-known(\/|$)/, /^\/converse(\/|$)/];

/** On an http(s) listener, WebSocket and BOSH need paths of their own. */
function checkHttpPaths(config: Config, source: ConfigSource): ConfigError[] {
  const errors: ConfigError[] = [];
  config.listeners.forEach((l, i) => {
    if (l.kind !== "http" && l.kind !== "https") return;
    const used: string[] = [];
    for (const service of ["websocket", "bosh"] as const) {
      const o = l[service];
      if (!o.enabled) continue;
      const path = o.path.replace(/\/+$/, "") || "/";
      if (RESERVED_HTTP_PATHS.some((r) => r.test(path))) {
        errors.push(at(source, ["listeners", i, service, "path"], `${o.path} is taken by host-meta or the web chat; choose another path`));
      } else if (used.includes(path)) {
        errors.push(at(source, ["listeners", i, service, "path"], `${o.path} is also the WebSocket path; BOSH needs a path of its own`));
      }
      used.push(path);
    }
  });
  return errors;
}

/** parseJid, with an exception from the underlying splitter (e.g. on "user@") turned into an error result. */
export function parseJidGuarded(s: string): ReturnType<typeof parseJid> {
  try {
    return parseJid(s);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

export function checkAdmins(config: Config, source: ConfigSource): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const [host, hc] of Object.entries(config.hosts)) {
    const d = prepDomain(host);
    const domain = d.ok ? d.value : host;
    hc.admins.forEach((admin, i) => {
      const path = ["hosts", host, "admins", i];
      const r = parseJidGuarded(admin);
      if (!r.ok) { errors.push(at(source, path, `not a valid JID: ${r.error}`)); return; }
      if (!r.jid.isBare()) {
        errors.push(at(source, path, `must be a bare JID (an account, without "/${r.jid.resource}")`));
      } else if (r.jid.local === "") {
        errors.push(at(source, path, `must be an account (user@${domain}), not a domain`));
      } else if (r.jid.domain !== domain) {
        errors.push(at(source, path, `must be an account of ${domain}, not of ${r.jid.domain}`));
      }
    });
  }
  return errors;
}

/**
 * Configured certificate files: present, parseable, matching, and (as warnings) covering the domain, unexpired;
 * and the CA files trusted for federation (s2s.trustedCAs): readable PEM.
 */
export function checkTlsFiles(config: Config, dir: string, source: ConfigSource, now = new Date()): RuleResult {
  const errors: ConfigError[] = [];
  const warnings: ConfigError[] = [];
  for (const [host, hc] of Object.entries(config.hosts)) {
    if (!hc.tls) continue;
    const r = readCertPair(resolve(dir, hc.tls.cert), resolve(dir, hc.tls.key));
    if (!r.ok) { errors.push(at(source, ["hosts", host, "tls", r.which], r.error)); continue; }
    const d = prepDomain(host);
    const domain = d.ok ? d.value : host;
    const x = r.pair.x509;
    if (!certCovers(x, domain)) {
      warnings.push(at(source, ["hosts", host, "tls", "cert"],
        `the certificate does not name ${domain} (it is for ${x.subjectAltName ?? x.subject}); clients will reject it`));
    }
    const notAfter = new Date(x.validTo);
    if (notAfter.getTime() < now.getTime()) {
      warnings.push(at(source, ["hosts", host, "tls", "cert"], `the certificate expired on ${notAfter.toISOString()}`));
    }
  }
  config.s2s.trustedCAs.forEach((file, i) => {
    const path = resolve(dir, file);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      errors.push(at(source, ["s2s", "trustedCAs", i], `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`));
      return;
    }
    if (!text.includes("-----BEGIN CERTIFICATE-----")) errors.push(at(source, ["s2s", "trustedCAs", i], `${path} holds no PEM certificate`));
  });
  return { errors, warnings };
}

/**
 * Host keys as written may differ from their prepared form (`LocalHost.` vs `localhost`): rewrite them once,
 * and report two keys that name the same domain.
 */
export function canonicalHosts(config: Config, source: ConfigSource): { hosts: Config["hosts"]; errors: ConfigError[] } {
  const hosts: Config["hosts"] = {};
  const written = new Map<string, string>();
  const errors: ConfigError[] = [];
  for (const [key, hc] of Object.entries(config.hosts)) {
    const d = prepDomain(key);
    const domain = d.ok ? d.value : key;
    const first = written.get(domain);
    if (first !== undefined) {
      errors.push(at(source, ["hosts", key], `names the same domain as "${first}" (${domain})`, "key"));
      continue;
    }
    written.set(domain, key);
    hosts[domain] = hc;
  }
  return { hosts, errors };
}
