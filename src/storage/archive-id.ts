/**
 * Archive item ids (XEP-0313 §3 archive UIDs, used as XEP-0359 stanza-ids and XEP-0059 RSM keys).
 * 96 random bits in base64url: unguessable, URL- and XML-safe, never reused after deletion. Shared by every driver.
 */
import { randomId } from "../random-id.js";

export function newArchiveId(): string {
  return randomId(12);
}
