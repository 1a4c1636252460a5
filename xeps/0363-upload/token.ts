/**
 * The upload slot's authorisation (XEP-0363 §5 <header name='Authorization'>, §8: "headers may be signed"): a
 * token carrying what the slot allows (which file id and name, exactly how many bytes, which type, for whom, until
 * when), signed with HMAC-SHA256 under the service's secret. Nothing about a slot is stored before its upload: the
 * PUT brings the token back and the signature proves it. Format: base64url(JSON claims) "." base64url(MAC).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export interface SlotClaims {
  /** The random file id (the first path segment of both URLs). */
  id: string;
  /** The file name as requested (the second segment, percent-decoded). */
  name: string;
  /** Exact size in bytes (§6: the upload is rejected unless Content-Length matches). */
  size: number;
  /** Content type the file will be served with. */
  type: string;
  /** The uploader's bare JID (whose quota the file counts against). */
  sub: string;
  /** ms since the epoch after which the PUT is refused (§7: the PUT URL's validity, ~300 s). */
  exp: number;
  /** ms since the epoch after which the file must no longer be served (§4.3 ephemeral expire-before). */
  until?: number;
}

export type Verified =
  | { ok: true; claims: SlotClaims }
  | { ok: false; reason: "malformed" | "bad-signature" | "expired" };

const mac = (secret: Buffer, data: string) => createHmac("sha256", secret).update(data).digest();

export function signSlot(secret: Buffer, claims: SlotClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${body}.${mac(secret, body).toString("base64url")}`;
}

function isClaims(v: unknown): v is SlotClaims {
  if (typeof v !== "object" || v === null) return false;
  const c = v as Record<string, unknown>;
  return typeof c.id === "string" && typeof c.name === "string" && typeof c.type === "string" && typeof c.sub === "string" &&
    Number.isSafeInteger(c.size) && Number.isSafeInteger(c.exp) && (c.until === undefined || Number.isSafeInteger(c.until));
}

/** Check a token's signature first (in constant time), then its claims, then its expiry at `nowMs`. */
export function verifySlot(secret: Buffer, token: string, nowMs: number): Verified {
  const dot = token.indexOf(".");
  if (dot <= 0 || dot !== token.lastIndexOf(".")) return { ok: false, reason: "malformed" };
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), "base64url");
  const expected = mac(secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad-signature" };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!isClaims(claims)) return { ok: false, reason: "malformed" };
  if (nowMs >= claims.exp) return { ok: false, reason: "expired" };
  return { ok: true, claims };
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header?.trim() ?? "");
  return m ? m[1]! : null;
}
