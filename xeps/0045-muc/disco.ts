/**
 * Service discovery of the conference service and its rooms (XEP-0045 §6): the service's identity and
 * features (§6.2), its public rooms with XEP-0059 paging (§6.3), each room's identity, features and XEP-0128
 * muc#roominfo form (§6.4), a room's items (§6.5: kept private, so empty), and the reserved-nickname node (§7.12).
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import type { StanzaEvent } from "../../src/hooks.js";
import type { IqResult } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { NS_SID } from "../0359-stanza-id/index.js";
import { NS_MAM, NS_MAM_EXTENDED } from "../0313-mam/index.js";
import type { ServiceContext } from "./context.js";
import { buildForm, type FieldDef } from "../0004-data-forms/form.js";
import {
  NODE_ROOMUSER, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MODERATE, NS_MUC, NS_OCCUPANT_ID, NS_PING, NS_REQUEST, NS_RETRACT,
  NS_ROOMINFO, NS_RSM, NS_SELF_PING, NS_STABLE_ID, NS_VCARD,
} from "./ns.js";
import { rank } from "./permissions.js";
import type { Room } from "./room.js";
import { roomFeatures } from "./room-config.js";

const identity = (name: string) => xml("identity", { category: "conference", type: "text", name });
const features = (vars: readonly string[]) => vars.map((v) => xml("feature", { var: v }));

/**
 * §6.2: the service. Occupant ids are on in every room, so the service announces them too (XEP-0421 §5).
 */
export function serviceInfo(ctx: ServiceContext, node: string | undefined): IqResult {
  if (node !== undefined) return new StanzaError("item-not-found", "no such node");
  return xml("query", { xmlns: NS_DISCO_INFO }, identity(ctx.options.name),
    features([NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_STABLE_ID, NS_OCCUPANT_ID, NS_PING, NS_RSM].sort()));
}

/** A page of a sorted list by XEP-0059 (<max/>, <after/>, <before/>, <index/>); `limit` when the client sets none. */
export function rsmPage<T>(items: readonly T[], key: (t: T) => string, set: Element | undefined, limit: number):
  { ok: true; page: T[]; first: number; set: Element | null } | { ok: false; error: StanzaError } {
  const total = items.length;
  let start = 0;
  let end = total;
  let max = limit;
  if (set) {
    const maxText = set.getChildText("max");
    if (maxText !== null) {
      if (!/^\d{1,9}$/.test(maxText.trim())) return { ok: false, error: new StanzaError("bad-request", "<max/> is a number") };
      max = Math.min(Number(maxText.trim()), limit);
    }
    const after = set.getChild("after");
    const before = set.getChild("before");
    const index = set.getChildText("index");
    if (after) {
      // §2.2: the items after this one; the list is sorted, so an item gone since is still a position.
      const k = after.getText();
      start = items.findIndex((i) => key(i) > k);
      if (start === -1) start = total;
    } else if (index !== null) {
      if (!/^\d{1,9}$/.test(index.trim())) return { ok: false, error: new StanzaError("bad-request", "<index/> is a number") };
      start = Math.min(Number(index.trim()), total);
    }
    if (before) {
      // §2.3, §2.5: the page that ends just before this item (an empty <before/>: the last page).
      const k = before.getText();
      if (k !== "") {
        end = items.findIndex((i) => key(i) >= k);
        if (end === -1) end = total;
      }
      start = Math.max(start, end - max);
    }
  }
  end = Math.min(end, start + max);
  const page = items.slice(start, end);
  if (!set && page.length === total) return { ok: true, page, first: start, set: null };
  const out = xml("set", { xmlns: NS_RSM });
  if (page.length > 0) {
    out.cnode(xml("first", { index: String(start) }, key(page[0]!)));
    out.cnode(xml("last", null, key(page.at(-1)!)));
  }
  out.cnode(xml("count", null, String(total)));
  return { ok: true, page, first: start, set: out };
}

