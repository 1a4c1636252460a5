/**
 * Server Dialback keys (XEP-0220 §2.1.1 and §2.4, as XEP-0185 recommends):
 *   key = HEX( HMAC-SHA256( HEX(SHA256(secret)), receiving + " " + originating + " " + streamId ) )
 * where "receiving" is the Receiving Server's domain (the Target Domain), "originating" the Sender Domain, and the
 * stream id the one the Receiving Server gave in its response stream header. Only the server that made a key can
 * verify it (it alone knows the secret); the stream id binds the key to one connection. The HMAC key is the hex
 * form of the digest, which is what reproduces the spec's example (§2.1.1, Example 1) and what Prosody does.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export class DialbackKeys {
  private readonly hmacKey: string;

  /** `secret`: shared by every node of the same service; a random one when none is configured. */
  constructor(secret?: string) {
    this.hmacKey = createHash("sha256").update(secret ?? randomBytes(32).toString("hex"), "utf8").digest("hex");
  }

  /** The key the Initiating Server (originating) sends for a stream to `receiving` with id `streamId`. */
  make(receiving: string, originating: string, streamId: string): string {
    return createHmac("sha256", this.hmacKey).update(`${receiving} ${originating} ${streamId}`, "utf8").digest("hex");
  }

  /** Whether `key` is the one this server made for these inputs (constant time in the key's length). */
  verify(receiving: string, originating: string, streamId: string, key: string): boolean {
    const expected = Buffer.from(this.make(receiving, originating, streamId), "utf8");
    const given = Buffer.from(key.trim().toLowerCase(), "utf8");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
