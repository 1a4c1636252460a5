/**
 * The XEP-0114 §3 handshake: the component proves it knows the shared secret by sending
 *   HEX( SHA1( streamId + secret ) )
 * where streamId is the id of the server's stream header (so the digest is good for that one stream only).
 */
import { createHash, timingSafeEqual } from "node:crypto";

export function handshakeDigest(streamId: string, secret: string): string {
  return createHash("sha1").update(streamId + secret, "utf8").digest("hex");
}

/** Whether `given` is the digest for this stream and secret (hex compared case-insensitively, in constant time). */
export function verifyHandshake(streamId: string, secret: string, given: string): boolean {
  const expected = Buffer.from(handshakeDigest(streamId, secret), "utf8");
  const actual = Buffer.from(given.trim().toLowerCase(), "utf8");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
