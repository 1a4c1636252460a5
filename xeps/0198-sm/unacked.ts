/**
 * What becomes of a stanza the client never acknowledged when its session ends without being resumed (XEP-0198 §4):
 * "A server SHOULD treat unacknowledged stanzas in the same way that it would treat a stanza sent to an unavailable
 * resource, by either returning an error to the sender, delivery to an alternate resource, or committing the stanza
 * to offline storage", with a delay stamp of the original delivery time (XEP-0203). A pure decision:
 *
 * - offline: a message goes down the path of a message for an account with no available resource (RFC 6121
 *   §8.5.2.2, the `message:offline` hook): stored for the next resource (XEP-0160, which also hands it to a resource
 *   still online that has taken its stored messages), and what cannot be stored is answered with an error, so the
 *   sender is never left believing a lost message was delivered;
 * - archived: the message is in the account's archive (it carries the archive's stanza-id, which the MAM module
 *   leaves on a message exactly when the archive holds it) and the client queried the archive during the session:
 *   such a client (Conversations, Gajim, Dino...) catches up from the archive after a failed resumption, and a copy
 *   from offline storage as well would reach it twice;
 * - bounce: an IQ request, whose sender waits for an answer: <service-unavailable/> (RFC 6120 §8.5.2.2.1 for an IQ to
 *   a resource that no longer exists);
 * - drop: state and copies, which lose nothing when dropped: presence (the contacts get the session's unavailable
 *   presence; subscription requests stay stored by the IM core until answered, RFC 6121 §3.1.3), IQ responses,
 *   errors, headlines (transient, RFC 6121 §5.2.2), groupchat (the room keeps its history, and an error from the
 *   occupant's address would only make the room eject an occupant who is leaving anyway), carbon copies (XEP-0280: the
 *   message itself reached its addressee) and archive query results (the client asks again).
 */
import type { Element } from "ltx";

export type UnackedDisposition = "offline" | "archived" | "bounce" | "drop";

const NS_SID = "urn:xmpp:sid:0";
const NS_CARBONS = "urn:xmpp:carbons:2";
const MAM_PREFIX = "urn:xmpp:mam:";

/**
 * `owner`: the account's bare JID. `clientSyncsArchive`: the client queried the account's archive in this session
 * (and the server is configured to rely on it).
 */
export function unackedDisposition(stanza: Element, owner: string, clientSyncsArchive: boolean): UnackedDisposition {
  switch (stanza.name) {
    case "iq":
      return stanza.attrs.type === "get" || stanza.attrs.type === "set" ? "bounce" : "drop";
    case "message":
      break;
    default:
      return "drop";
  }
  const type = stanza.attrs.type;
  if (type === "error" || type === "headline" || type === "groupchat") return "drop";
  let archived = false;
  for (const child of stanza.getChildElements()) {
    const ns = child.attrs.xmlns;
    if (ns === NS_CARBONS && (child.name === "sent" || child.name === "received")) return "drop";
    if (child.name === "result" && typeof ns === "string" && ns.startsWith(MAM_PREFIX)) return "drop";
    if (ns === NS_SID && child.name === "stanza-id" && child.attrs.by === owner) archived = true;
  }
  return archived && clientSyncsArchive ? "archived" : "offline";
}

/** Whether a stanza the client sent queries its own account's archive (XEP-0313 §4), which it then catches up from. */
export function isOwnArchiveQuery(stanza: Element, owner: string): boolean {
  if (stanza.name !== "iq" || stanza.attrs.type !== "set") return false;
  const to = stanza.attrs.to;
  if (to !== undefined && to.toLowerCase() !== owner) return false;
  const payload = stanza.getChildElements()[0];
  const ns = payload?.attrs.xmlns;
  return payload?.name === "query" && typeof ns === "string" && ns.startsWith(MAM_PREFIX);
}
