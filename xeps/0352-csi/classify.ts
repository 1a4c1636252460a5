/**
 * XEP-0352 Client State Indication §1 lists what a server may do for an inactive client: "Suppress presence updates
 * until the client becomes active again", "Discard messages containing only XEP-0085 payloads", "Defer or discard
 * unimportant PEP notifications". What Palaver does with each stanza for an inactive client, as a pure decision:
 *
 * - urgent: what the user or the client waits for goes out at once, after everything held before it (so the order
 *   of what a client receives is never changed):
 *   IQs (requests and answers: someone waits); errors; presence subscription requests and answers (RFC 6121 §3);
 *   the client's own presence in a room (XEP-0045 status 110: a join waits for it); messages with a body or a
 *   subject (a room's subject ends a join), except group chat messages that do not mention the user; encrypted
 *   payloads (XEP-0384 OMEMO, XEP-0373 OpenPGP, XEP-0027; their content is unknown, so assumed important);
 *   invitations (XEP-0249, XEP-0045 mediated); call setup (XEP-0353 Jingle Message Initiation); archive query
 *   results (XEP-0313: the client asked for them); carbon copies of messages that are urgent themselves.
 * - collapse: state, where only the latest matters, is held and replaces what it supersedes:
 *   available/unavailable presence, per sender full JID; chat states without content (XEP-0085), per conversation;
 *   PEP notifications (XEP-0163), per publisher, node and item (XEP-0060 §7.1.2: publishing an item with an existing
 *   id replaces it, so an older notification about the same item is stale; notifications about different items
 *   of one node, such as XEP-0402 bookmarks, are different data and are all kept).
 * - hold: the rest is held, all of it, in order: group chat messages that do not mention the user (the room's
 *   traffic can wait, a mention cannot), receipts and chat markers, headlines without a body, and anything unknown.
 *
 * "Mentions" are the given names (the account's username) appearing in a group chat body, case-insensitively.
 */
import type { Element } from "ltx";

export type CsiClass =
  | { kind: "urgent" }
  | { kind: "hold" }
  | { kind: "collapse"; key: string };

const URGENT: CsiClass = { kind: "urgent" };
const HOLD: CsiClass = { kind: "hold" };

const NS_CARBONS = "urn:xmpp:carbons:2";
const NS_FORWARD = "urn:xmpp:forward:0";
const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";
const NS_PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";
const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
const NS_DIRECT_INVITE = "jabber:x:conference";
const MAM_PREFIX = "urn:xmpp:mam:";
const JINGLE_MESSAGE_PREFIX = "urn:xmpp:jingle-message:";
/** Encrypted payloads: OMEMO (current and legacy), OpenPGP for XMPP, legacy OpenPGP. */
const ENCRYPTED = new Set(["urn:xmpp:omemo:2", "eu.siacs.conversations.axolotl", "urn:xmpp:openpgp:0", "jabber:x:encrypted"]);
const SUBSCRIPTION = new Set(["subscribe", "subscribed", "unsubscribe", "unsubscribed"]);

/** `mentions`: names that make a group chat message urgent when its body contains one (the account's username). */
export function classifyForCsi(stanza: Element, mentions: readonly string[] = []): CsiClass {
  switch (stanza.name) {
    case "iq":
      return URGENT;
    case "presence":
      return classifyPresence(stanza);
    case "message":
      return classifyMessage(stanza, mentions, false);
    default:
      return URGENT;
  }
}

function classifyPresence(stanza: Element): CsiClass {
  const type = stanza.attrs.type;
  if (type === "error" || (type !== undefined && SUBSCRIPTION.has(type))) return URGENT;
  if (type !== undefined && type !== "unavailable") return URGENT; // probes never reach clients; anything odd goes through
  const mucUser = stanza.getChild("x", NS_MUC_USER);
  if (mucUser?.getChildren("status").some((s) => s.attrs.code === "110")) return URGENT;
  return { kind: "collapse", key: `presence\u0000${stanza.attrs.from ?? ""}` };
}

/** `sent`: the message is the forwarded copy inside a <sent/> carbon (its conversation is with its 'to'). */
function classifyMessage(stanza: Element, mentions: readonly string[], sent: boolean): CsiClass {
  const type = stanza.attrs.type;
  if (type === "error") return URGENT;
  let body: string | null = null;
  let chatState = false;
  let other = false;
  let pepEvent: Element | null = null;
  for (const child of stanza.getChildElements()) {
    const ns = child.attrs.xmlns;
    if (ns === undefined || ns === "jabber:client") {
      if (child.name === "body") body = (body ?? "") + child.getText();
      else if (child.name === "subject") return URGENT;
      else if (child.name !== "thread") other = true;
      continue;
    }
    if (ns === NS_CARBONS && (child.name === "sent" || child.name === "received")) {
      const inner = child.getChild("forwarded", NS_FORWARD)?.getChild("message");
      return inner ? classifyMessage(inner, mentions, child.name === "sent") : HOLD;
    }
    if (ENCRYPTED.has(ns) || ns.startsWith(JINGLE_MESSAGE_PREFIX) || ns.startsWith(MAM_PREFIX) || ns === NS_DIRECT_INVITE) return URGENT;
    if (ns === NS_MUC_USER && child.getChild("invite")) return URGENT;
    if (ns === NS_CHATSTATES) chatState = true;
    else if (ns === NS_PUBSUB_EVENT && child.name === "event") pepEvent = child;
    else other = true;
  }
  if (body !== null) {
    if (type !== "groupchat") return URGENT;
    const text = body.toLowerCase();
    return mentions.some((m) => m !== "" && text.includes(m.toLowerCase())) ? URGENT : HOLD;
  }
  if (pepEvent) return classifyEvent(pepEvent, stanza.attrs.from ?? "");
  if (chatState && !other) {
    const peer = sent ? stanza.attrs.to ?? "" : stanza.attrs.from ?? "";
    return { kind: "collapse", key: `chatstate\u0000${sent ? "sent" : "received"}\u0000${peer}` };
  }
  return HOLD;
}

/** A pubsub event notification: collapsible when it is about exactly one item (or a whole node's items without ids). */
function classifyEvent(event: Element, publisher: string): CsiClass {
  const parts = event.getChildElements();
  const items = parts.length === 1 && parts[0]!.name === "items" ? parts[0]! : null;
  if (!items) return HOLD;
  const node = items.attrs.node ?? "";
  const entries = items.getChildElements().filter((e) => e.name === "item" || e.name === "retract");
  if (entries.length > 1) return HOLD;
  const id = entries[0]?.attrs.id;
  return { kind: "collapse", key: `pep\u0000${publisher}\u0000${node}\u0000${id ?? ""}` };
}
