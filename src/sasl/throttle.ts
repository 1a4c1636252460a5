/**
 * Failed-login throttling, per client address and per account, as a pure object with an injected clock.
 *
 * Within `windowSeconds` of the previous failure, the first `freeFailures` failures cost nothing; after that
 * each attempt waits `baseDelayMs`, doubling per further failure, never more than the cap (at most the window).
 * A record is forgotten one window after its last failure, so nobody is locked out for good.
 *
 * - Per address: a guesser spraying one password over many accounts is slowed. IPv6 clients are counted per /64,
 *   the block one host usually owns; IPv4-mapped IPv6 addresses count as the IPv4 address.
 * - Per account (`host/username`): guessing one account from many addresses is slowed too, but only up to the
 *   cap, and an address that has logged in to the account while it was under attack is exempt from that
 *   account's delay (it keeps its own per-address record), so the owner is never held back by the attacker.
 * - A success never clears an address's failures (an attacker with an account of their own could otherwise
 *   reset their record between guesses), and never touches another address's record.
 */
import { isIPv6 } from "node:net";

export interface ThrottleOptions {
  /** `auth.throttleFreeFailures`: failures within the window that cause no delay. */
  freeFailures: number;
  /** `auth.throttleWindow`: seconds after its last failure at which a record is forgotten; no delay is longer. */
  windowSeconds: number;
  /** Milliseconds since the epoch (injected in tests). */
  now?: () => number;
  /** Delay after the first failure beyond the free ones; doubles for each further failure. */
  baseDelayMs?: number;
  /** Largest delay; never more than the window. */
  maxDelayMs?: number;
  /** Records kept per kind (addresses, accounts); the least recently failed go first. */
  maxEntries?: number;
}

interface FailureRecord {
  failures: number;
  last: number;
  /** Address keys that logged in to this account since the record began (accounts only, a few at most). */
  trusted?: string[];
}

const MAX_TRUSTED = 8;

/** The account key the throttle expects: the host and the prepared username. */
export const accountKey = (host: string, username: string): string => `${host}/${username}`;

/** The address key: IPv4 as is (also when IPv4-mapped), IPv6 reduced to its /64 prefix. */
export function addressKey(ip: string): string {
  if (ip.indexOf(":") === -1) return ip; // IPv4 (what the rest would return too, without the pattern matching)
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const address = ip.split("%")[0]!;
  if (!isIPv6(address)) return ip;
  const [head = "", tail] = address.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  // An embedded IPv4 address in the last position stands for two groups.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const zeros = tail === undefined ? 0 : 8 - width(headGroups) - width(tailGroups);
  const groups = [...headGroups, ...Array<string>(zeros).fill("0"), ...tailGroups];
  return groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":") + "::/64";
}

export class AuthThrottle {
  private readonly free: number;
  private readonly windowMs: number;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  // Map order is the order of last failure (records are re-inserted on update), oldest first.
  private readonly addresses = new Map<string, FailureRecord>();
  private readonly accounts = new Map<string, FailureRecord>();

  constructor(options: ThrottleOptions) {
    this.free = Math.max(0, Math.floor(options.freeFailures));
    this.windowMs = Math.max(0, options.windowSeconds * 1000);
    this.baseMs = Math.max(1, options.baseDelayMs ?? 1000);
    this.capMs = Math.min(options.maxDelayMs ?? this.windowMs, this.windowMs);
    this.maxEntries = Math.max(1, options.maxEntries ?? 100_000);
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds to wait before handling an authentication attempt from `ip` (for `account`, when known). */
  delayFor(ip: string, account?: string): number {
    const now = this.now();
    const address = addressKey(ip);
    let delay = this.remaining(this.addresses.get(address), now);
    if (account !== undefined) {
      const record = this.accounts.get(account);
      if (record && !record.trusted?.includes(address)) delay = Math.max(delay, this.remaining(record, now));
    }
    return delay;
  }

  /** Record a failed attempt (the account when the mechanism got as far as a username). */
  failure(ip: string, account?: string): void {
    const now = this.now();
    this.bump(this.addresses, addressKey(ip), now);
    if (account !== undefined) this.bump(this.accounts, account, now);
  }

  /** Record a successful login: this address is no longer held back by failures other addresses caused. */
  success(ip: string, account: string): void {
    const record = this.accounts.get(account);
    if (!record || this.expired(record, this.now())) return;
    const address = addressKey(ip);
    const trusted = (record.trusted ?? []).filter((a) => a !== address);
    trusted.push(address);
    record.trusted = trusted.slice(-MAX_TRUSTED);
  }

  /** Forget records one window after their last failure (also done as failures arrive). */
  prune(): void {
    const now = this.now();
    this.pruneMap(this.addresses, now);
    this.pruneMap(this.accounts, now);
  }

  /** Records held, for monitoring and tests. */
  get size(): { addresses: number; accounts: number } {
    return { addresses: this.addresses.size, accounts: this.accounts.size };
  }

  private expired(record: FailureRecord, now: number): boolean {
    return now - record.last >= this.windowMs;
  }

  private remaining(record: FailureRecord | undefined, now: number): number {
    if (!record || this.expired(record, now)) return 0;
    const excess = record.failures - this.free;
    if (excess <= 0) return 0;
    const delay = Math.min(this.capMs, this.baseMs * 2 ** Math.min(excess - 1, 40));
    return Math.max(0, record.last + delay - now);
  }

  private bump(map: Map<string, FailureRecord>, key: string, now: number): void {
    const previous = map.get(key);
    const live = previous && !this.expired(previous, now) ? previous : undefined;
    map.delete(key);
    map.set(key, {
      failures: (live?.failures ?? 0) + 1,
      last: now,
      ...(live?.trusted ? { trusted: live.trusted } : {}),
    });
    this.pruneMap(map, now);
    for (const oldest of map.keys()) {
      if (map.size <= this.maxEntries) break;
      map.delete(oldest);
    }
  }

  private pruneMap(map: Map<string, FailureRecord>, now: number): void {
    for (const [key, record] of map) {
      if (!this.expired(record, now)) break; // oldest first: the rest are younger
      map.delete(key);
    }
  }
}
