/**
 * XMPP addresses (RFC 7622): parsed and prepared once, then compared as plain strings.
 * A BareJid and a FullJid are distinct types so code cannot confuse an account with one of its sessions.
 */
import { isIPv6 } from "node:net";
import { domainToASCII, domainToUnicode } from "node:url";
import { opaqueString, usernameCaseMapped } from "./precis.js";

const MAX_PART_BYTES = 1023; // RFC 7622 §3.2-3.4
// RFC 7622 §3.3.1: characters the localpart may not hold even though the IdentifierClass allows them.
const LOCAL_FORBIDDEN = /["&'/:<>@]/;

export class Jid {
  /** local@domain, or domain */
  readonly bare: string;
  /** bare/resource, or bare when there is no resource */
  readonly full: string;
  private constructor(readonly local: string, readonly domain: string, readonly resource: string) {
    this.bare = local ? `${local}@${domain}` : domain;
    this.full = resource ? `${this.bare}/${resource}` : this.bare;
  }

  /** For code that has already prepared every part (the parser below, and trusted internal values). */
  static ofPrepared(local: string, domain: string, resource = ""): Jid {
    return new Jid(local, domain, resource);
  }

  isBare(): this is BareJid { return this.resource === ""; }
  isFull(): this is FullJid { return this.resource !== ""; }
  isDomain(): boolean { return this.local === "" && this.resource === ""; }
  toBare(): BareJid { return (this.resource ? new Jid(this.local, this.domain, "") : this) as BareJid; }
  withResource(resource: string): FullJid { return new Jid(this.local, this.domain, resource) as FullJid; }
  equals(other: Jid): boolean { return this.full === other.full; }
  toString(): string { return this.full; }
}

declare const bareBrand: unique symbol;
declare const fullBrand: unique symbol;
export type BareJid = Jid & { readonly [bareBrand]: true };
export type FullJid = Jid & { readonly [fullBrand]: true };

export type JidResult = { ok: true; jid: Jid } | { ok: false; error: string };

const byteLength = (s: string) => Buffer.byteLength(s, "utf8");

/** RFC 7622 §3.3 localpart preparation (UsernameCaseMapped plus the XMPP exclusions). */
export function prepLocal(local: string): { ok: true; value: string } | { ok: false; error: string } {
  const p = usernameCaseMapped(local);
  if (!p.ok) return { ok: false, error: `localpart: ${p.error}` };
  if (LOCAL_FORBIDDEN.test(p.value)) return { ok: false, error: "localpart: forbidden character" };
  if (byteLength(p.value) > MAX_PART_BYTES) return { ok: false, error: "localpart too long" };
  return p;
}

/** RFC 7622 §3.2 domainpart: IP literal, or an IDNA domain name kept in lower-case U-label form. */
export function prepDomain(domain: string): { ok: true; value: string } | { ok: false; error: string } {
  let d = domain.endsWith(".") ? domain.slice(0, -1) : domain;
  if (d.length === 0) return { ok: false, error: "domainpart: empty" };
  // RFC 7622 §3.2: an IPv6 literal in brackets (RFC 3986 IP-literal), an IPv4 address, or a domain name.
  if (d.startsWith("[") && d.endsWith("]")) {
    return isIPv6(d.slice(1, -1)) ? { ok: true, value: d.toLowerCase() } : { ok: false, error: "domainpart: invalid IP literal" };
  }
  const ascii = domainToASCII(d);
  if (ascii === "" || /[^a-z0-9.\-_]/.test(ascii)) return { ok: false, error: "domainpart: not a valid domain name" };
  // RFC 5890/1035 label rules: no empty label, at most 63 octets, no hyphen at either end.
  for (const label of ascii.split(".")) {
    if (label.length === 0 || label.length > 63 || label.startsWith("-") || label.endsWith("-")) {
      return { ok: false, error: "domainpart: not a valid domain name" };
    }
  }
  d = domainToUnicode(ascii);
  if (byteLength(d) > MAX_PART_BYTES) return { ok: false, error: "domainpart too long" };
  return { ok: true, value: d };
}

/** RFC 7622 §3.4 resourcepart (OpaqueString). */
export function prepResource(resource: string): { ok: true; value: string } | { ok: false; error: string } {
  const p = opaqueString(resource);
  if (!p.ok) return { ok: false, error: `resourcepart: ${p.error}` };
  if (byteLength(p.value) > MAX_PART_BYTES) return { ok: false, error: "resourcepart too long" };
  return p;
}

// Most addresses arrive already in canonical form; remember the last few thousand to skip preparation.
const cache = new Map<string, Jid>();
const CACHE_MAX = 4096;

/** Parse and prepare an address; the error names the part that is wrong (for a jid-malformed reply). */
export function parseJid(s: string): JidResult {
  const hit = cache.get(s);
  if (hit) return { ok: true, jid: hit };
  if (s.length === 0) return { ok: false, error: "empty address" };
  // RFC 7622 §3.1: the resource starts at the first "/", the localpart ends at the first "@" before it.
  // (No XEP-0106 escaping here: a forbidden character in a localpart is an error, not something to encode.)
  const slash = s.indexOf("/");
  const head = slash === -1 ? s : s.slice(0, slash);
  const at = head.indexOf("@");
  let local = "";
  if (at !== -1) {
    const l = prepLocal(head.slice(0, at));
    if (!l.ok) return { ok: false, error: l.error };
    local = l.value;
  }
  const d = prepDomain(head.slice(at + 1));
  if (!d.ok) return { ok: false, error: d.error };
  let resource = "";
  if (slash !== -1) {
    const r = prepResource(s.slice(slash + 1));
    if (!r.ok) return { ok: false, error: r.error };
    resource = r.value;
  }
  const jid = Jid.ofPrepared(local, d.value, resource);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(s, jid);
  return { ok: true, jid };
}

/** For addresses the program itself writes (config, tests): throws on a malformed one. */
export function jid(s: string): Jid {
  const r = parseJid(s);
  if (!r.ok) throw new Error(`invalid JID "${s}": ${r.error}`);
  return r.jid;
}
