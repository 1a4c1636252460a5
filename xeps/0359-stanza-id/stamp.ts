/**
 * XEP-0359 Unique and Stable Stanza IDs: the id an account assigns to a message it receives, as small pure
 * functions. The stanza-id module stamps with them; the archive (XEP-0313) reuses them, so the id a client
 * sees on a live message is the id of that message in the archive.
 */
import { randomId } from "../../src/random-id.js";
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { parseJid } from "../../src/jid.js";

export const NS_SID = "urn:xmpp:sid:0";

/**
 * A new stanza id: 96 random bits in base64url. §3 rule 1 (unpredictable), §6 (reveals nothing, e.g. not
 * the size of an archive), unique within the scope of `by` with overwhelming probability.
 */
export function newStanzaId(): string {
  return randomId(12);
}

/** Whether a stanza-id's `by` names `by` (a prepared bare JID), compared as normalised addresses (§3 rule 7). */
function sameEntity(attr: string | undefined, by: string): boolean {
  if (attr === undefined) return false;
  if (attr === by) return true;
  const parsed = parseJid(attr);
  return parsed.ok && parsed.jid.full === by;
}

/**
 * §3 rule 2: an entity that generates stanza ids deletes every <stanza-id/> whose `by` is its own address,
 * even when it adds none, so nobody can forge an id in its name. Other <stanza-id/> and every <origin-id/>
 * stay (§3 rule 3). Returns how many were removed.
 */
export function stripStanzaIds(stanza: Element, by: string): number {
  const before = stanza.children.length;
  stanza.children = stanza.children.filter((c) =>
    typeof c === "string" || !(c.name === "stanza-id" && c.attrs.xmlns === NS_SID && sameEntity(c.attrs.by, by)));
  return before - stanza.children.length;
}

/** Strip forged ids of `by` and add ours (§2.1, §3 rules 2, 4, 5); returns the id stamped. */
export function stampStanzaId(stanza: Element, by: string, id: string = newStanzaId()): string {
  stripStanzaIds(stanza, by);
  stanza.cnode(xml("stanza-id", { xmlns: NS_SID, id, by }));
  return id;
}

const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";
const NS_HINTS = "urn:xmpp:hints";
const NS_DELAY = "urn:xmpp:delay";

/**
 * Children that do not make a message worth keeping on their own: XEP-0085 chat states, XEP-0334 hints,
 * XEP-0359 ids, XEP-0203 delay and the conversation <thread/>.
 */
function isTransient(child: Element): boolean {
  const ns = child.attrs.xmlns;
  if (ns === undefined || ns === "jabber:client") return child.name === "thread";
  return ns === NS_CHATSTATES || ns === NS_HINTS || ns === NS_SID || ns === NS_DELAY;
}

/**
 * Which messages an account gives an id: those its archive keeps (chat and normal messages with lasting
 * content, as XEP-0313 archives them), so that every id a client sees can be used to page the archive from.
 * Not errors, headlines (transient), or groupchat (the room assigns those ids, §3 rule 7), nor a message
 * that is only a chat state or that asks not to be stored (XEP-0334 <no-store/>, <no-permanent-store/>);
 * a <store/> hint keeps even a message without lasting content (XEP-0334).
 */
export function shouldStamp(stanza: Element): boolean {
  if (stanza.name !== "message") return false;
  const type = stanza.attrs.type;
  if (type !== undefined && type !== "normal" && type !== "chat") return false;
  let lasting = false;
  for (const child of stanza.getChildElements()) {
    if (child.attrs.xmlns === NS_HINTS) {
      if (child.name === "no-store" || child.name === "no-permanent-store") return false;
      if (child.name === "store") lasting = true;
    } else if (!isTransient(child)) {
      lasting = true;
    }
  }
  return lasting;
}
