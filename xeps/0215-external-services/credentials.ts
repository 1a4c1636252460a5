/**
 * Time-limited TURN credentials from a secret shared with the TURN server (the "TURN REST API" scheme of
 * draft-uberti-behave-turn-rest-00 §2.2, which coturn implements as `use-auth-secret` / `static-auth-secret`):
 * the username is "<expiry as Unix time>:<user>", the password base64(HMAC-SHA1(secret, username)). The TURN
 * server recomputes the password from the username and refuses it once the expiry has passed.
 * XEP-0215 §3.3 names this scheme for TURN; the `expires` attribute (§2) is an XEP-0082 DateTime in UTC.
 */
import { createHmac } from "node:crypto";

export interface TurnCredentials {
  username: string;
  password: string;
  /** Unix time (seconds) after which the TURN server refuses them. */
  expiry: number;
}

/** base64(HMAC-SHA1(secret, username)): the password the TURN server expects for `username`. */
export function turnPassword(secret: string, username: string): string {
  return createHmac("sha1", secret).update(username).digest("base64");
}

/** Credentials for `user` valid `ttlSeconds` from `nowMs`. */
export function turnCredentials(secret: string, user: string, nowMs: number, ttlSeconds: number): TurnCredentials {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${user}`;
  return { username, password: turnPassword(secret, username), expiry };
}

/** XEP-0082 DateTime in UTC, to the second ("2024-05-01T12:00:00Z"). */
export function xep0082(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
