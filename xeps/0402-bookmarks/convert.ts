/**
 * XEP-0402 §5.3 compatibility with XEP-0048 bookmarks in private storage (XEP-0049), as pure conversions:
 * PEP Native Bookmarks (one item per room: id = room JID, payload <conference xmlns='urn:xmpp:bookmarks:1'/>)
 * collated into one <storage xmlns='storage:bookmarks'/> (§5.3.1), and a legacy list read back into items,
 * with the changes it makes to the current ones (§5.3.2: unchanged items are left alone, so not notified).
 */
import { xml } from "@xmpp/xml";
import { clone, type Element } from "ltx";
import { parseJid } from "../../src/jid.js";

export const NS_BOOKMARKS = "urn:xmpp:bookmarks:1";
export const NS_LEGACY = "storage:bookmarks";

/** What both formats carry for one room. */
export interface Bookmark {
  /** The room's bare JID (XEP-0402: the item id; XEP-0048: the 'jid' attribute). */
  jid: string;
  name?: string;
  autojoin: boolean;
  nick?: string;
  password?: string;
}

/** XML Schema boolean (XEP-0402 §2 'autojoin', XEP-0048 §3.2). */
const isTrue = (v: string | undefined) => v === "true" || v === "1";

const textOf = (el: Element, name: string): string | undefined => {
  const c = el.getChild(name);
  return c ? c.getText() : undefined;
};

/** A XEP-0402 item (id and <conference/> payload) as a Bookmark; undefined when the payload is not one. */
export function fromItem(id: string, payload: Element | null): Bookmark | undefined {
  if (!payload || payload.getName() !== "conference" || payload.getNS() !== NS_BOOKMARKS) return undefined;
  return { jid: id, name: payload.attrs.name || undefined, autojoin: isTrue(payload.attrs.autojoin), nick: textOf(payload, "nick"), password: textOf(payload, "password") };
}

/**
 * The XEP-0402 <conference/> payload for a bookmark. `extensions` (XEP-0402 §2: clients MUST preserve them) are
 * carried over from the item being replaced, since XEP-0048 clients cannot express them.
 */
export function toPayload(b: Bookmark, extensions?: Element): Element {
  return xml("conference", { xmlns: NS_BOOKMARKS, name: b.name, autojoin: b.autojoin ? "true" : undefined },
    b.nick !== undefined ? xml("nick", null, b.nick) : null,
    b.password !== undefined ? xml("password", null, b.password) : null,
    extensions ? clone(extensions) : null,
  );
}

/** §5.3.1: all bookmarks as one XEP-0048 <storage/>, the jid attribute set to each item id; plus URL bookmarks. */
export function toLegacy(bookmarks: readonly Bookmark[], urls: readonly Element[] = []): Element {
  return xml("storage", { xmlns: NS_LEGACY },
    bookmarks.map((b) => xml("conference", { jid: b.jid, name: b.name, autojoin: b.autojoin ? "true" : "false" },
      b.nick !== undefined ? xml("nick", null, b.nick) : null,
      b.password !== undefined ? xml("password", null, b.password) : null)),
    urls.map((u) => clone(u)),
  );
}

/**
 * A XEP-0048 <storage/>: its conferences (one per room, the last one winning; entries without a valid room JID
 * left out) and its URL bookmarks, which XEP-0402 does not carry (§1).
 */
export function fromLegacy(storage: Element): { bookmarks: Bookmark[]; urls: Element[] } {
  const byJid = new Map<string, Bookmark>();
  for (const c of storage.getChildren("conference")) {
    const parsed = parseJid(c.attrs.jid ?? "");
    if (!parsed.ok || parsed.jid.resource) continue;
    const jid = parsed.jid.bare;
    byJid.delete(jid);
    byJid.set(jid, { jid, name: c.attrs.name || undefined, autojoin: isTrue(c.attrs.autojoin), nick: textOf(c, "nick"), password: textOf(c, "password") });
  }
  return { bookmarks: [...byJid.values()], urls: storage.getChildren("url") };
}

const same = (a: Bookmark, b: Bookmark) => a.name === b.name && a.autojoin === b.autojoin && a.nick === b.nick && a.password === b.password;

/**
 * §5.3.2: what a replacement list changes: bookmarks to publish (new or changed) and room JIDs to retract.
 * Unchanged bookmarks are in neither list.
 */
export function changes(current: readonly Bookmark[], wanted: readonly Bookmark[]): { publish: Bookmark[]; retract: string[] } {
  const now = new Map(current.map((b) => [b.jid, b]));
  const publish = wanted.filter((w) => { const c = now.get(w.jid); return !c || !same(c, w); });
  const keep = new Set(wanted.map((w) => w.jid));
  return { publish, retract: current.filter((c) => !keep.has(c.jid)).map((c) => c.jid) };
}
