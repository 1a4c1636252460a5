/**
 * XEP-0421 Anonymous unique occupant identifiers: one service-wide secret, and for each room and user the
 * HMAC of "room JID NUL real bare JID" (§4.1, the second construction): stable across visits and restarts,
 * different from room to room, and not derivable from the JID without the secret.
 */
import { createHmac, randomBytes } from "node:crypto";

export const newSecret = (): string => randomBytes(32).toString("base64");

/** The occupant id of `user` (a real bare JID) in `room` (the room's bare JID): 43 characters of base64url. */
export function occupantId(secret: Buffer, room: string, user: string): string {
  return createHmac("sha256", secret).update(room).update("\0").update(user).digest("base64url");
}
