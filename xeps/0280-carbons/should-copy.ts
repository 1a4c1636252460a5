/**
 * XEP-0280 Message Carbons §6.1 (the rules the server advertises with urn:xmpp:carbons:rules:0, §6.2) and
 * §9 (<private/>), with the XEP-0334 <no-copy/> hint: whether a message is carbon-copied, as a pure decision.
 */
import type { Element } from "ltx";
import { messageType } from "../../src/im/delivery.js";

export const NS_CARBONS = "urn:xmpp:carbons:2";
const NS_HINTS = "urn:xmpp:hints";
const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
const NS_DIRECT_INVITE = "jabber:x:conference";
/** §6.1: "payload elements typically used in IM": receipts (XEP-0184), chat states (XEP-0085), markers (XEP-0333). */
const IM_PAYLOADS = new Set(["urn:xmpp:receipts", "http://jabber.org/protocol/chatstates", "urn:xmpp:chat-markers:0"]);

/** "sent": a message a user's client sent (§8); "received": a message for the user (§7). */
export type Direction = "sent" | "received";

export function shouldCopy(stanza: Element, direction: Direction): boolean {
  if (stanza.name !== "message") return false;
  const type = messageType(stanza); // RFC 6121 §5.2.2: absent or unknown is "normal"
  // §6.1, MUC rules: groupchat is never copied (each client instance gets it from the room).
  if (type === "groupchat") return false;
  let body = false;
  let imPayload = false;
  let mucUser: Element | undefined;
  let directInvite = false;
  for (const child of stanza.getChildElements()) {
    const ns = child.attrs.xmlns;
    if (ns === NS_CARBONS) {
      // §9: <private/> keeps the message off the other resources, on the sender's and the recipient's
      // server alike. A message that is itself a carbon is never copied again.
      if (child.name === "private" || child.name === "sent" || child.name === "received") return false;
    } else if (ns === NS_HINTS) {
      // XEP-0334 §4: <no-copy/> asks that the message not be copied to other resources.
      if (child.name === "no-copy") return false;
    } else if (ns === NS_MUC_USER && child.name === "x") {
      mucUser = child;
    } else if (ns === NS_DIRECT_INVITE && child.name === "x") {
      directInvite = true;
    } else if (ns !== undefined && IM_PAYLOADS.has(ns)) {
      imPayload = true;
    } else if (child.name === "body" && (ns === undefined || ns === "jabber:client")) {
      body = true;
    }
  }
  // §6.1, MUC rules: direct (XEP-0249) and mediated invitations are copied.
  if (directInvite || mucUser?.getChild("invite")) return true;
  // §6.1, MUC rules: a private message from a room occupant (it carries the muc#user <x/>) is already sent
  // by the room to every joined client, so it is not copied; one the user sends to an occupant is.
  if (mucUser && direction === "received") return false;
  // §6.1: an error sent in response to an eligible message. Which message an error answers is not
  // recorded; an error carries the original's payload (RFC 6120 §8.3.1), so it is judged by that payload.
  if (type === "error") return body || imPayload;
  if (type === "chat") return true;
  if (type === "normal" && body) return true;
  return imPayload;
}
