/**
 * Who is asking, as far as an HTTP request can tell: the client's address, whether the request was encrypted on
 * its way from the client, whether plaintext logins are acceptable for it, and which host it asked for. A reverse
 * proxy's X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host headers are believed only when the connection
 * comes from one of the listener's `trustedProxies`.
 */
import type { IncomingMessage } from "node:http";
import { isIPv4, isIPv6 } from "node:net";
import { normaliseIp } from "../transport/socket.js";

export interface ClientInfo {
  /** The client's address (the proxy's view of it when a trusted proxy relayed the request). */
  ip: string;
  /** The address of the TCP peer (the proxy, when there is one). */
  peer: string;
  /** Encrypted all the way from the client: TLS on this listener, or a trusted proxy that received HTTPS. */
  secure: boolean;
  /** TLS ends on this connection (not at a proxy): channel binding and SNI describe the client's TLS. */
  directTls: boolean;
  /** A client on this same machine whose request no proxy relayed (or a trusted proxy relayed from loopback). */
  loopback: boolean;
  /** The host the client asked for, as `name[:port]` ("" when missing or malformed). */
  host: string;
  /** `host` without its port, lower-case, IPv6 without brackets. */
  hostname: string;
}

export interface ClientInfoPolicy {
  /** TLS ends on this listener. */
  tls: boolean;
  trustedProxies: readonly string[];
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9.])?)(?::(\d{1,5}))?$/;

export { normaliseIp };

export function isLoopback(ip: string): boolean {
  const a = normaliseIp(ip);
  if (isIPv4(a)) return a.startsWith("127.");
  return isIPv6(a) && (a === "::1" || a === "0:0:0:0:0:0:0:1");
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

/** A Host header value checked for shape (it ends up in URLs and pages); "" when it is not a host. */
export function parseHost(value: string | undefined): { host: string; hostname: string } {
  const v = (value ?? "").trim();
  const m = HOST.exec(v);
  if (!m) return { host: "", hostname: "" };
  const name = m[1]!.toLowerCase();
  if (name.startsWith("[") && !isIPv6(name.slice(1, -1))) return { host: "", hostname: "" };
  if (m[2] !== undefined && Number(m[2]) > 65535) return { host: "", hostname: "" };
  const hostname = name.startsWith("[") ? name.slice(1, -1) : name.replace(/\.$/, "");
  return { host: v.toLowerCase(), hostname };
}

export function clientInfo(req: IncomingMessage, policy: ClientInfoPolicy): ClientInfo {
  const peer = normaliseIp(req.socket.remoteAddress ?? "");
  const forwardedFor = header(req, "x-forwarded-for");
  const relayed = forwardedFor !== undefined || header(req, "forwarded") !== undefined;
  const trusted = relayed && policy.trustedProxies.some((p) => normaliseIp(p) === peer);
  let ip = peer;
  let secure = policy.tls;
  let hostValue = header(req, "host");
  if (trusted) {
    // The nearest address that is not itself a trusted proxy is the client (proxies append to the list).
    const hops = (forwardedFor ?? "").split(",").map((s) => normaliseIp(s.trim())).filter((s) => isIPv4(s) || isIPv6(s));
    for (let i = hops.length - 1; i >= 0; i--) {
      ip = hops[i]!;
      if (!policy.trustedProxies.some((p) => normaliseIp(p) === ip)) break;
    }
    const proto = header(req, "x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
    secure = proto === "https" || (proto === undefined && policy.tls);
    hostValue = header(req, "x-forwarded-host")?.split(",")[0] ?? hostValue;
  }
  const { host, hostname } = parseHost(hostValue);
  return {
    ip,
    peer,
    secure,
    directTls: policy.tls && !trusted,
    // A request relayed by an untrusted proxy may come from anywhere, whatever the peer address.
    loopback: isLoopback(peer) && (!relayed || (trusted && isLoopback(ip))),
    host,
    hostname,
  };
}

/**
 * Whether a browser page from `origin` may use the XMPP endpoints: pages of this same host, listed origins, or
 * any with "*". Requests without an Origin header do not come from a web page's script, and are allowed.
 */
export function originAllowed(origin: string | undefined, host: string, allowed: readonly string[], publicUrl?: string): boolean {
  if (origin === undefined) return true;
  if (allowed.includes("*")) return true;
  const o = origin.trim().toLowerCase().replace(/\/+$/, "");
  if (allowed.some((a) => a.trim().toLowerCase().replace(/\/+$/, "") === o)) return true;
  let parsed: URL;
  try {
    parsed = new URL(o);
  } catch {
    return false; // "null" (a file or sandboxed page) and anything else that is not an origin
  }
  if (host !== "" && parsed.host === host) return true;
  if (publicUrl) {
    try {
      if (new URL(publicUrl).origin.toLowerCase() === parsed.origin) return true;
    } catch {
      return false;
    }
  }
  return false;
}
