/**
 * Where to connect for a remote domain (RFC 6120 §3.2, XEP-0368 §3): a static route when configured; else the
 * `_xmpps-server._tcp` (Direct TLS) and `_xmpp-server._tcp` (STARTTLS) SRV records, mixed into one order by
 * priority and weight (RFC 2782); else, when neither lookup yields a record, the domain itself on port 5269
 * (§3.2.2 fallback). A lone "." target means the service is decidedly not offered (§3.2.1 step 3, RFC 2782).
 * Every query is bounded by a timeout, so an unreachable resolver costs seconds, not minutes.
 */
import dns from "node:dns";
import { isIP } from "node:net";
import type { S2sRoute } from "../config/schema.js";

export const DEFAULT_S2S_PORT = 5269;

export interface SrvRecord { name: string; port: number; priority: number; weight: number }

/** One place to try: a host name (or IP literal), its port, and whether TLS starts at once. */
export interface Target { host: string; port: number; directTls: boolean }

export type Plan =
  | { ok: true; targets: Target[]; source: "route" | "srv" | "fallback" }
  | { ok: false; reason: string };

export interface ResolverOptions {
  /** "ip" or "ip:port"; empty: the system's resolvers. */
  servers: readonly string[];
  /** Milliseconds per query. */
  timeoutMs: number;
}

/**
 * RFC 2782 ordering: by priority (lowest first); within one priority, a weighted random permutation where
 * records of weight 0 have a small chance of coming first. `random` is injectable for tests.
 */
export function orderSrv<T extends { priority: number; weight: number }>(records: readonly T[], random: () => number = Math.random): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) {
    const list = byPriority.get(r.priority) ?? [];
    list.push(r);
    byPriority.set(r.priority, list);
  }
  const out: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // "arrange all SRV RRs (that have not been ordered yet) in any order, except that all those with weight 0
    // are placed at the beginning of the list", then pick by running sums.
    const pending = byPriority.get(priority)!.slice().sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (pending.length > 0) {
      const total = pending.reduce((s, r) => s + r.weight, 0);
      const pick = random() * (total + 1);
      let sum = 0;
      let index = pending.length - 1;
      for (let i = 0; i < pending.length; i++) {
        sum += pending[i]!.weight;
        if (sum >= pick) { index = i; break; }
      }
      out.push(pending.splice(index, 1)[0]!);
    }
  }
  return out;
}

/**
 * Combine the results of both SRV lookups (XEP-0368 §3: one order over both services). `null` means the lookup
 * failed or found nothing. Returns null when neither has records (then §3.2.2 fallback applies), or a refusal
 * when the only records say "." (the service is not offered).
 */
export function planFromSrv(
  directTls: readonly SrvRecord[] | null, startTls: readonly SrvRecord[] | null, random: () => number = Math.random,
): Plan | null {
  const isDot = (r: SrvRecord) => r.name === "" || r.name === ".";
  const tagged = [
    ...(directTls ?? []).filter((r) => !isDot(r)).map((r) => ({ ...r, directTls: true })),
    ...(startTls ?? []).filter((r) => !isDot(r)).map((r) => ({ ...r, directTls: false })),
  ];
  if (tagged.length === 0) {
    // XEP-0368 §3: "." for xmpps only rules out Direct TLS; for xmpp-server (RFC 6120 §3.2.1) the whole service.
    if (startTls && startTls.length > 0) return { ok: false, reason: "the domain's SRV record says it offers no XMPP server service" };
    if (directTls && directTls.length > 0) return { ok: false, reason: "the domain offers no STARTTLS service and no usable Direct TLS record" };
    return null;
  }
  const targets = orderSrv(tagged, random).map((r) => ({ host: r.name.replace(/\.$/, ""), port: r.port, directTls: r.directTls }));
  return { ok: true, targets, source: "srv" };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out`), { code: "ETIMEOUT" })), ms);
    timer.unref();
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

export class S2sResolver {
  private readonly resolver: dns.promises.Resolver;
  private readonly custom: boolean;

  constructor(private readonly routes: ReadonlyMap<string, S2sRoute>, private readonly options: ResolverOptions) {
    this.resolver = new dns.promises.Resolver({ timeout: options.timeoutMs, tries: 1 });
    this.custom = options.servers.length > 0;
    if (this.custom) this.resolver.setServers([...options.servers]);
  }

  /** The ordered targets for `domain`, or why there are none. */
  async plan(domain: string): Promise<Plan> {
    const route = this.routes.get(domain);
    if (route) return { ok: true, targets: [{ host: route.host, port: route.port, directTls: route.directTls }], source: "route" };
    if (isIP(domain) || (domain.startsWith("[") && isIP(domain.slice(1, -1)))) {
      return { ok: true, targets: [{ host: domain.replace(/^\[|\]$/g, ""), port: DEFAULT_S2S_PORT, directTls: false }], source: "fallback" };
    }
    const [direct, start] = await Promise.all([this.srv(`_xmpps-server._tcp.${domain}`), this.srv(`_xmpp-server._tcp.${domain}`)]);
    const fromSrv = planFromSrv(direct, start);
    if (fromSrv) return fromSrv;
    // §3.2.2: no SRV records: the domain's own addresses, on the default port.
    return { ok: true, targets: [{ host: domain, port: DEFAULT_S2S_PORT, directTls: false }], source: "fallback" };
  }

  private async srv(name: string): Promise<SrvRecord[] | null> {
    try {
      const records = await withTimeout(this.resolver.resolveSrv(name), this.options.timeoutMs, `SRV ${name}`);
      return records.length > 0 ? records : null;
    } catch {
      return null;
    }
  }

  /** IP addresses of a target host (IPv4 first, then IPv6), or an empty list. */
  async addresses(host: string): Promise<string[]> {
    if (isIP(host)) return [host];
    const ms = this.options.timeoutMs;
    if (this.custom) {
      const [v4, v6] = await Promise.all([
        withTimeout(this.resolver.resolve4(host), ms, `A ${host}`).catch(() => [] as string[]),
        withTimeout(this.resolver.resolve6(host), ms, `AAAA ${host}`).catch(() => [] as string[]),
      ]);
      return [...v4, ...v6];
    }
    // The system's own resolution (hosts file, then DNS), as any other program on the machine would connect.
    try {
      const all = await withTimeout(dns.promises.lookup(host, { all: true }), ms, `address of ${host}`);
      return all.sort((a, b) => a.family - b.family).map((a) => a.address);
    } catch {
      return [];
    }
  }
}