/** §6.3: the public rooms (not hidden, not locked), sorted by address, a page at a time. */
export function serviceItems(ctx: ServiceContext, rooms: Iterable<Room>, query: Element): IqResult {
  if (query.attrs.node !== undefined) return new StanzaError("item-not-found", "no such node");
  const listed = [...rooms].filter((r) => r.config.public && !r.locked && !r.destroyed).sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0));
  const r = rsmPage(listed, (room) => room.jid, query.getChild("set", NS_RSM), ctx.options.maxDiscoItems);
  if (!r.ok) return r.error;
  return xml("query", { xmlns: NS_DISCO_ITEMS },
    r.page.map((room) => xml("item", { jid: room.jid, name: room.config.name || room.local })),
    r.set);
}

/** Whether who asks may see the room's subject and occupant count (§17.4 "Information Leaks": not by default to strangers). */
function insider(room: Room, event: StanzaEvent): boolean {
  return room.bySession.has(event.from.full) || rank(room.affiliationOf(event.from.bare)) >= rank("member") ||
    (room.config.public && !room.config.membersOnly && !room.config.passwordProtected);
}

/** §6.4 room features and the muc#roominfo form (XEP-0128); §7.12 the x-roomuser-item node. */
export function roomInfo(ctx: ServiceContext, room: Room, event: StanzaEvent, node: string | undefined): IqResult {
  if (node === NODE_ROOMUSER) {
    // §7.12: the user's reserved nickname as the identity's name, or an empty result.
    const nick = room.affiliations.get(event.from.bare)?.nick;
    return xml("query", { xmlns: NS_DISCO_INFO, node }, nick ? identity(nick) : null);
  }
  if (node !== undefined) return new StanzaError("item-not-found", "no such node");
  const c = room.config;
  const vars = [
    NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_STABLE_ID, NS_SELF_PING, NS_OCCUPANT_ID, NS_SID, NS_VCARD, NS_PING,
    NS_MODERATE, NS_RETRACT, ...roomFeatures(c),
  ];
  if (c.moderated) vars.push(NS_REQUEST);
  if (c.logging) vars.push(NS_MAM, NS_MAM_EXTENDED);
  const fields: FieldDef[] = [
    { var: "muc#roominfo_description", label: "Description", values: [c.description] },
    { var: "muc#roominfo_lang", label: "Language of discussion", values: c.lang ? [c.lang] : [] },
    { var: "muc#roominfo_subjectmod", type: "boolean", label: "Occupants may change the subject", values: [c.changeSubject ? "1" : "0"] },
    { var: "muc#maxhistoryfetch", label: "Messages of history sent on entering", values: [String(Math.min(c.historyLength, ctx.options.maxHistory))] },
    { var: "muc#roomconfig_allowpm", label: "Who may send private messages", values: [c.allowPm] },
  ];
  if (insider(room, event)) {
    fields.push({ var: "muc#roominfo_subject", label: "Current subject", values: [room.subject?.text ?? ""] });
    fields.push({ var: "muc#roominfo_occupants", label: "Number of occupants", values: [String(room.occupants.size)] });
  }
  // Owners as contacts, in a room that shows real JIDs anyway.
  if (room.nonAnonymous) fields.push({ var: "muc#roominfo_contactjid", type: "jid-multi", label: "Contact addresses", values: room.withAffiliation("owner") });
  // XEP-0486 (MUC avatars): the hash of the room's vCard photo.
  if (room.vcard?.hash) fields.push({ var: "muc#roominfo_avatarhash", type: "text-multi", label: "Avatar hash", values: [room.vcard.hash] });
  return xml("query", { xmlns: NS_DISCO_INFO }, identity(c.name || room.local), features([...new Set(vars)].sort()),
    buildForm("result", NS_ROOMINFO, fields));
}

/** §6.5: the occupant list is not public (the XEP advises it off by default): an empty result. */
export function roomItems(node: string | undefined): IqResult {
  if (node !== undefined) return new StanzaError("item-not-found", "no such node");
  return xml("query", { xmlns: NS_DISCO_ITEMS });
}
