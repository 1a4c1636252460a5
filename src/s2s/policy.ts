/**
 * Federation policy as pure decisions, so each rule is tested without sockets: what the receiving side offers
 * (RFC 6120 §4.3.2 and §5.3.1, XEP-0178 §3, XEP-0220 §2.3.2, XEP-0288 §2), what it does with a dialback request
 * (XEP-0220 §2.2.1, §2.4; XEP-0344 §2.3 for a certificate that already proves the domain), and how the initiating
 * side authenticates with what it is offered.
 */
import type { CertStatus } from "./trust.js";

export interface S2sPolicy {
  requireEncryption: boolean;
  requireValidCertificates: boolean;
  dialback: boolean;
  bidi: boolean;
}

export interface InboundOffer {
  starttls: "no" | "offered" | "required";
  external: boolean;
  dialback: boolean;
  bidi: boolean;
}

/**
 * Features of a receiving stream before authentication. While TLS is mandatory and not yet in place, it is the
 * only feature (RFC 6120 §5.3.1). EXTERNAL needs TLS and a certificate valid for the header's 'from'
 * (XEP-0178 §3 step 8); dialback is offered unless certificates are required (then a valid certificate is the
 * only way in, by EXTERNAL or by dialback that the certificate settles).
 */
export function inboundOffer(p: S2sPolicy, s: { secure: boolean; canStartTls: boolean; cert: CertStatus }): InboundOffer {
  const starttls = s.secure || !s.canStartTls ? "no" : p.requireEncryption ? "required" : "offered";
  if (!s.secure && p.requireEncryption) return { starttls, external: false, dialback: false, bidi: false };
  const dialback = p.dialback && !(p.requireValidCertificates && s.cert !== "valid");
  return { starttls, external: s.secure && s.cert === "valid", dialback, bidi: p.bidi };
}

/** A stanza error condition carried by a dialback error (XEP-0220 §2.4, Table 1). */
export type DialbackErrorCondition =
  | "item-not-found" | "remote-connection-failed" | "remote-server-not-found" | "remote-server-timeout"
  | "policy-violation" | "not-authorized" | "forbidden" | "not-acceptable" | "resource-constraint";

export type DialbackDecision =
  | { action: "error"; condition: DialbackErrorCondition; text: string }
  /** The certificate already proves the sender domain: valid without asking its authoritative server. */
  | { action: "valid-by-certificate" }
  /** Ask the authoritative server (XEP-0220 §2.1.2). */
  | { action: "callback" };

/** What to do with `<db:result from=sender to=target>key</db:result>` on a receiving stream. */
export function decideDialback(
  p: S2sPolicy,
  s: { targetServed: boolean; secure: boolean; cert: CertStatus; alreadyPending: boolean },
): DialbackDecision {
  if (!s.targetServed) return { action: "error", condition: "item-not-found", text: "this server does not serve the target domain" };
  if (p.requireEncryption && !s.secure) return { action: "error", condition: "policy-violation", text: "TLS is required before dialback" };
  if (s.cert === "valid") return { action: "valid-by-certificate" };
  if (p.requireValidCertificates) {
    return { action: "error", condition: "not-authorized", text: "a certificate that validates for the sender domain is required" };
  }
  if (!p.dialback) return { action: "error", condition: "not-authorized", text: "dialback is not accepted here" };
  if (s.alreadyPending) return { action: "error", condition: "resource-constraint", text: "a request for this domain pair is already being verified" };
  return { action: "callback" };
}

export type OutboundStep =
  | { step: "starttls" }
  | { step: "external" }
  | { step: "dialback" }
  | { step: "fail"; reason: string };

/**
 * The initiating side, on stream features before it has authenticated: TLS first whenever offered; then SASL
 * EXTERNAL when offered (the peer has validated our certificate) and not already failed; then dialback when the
 * peer supports it (its header declared the namespace or its features list it) and policy allows; else give up.
 */
export function outboundStep(
  p: S2sPolicy,
  s: { secure: boolean; starttlsOffered: boolean; externalOffered: boolean; externalFailed: boolean; dialbackSupported: boolean; cert: CertStatus },
): OutboundStep {
  if (!s.secure && s.starttlsOffered) return { step: "starttls" };
  if (!s.secure && p.requireEncryption) return { step: "fail", reason: "the peer does not offer TLS, which this server requires" };
  if (p.requireValidCertificates && s.cert !== "valid") return { step: "fail", reason: "the peer's certificate does not validate for its domain" };
  if (s.secure && s.externalOffered && !s.externalFailed) return { step: "external" };
  if (s.dialbackSupported && (p.dialback || s.cert === "valid")) return { step: "dialback" };
  return { step: "fail", reason: s.externalFailed ? "SASL EXTERNAL failed and dialback is not available" : "no authentication method in common" };
}
