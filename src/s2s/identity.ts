/**
 * Certificate identity for servers (RFC 6125 §6, as RFC 6120 §13.7.2.1 profiles it for XMPP): which domains a
 * peer's certificate proves. The reference identifier is the peer's XMPP domain; the presented identifiers are
 * the certificate's DNS-IDs (dNSName, with a wildcard allowed as the whole left-most label, §6.4.3), SRV-IDs
 * (`_xmpp-server.<domain>`, RFC 4985), XmppAddr otherNames (id-on-xmppAddr, RFC 6120 §13.7.1.4), and the
 * subject's Common Name only when none of those is present (§6.4.4).
 */
import type { X509Certificate } from "node:crypto";

export interface PresentedIdentifiers {
  dns: string[];
  srv: string[];
  xmpp: string[];
  /** Common Names of the subject, considered only when the lists above are all empty. */
  cn: string[];
}

/**
 * Split Node's rendering of subjectAltName ("DNS:a.example, othername:XmppAddr:b.example, ..."): entries are
 * separated by ", ", and a value with characters that could be ambiguous is written as a JSON string.
 */
export function parseSubjectAltName(san: string | undefined): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  if (!san) return out;
  let i = 0;
  while (i < san.length) {
    let colon = san.indexOf(":", i);
    if (colon === -1) break;
    let type = san.slice(i, colon);
    if (type === "othername") {
      const sub = san.indexOf(":", colon + 1);
      if (sub === -1) break;
      type = `othername:${san.slice(colon + 1, sub)}`;
      colon = sub;
    }
    let value: string;
    let next: number;
    if (san[colon + 1] === '"') {
      // A JSON string: find its closing quote, skipping escaped characters.
      let j = colon + 2;
      while (j < san.length && san[j] !== '"') j += san[j] === "\\" ? 2 : 1;
      try {
        value = JSON.parse(san.slice(colon + 1, j + 1)) as string;
      } catch {
        value = "";
      }
      next = j + 1;
    } else {
      const sep = san.indexOf(", ", colon + 1);
      next = sep === -1 ? san.length : sep;
      value = san.slice(colon + 1, next);
    }
    out.push({ type, value });
    i = san.startsWith(", ", next) ? next + 2 : next;
  }
  return out;
}

/** The identifiers a certificate presents. */
export function presentedIdentifiers(cert: Pick<X509Certificate, "subjectAltName" | "subject">): PresentedIdentifiers {
  const ids: PresentedIdentifiers = { dns: [], srv: [], xmpp: [], cn: [] };
  for (const { type, value } of parseSubjectAltName(cert.subjectAltName)) {
    if (type === "DNS") ids.dns.push(normalise(value));
    else if (type === "othername:SRVName") ids.srv.push(normalise(value));
    else if (type === "othername:XmppAddr") ids.xmpp.push(normalise(value));
  }
  for (const line of (cert.subject ?? "").split("\n")) {
    if (line.startsWith("CN=")) ids.cn.push(normalise(line.slice(3)));
  }
  return ids;
}

function normalise(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith(".") ? n.slice(0, -1) : n;
}

/**
 * RFC 6125 §6.4.3: a DNS-ID matches the domain exactly (case-insensitively), or it is "*.<parent>" and the domain
 * is one label followed by that parent. The wildcard is only honoured as the complete left-most label of a name
 * with at least two more labels (so "*.com" proves nothing), and never in an IDN A-label position.
 */
export function dnsIdMatches(presented: string, domain: string): boolean {
  const p = normalise(presented);
  const d = normalise(domain);
  if (p === d) return true;
  if (!p.startsWith("*.")) return false;
  const parent = p.slice(2);
  if (parent.split(".").length < 2 || parent.includes("*")) return false;
  const dot = d.indexOf(".");
  if (dot <= 0) return false;
  const label = d.slice(0, dot);
  return d.slice(dot + 1) === parent && !label.startsWith("xn--");
}

/** Whether the identifiers prove `domain` for an XMPP server (RFC 6120 §13.7.2.1). */
export function certificateProvesDomain(ids: PresentedIdentifiers, domain: string): boolean {
  const d = normalise(domain);
  if (ids.dns.some((p) => dnsIdMatches(p, d))) return true;
  // RFC 6125 §6.5.1 / RFC 4985: the service label, then the domain; XEP-0368's Direct TLS service too.
  if (ids.srv.some((s) => s === `_xmpp-server.${d}` || s === `_xmpps-server.${d}`)) return true;
  if (ids.xmpp.includes(d)) return true;
  // §6.4.4: the Common Name only when the certificate presents no subjectAltName identifier of these kinds.
  if (ids.dns.length === 0 && ids.srv.length === 0 && ids.xmpp.length === 0) return ids.cn.some((c) => dnsIdMatches(c, d));
  return false;
}
