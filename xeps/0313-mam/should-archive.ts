/**
 * Which messages a user's archive keeps (XEP-0313 §5.1.1 "User Archives", XEP-0334 hints, XEP-0441 preferences), as
 * pure decisions.
 *
 * §5.1.1: a server SHOULD keep every message of type normal or chat with a <body/>, MAY keep other messages, and
 * "all messages that hold meaningful content, rather than state changes such as Chat State Notifications" (§2). So
 * a message is kept when it carries something lasting: a body, a subject, or any payload that is not only a state or
 * a processing instruction (chat markers, reactions, retractions, encrypted payloads, call signalling, invitations).
 * Not kept: errors; headlines (transient by definition, "not generally suggested"); groupchat (the room's archive
 * holds it: a user archive that kept it would have to advertise #groupchat-available); chat states, delivery
 * receipts and other state-only messages; and copies of messages rather than messages: carbons, archive query
 * results (e.g. from a MUC archive the user queries), pubsub event notifications.
 */
import type { Element } from "ltx";
import type { Jid } from "../../src/jid.js";
import { NS_CARBONS, NS_DELAY, NS_HINTS, NS_MAM } from "./ns.js";
import type { PrefsMatcher } from "./prefs.js";

/** Seen from the archive's owner: a message it sent, or one it received. */
export type Direction = "outgoing" | "incoming";

const NS_SID = "urn:xmpp:sid:0";
/**
 * Payload namespaces that are states or processing hints, not content: XEP-0085 chat states, XEP-0184 receipts,
 * XEP-0022 message events, XEP-0359 ids, XEP-0203 delay, XEP-0334 hints (handled first), XEP-0380 encryption
 * markers (they only name the method of a payload that is itself content).
 */
const STATE_ONLY = new Set([
  "http://jabber.org/protocol/chatstates",
  "urn:xmpp:receipts",
  "jabber:x:event",
  NS_SID,
  NS_DELAY,
  NS_HINTS,
  "urn:xmpp:eme:0",
]);
const NS_PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";

/** A payload that makes the message a copy or a notification rather than a message of a conversation. */
function isCopy(child: Element, ns: string | undefined): boolean {
  if (ns === NS_CARBONS) return child.name === "sent" || child.name === "received";
  if (ns === NS_MAM) return child.name === "result";
  return ns === NS_PUBSUB_EVENT;
}

/**
 * Whether a message holds content a user archive keeps (see the header). XEP-0334: <no-store/> and
 * <no-permanent-store/> keep any message out (§4.2, §4.3: the archive is permanent storage); <store/> keeps a
 * message that would otherwise not be (§4.4), except an error.
 */
export function archivable(stanza: Element): boolean {
  if (stanza.name !== "message") return false;
  const type = stanza.attrs.type;
  if (type !== undefined && type !== "chat" && type !== "normal") return false;
  let lasting = false;
  let storeHint = false;
  for (const child of stanza.children) {
    if (typeof child === "string") continue;
    const ns = child.attrs.xmlns;
    if (ns === undefined || ns === "jabber:client") {
      // <body/>, <subject/> are content; <thread/> only names the conversation.
      if (child.name !== "thread") lasting = true;
    } else if (ns === NS_HINTS) {
      if (child.name === "no-store" || child.name === "no-permanent-store") return false;
      if (child.name === "store") storeHint = true;
    } else if (isCopy(child, ns)) {
      return false;
    } else if (!STATE_ONLY.has(ns)) {
      lasting = true;
    }
  }
  return lasting || storeHint;
}

/** The other party of a message in the owner's archive (XEP-0441 §3.2: the `to` of outgoing, the `from` of incoming). */
export const otherParty = (direction: Direction, from: Jid, to: Jid): Jid => (direction === "outgoing" ? to : from);

/** Whose archive a message goes to in a direction: the sender's for outgoing, the recipient's for incoming. */
export const archiveOwner = (direction: Direction, from: Jid, to: Jid): string => (direction === "outgoing" ? from.bare : to.bare);

/**
 * The whole decision for one archive: content (`archivable`), then the owner's preferences for the other party.
 * `inRoster` says whether a bare JID is on the owner's roster (asked only for the roster default); the owner's own
 * account counts as a contact, so notes to self follow the roster default.
 */
export function shouldArchive(
  stanza: Element,
  direction: Direction,
  from: Jid,
  to: Jid,
  prefs: PrefsMatcher,
  inRoster: (bare: string) => boolean,
): boolean {
  if (!archivable(stanza)) return false;
  const owner = archiveOwner(direction, from, to);
  return prefs.allows(otherParty(direction, from, to), (bare) => bare === owner || inRoster(bare));
}
