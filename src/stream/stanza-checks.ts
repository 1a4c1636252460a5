/**
 * Checks every stream applies to a stanza it receives once the sender's address is settled (client, server and
 * component streams alike): the 'to' address must parse (RFC 6120 §8.1.1.1), and an IQ needs an id, a type and,
 * for get and set, exactly one payload (§8.2.3).
 */
import type { Element } from "ltx";
import { parseJid, type Jid } from "../jid.js";
import { errorReply, StanzaError } from "../xml/stanza-error.js";

/** RFC 6120 §8.2.3: an IQ needs an id and a type; get and set carry exactly one payload. */
export function validIq(el: Element): boolean {
  const type = el.attrs.type;
  return el.attrs.id !== undefined &&
    (type === "result" || type === "error" || ((type === "get" || type === "set") && el.getChildElements().length === 1));
}

export function badIqReply(el: Element): Element | null {
  return errorReply(el, new StanzaError("bad-request", "an IQ needs an id, a type and (get/set) one payload"));
}

export type IncomingCheck = { ok: true; to: Jid } | { ok: false; reply: Element | null };

/**
 * The last checks on a stanza from a server or component stream, whose 'from' the caller has verified: its
 * 'to' parses, the stream's default namespace is dropped (so the stanza serialises into any other stream), and
 * IQs are well formed. On failure, `reply` is the error to send back (null for stanzas never answered).
 */
export function checkIncoming(el: Element, streamNs: string): IncomingCheck {
  const to = parseJid(el.attrs.to ?? "");
  if (!to.ok) return { ok: false, reply: errorReply(el, new StanzaError("jid-malformed", to.error)) };
  if (el.attrs.xmlns === streamNs) delete el.attrs.xmlns;
  if (el.name === "iq" && !validIq(el)) return { ok: false, reply: badIqReply(el) };
  return { ok: true, to: to.jid };
}
