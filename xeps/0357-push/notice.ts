/**
 * Which messages warrant a push notification (XEP-0357 §5 "an event warranting a push notification", left to the
 * server), and the summary they become (§5, §11.3 the urn:xmpp:push:summary FORM_TYPE).
 *
 * A notification wakes the device's app so that it reconnects; it is worth it for what a user would want to see:
 * a message with a body, an OMEMO-encrypted message (its body may be a fallback or absent), an incoming call (XEP-0353
 * <propose/>). Not for receipts, chat states, markers, errors or headlines, nor for the user's own messages sent
 * from another device (sent carbons) or archive query results. A message received by another resource and copied
 * here (a received carbon, XEP-0280) counts as the message it carries.
 *
 * Group chat: the room sends each message to every occupant's full JID; a session waiting for resumption (XEP-0198)
 * is still an occupant, so its device is notified of messages in its rooms: all of them with body, only those that
 * mention the user's nickname, or none, by configuration. The room's echo of the user's own message, subjects and
 * the history sent on joining (delayed) are not notified.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";

export const NS_PUSH = "urn:xmpp:push:0";
export const FORM_SUMMARY = "urn:xmpp:push:summary";
const NS_DATA = "jabber:x:data";
const NS_CARBONS = "urn:xmpp:carbons:2";
const NS_FORWARD = "urn:xmpp:forward:0";
const NS_DELAY = "urn:xmpp:delay";
const NS_REFERENCE = "urn:xmpp:reference:0";
const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
/** Encrypted payloads: OMEMO as Conversations speaks it (eu.siacs...axolotl), and OMEMO 2 (XEP-0384 0.8+). */
const ENCRYPTED = ["eu.siacs.conversations.axolotl", "urn:xmpp:omemo:2"];
const NS_JINGLE_MESSAGE = "urn:xmpp:jingle-message:0";

export type GroupchatMode = "all" | "mentions" | "none";

export interface Notice {
  /** The sender's address as the message has it (room@service/nick for group chat). */
  sender: string;
  /** The body, when there is one. */
  body: string | null;
}

export interface NoticeContext {
  groupchat: GroupchatMode;
  /** The user's bare JID (mentions of it count too). */
  user: string;
  /** The user's nickname in a room (bare JID of the room), when known. */
  nickIn(room: string): string | undefined;
}

const bareOf = (jid: string) => jid.split("/")[0]!;
const resourceOf = (jid: string) => { const i = jid.indexOf("/"); return i === -1 ? "" : jid.slice(i + 1); };

/** Whether `text` names `nick` as a word of its own (case-insensitive; letters and digits do not run into it). */
export function mentions(text: string, nick: string): boolean {
  if (!nick) return false;
  const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "iu").test(text);
}

/** XEP-0372 mention references to the occupant or to the user's account. */
function referencesUser(stanza: Element, targets: readonly string[]): boolean {
  return stanza.getChildren("reference", NS_REFERENCE).some((r) => r.attrs.type === "mention" && targets.includes(r.attrs.uri));
}

/** The notice a message is worth, or null when it is not worth waking a device for. */
export function pushNotice(stanza: Element, ctx: NoticeContext): Notice | null {
  if (stanza.name !== "message") return null;
  const type = stanza.attrs.type ?? "normal";
  if (type === "error" || type === "headline") return null;
  // XEP-0280: a received carbon is the message it carries; a sent one is the user's own message.
  const received = stanza.getChild("received", NS_CARBONS);
  if (received) {
    const inner = received.getChild("forwarded", NS_FORWARD)?.getChild("message");
    return inner ? pushNotice(inner, ctx) : null;
  }
  if (stanza.getChild("sent", NS_CARBONS)) return null;
  // Archive results (XEP-0313) and other forwarded copies the client asked for.
  if (stanza.getChildElements().some((c) => c.getChild("forwarded", NS_FORWARD))) return null;

  const from = stanza.attrs.from ?? "";
  const body = stanza.getChildText("body");
  const important = (body !== null && body.trim() !== "") ||
    stanza.getChildElements().some((c) => (c.name === "encrypted" && ENCRYPTED.includes(c.attrs.xmlns)) ||
      (c.name === "propose" && c.attrs.xmlns === NS_JINGLE_MESSAGE));
  if (!important) return null;

  if (type === "groupchat") {
    if (ctx.groupchat === "none") return null;
    if (stanza.getChild("subject") || stanza.getChild("delay", NS_DELAY)) return null;
    const room = bareOf(from);
    const nick = ctx.nickIn(room);
    if (nick !== undefined && resourceOf(from) === nick) return null; // the room's echo of our own message
    if (ctx.groupchat === "mentions") {
      const named = nick !== undefined && body !== null && mentions(body, nick);
      const targets = [`xmpp:${ctx.user}`, ...(nick !== undefined ? [`xmpp:${room}/${nick}`] : [])];
      if (!named && !referencesUser(stanza, targets)) return null;
    }
  }
  return { sender: from, body: body !== null && body.trim() !== "" ? body : null };
}

/**
 * A room's self-presence (XEP-0045 §7.2.3: status 110) tells the occupant's nickname: the room's bare JID and the
 * nickname, null when the user left, undefined when this presence says nothing about it.
 */
export function selfPresence(stanza: Element): { room: string; nick: string | null } | undefined {
  const x = stanza.getChild("x", NS_MUC_USER);
  if (!x || !x.getChildren("status").some((s) => s.attrs.code === "110")) return undefined;
  const from = stanza.attrs.from ?? "";
  const nick = resourceOf(from);
  if (!nick) return undefined;
  return { room: bareOf(from), nick: stanza.attrs.type === "unavailable" ? null : nick };
}

export interface SummaryOptions {
  includeSender: boolean;
  includeBody: boolean;
}

/** §5: the <notification/> with its urn:xmpp:push:summary form. The body only when configured (§8: privacy). */
export function notification(count: number, notice: Notice | null, o: SummaryOptions): Element {
  const field = (v: string, value: string) => xml("field", { var: v }, xml("value", null, value));
  return xml("notification", { xmlns: NS_PUSH },
    xml("x", { xmlns: NS_DATA, type: "submit" },
      field("FORM_TYPE", FORM_SUMMARY),
      field("message-count", String(count)),
      o.includeSender && notice ? field("last-message-sender", notice.sender) : null,
      o.includeBody && notice?.body ? field("last-message-body", notice.body) : null,
    ));
}
