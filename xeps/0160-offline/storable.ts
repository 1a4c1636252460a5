/**
 * XEP-0160 §3 (with RFC 6121 §8.5.2.2.1, XEP-0085 §5.8 and XEP-0334): what happens to a message for an
 * account that has no resource to take it, as a pure decision.
 */
import type { Element } from "ltx";

export const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";
export const NS_HINTS = "urn:xmpp:hints";
const NS_SID = "urn:xmpp:sid:0";
const NS_DELAY = "urn:xmpp:delay";

/**
 * - store: keep it for the user's next available resource;
 * - refuse: do not keep it, and tell the sender (RFC 6121 §8.5.2.2.1 (b): <service-unavailable/>);
 * - discard: drop it without a reply (RFC 6121 §8.5.2.2.1 for headline and error; XEP-0085 §5.8 lets a
 *   server refuse to deliver a standalone chat state, and an error reply to a typing notification would
 *   only confuse the sender's client).
 */
export type OfflineDecision = "store" | "refuse" | "discard";

/** Children that carry nothing to read later: chat states, hints, ids, delay, and <thread/>. */
function isTransient(child: Element): boolean {
  const ns = child.attrs.xmlns;
  if (ns === undefined || ns === "jabber:client") return child.name === "thread";
  return ns === NS_CHATSTATES || ns === NS_HINTS || ns === NS_SID || ns === NS_DELAY;
}

export function offlineDecision(stanza: Element): OfflineDecision {
  const type = stanza.attrs.type;
  // XEP-0160 §3: headline (time-sensitive) and error are not stored, and RFC 6121 §8.5.2.2.1 has the server
  // ignore them silently; groupchat is not stored and gets an error.
  if (type === "headline" || type === "error") return "discard";
  if (type === "groupchat") return "refuse";
  let lasting = false;
  let storeHint = false;
  for (const child of stanza.getChildElements()) {
    if (child.attrs.xmlns === NS_HINTS) {
      // XEP-0334 §4: <no-store/> forbids even temporary storage for later delivery; <store/> asks for it.
      if (child.name === "no-store") return "refuse";
      if (child.name === "store") storeHint = true;
    } else if (!isTransient(child)) {
      // A body, a subject, an encrypted payload, a receipt, a marker, a correction, a reaction, an
      // invitation...: anything but the transient elements is content the user would miss.
      lasting = true;
    }
  }
  if (lasting || storeHint) return "store";
  // XEP-0160 §3 (chat) and XEP-0085 §5.8: a message of chat states (or nothing) only is not stored.
  return "discard";
}
