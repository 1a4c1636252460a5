/**
 * The presence a room sends about an occupant (XEP-0045 §7.2.3, §17.3): the occupant's own presence
 * (without client-made MUC extensions), its <x xmlns='…muc#user'> with role, affiliation, the real JID for
 * those allowed to see it, status codes, and the XEP-0421 occupant id. Built as fan-out stanzas; the
 * presence others see of an occupant is kept until something it shows changes, so a join to a large room
 * serialises each occupant's presence once for all newcomers.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { clone } from "ltx";
import { Outgoing, stanza } from "./fanout.js";
import { NS_MUC, NS_MUC_USER, NS_OCCUPANT_ID } from "./ns.js";
import type { Affiliation, Role } from "./permissions.js";
import type { Occupant, Room } from "./room.js";

/** §17.3 rules 6-7 and XEP-0421 §5: what the room does not reflect of a client's presence. */
function reflected(child: Element): boolean {
  if (child.name === "x" && (child.attrs.xmlns === NS_MUC || child.attrs.xmlns === NS_MUC_USER)) return false;
  return !(child.name === "occupant-id" && child.attrs.xmlns === NS_OCCUPANT_ID);
}

/** A client's presence as the room keeps it: its type, id and the children it reflects. */
export function cleanPresence(p: Element): Element {
  const out = xml("presence", { type: p.attrs.type, id: p.attrs.id });
  for (const c of p.children) if (typeof c !== "string" && reflected(c)) out.cnode(clone(c) as Element);
  return out;
}

export interface ItemInfo {
  affiliation: Affiliation;
  role: Role;
  /** The occupant's real full JID, for those who may see it. */
  jid?: string;
  /** §7.6: the new nickname, in the unavailable presence of the old one. */
  nick?: string;
  /** Who kicked or banned (their nickname), and why (§8.2, §9.1). */
  actor?: string;
  reason?: string;
}

export function mucUserX(item: ItemInfo, codes: readonly number[], extra: Element[] = []): Element {
  return xml("x", { xmlns: NS_MUC_USER },
    xml("item", { affiliation: item.affiliation, role: item.role, jid: item.jid, nick: item.nick },
      item.actor !== undefined ? xml("actor", { nick: item.actor }) : null,
      item.reason ? xml("reason", null, item.reason) : null),
    codes.map((c) => xml("status", { code: String(c) })),
    extra,
  );
}

export interface PresenceSpec {
  /** The presence whose show/status/... is reflected (the primary session's, or the unavailable one sent). */
  base: Element;
  unavailable: boolean;
  item: ItemInfo;
  codes: readonly number[];
  /** More children of the <x/> (a <destroy/>). */
  extra?: Element[];
}

/** A presence from the occupant's JID, for fan-out. */
export function occupantPresence(occ: Occupant, spec: PresenceSpec): Outgoing {
  const el = stanza("presence", { from: occ.jid, id: spec.base.attrs.id, type: spec.unavailable ? "unavailable" : undefined });
  for (const c of spec.base.children) if (typeof c !== "string") el.cnode(clone(c) as Element);
  el.cnode(mucUserX(spec.item, spec.codes, spec.extra));
  el.cnode(xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: occ.occupantId }));
  return new Outgoing(el);
}

/** What the presence others see of an occupant depends on: when any of it changes, it is built again. */
interface Shown {
  presence: Element;
  role: Role;
  affiliation: Affiliation;
  nick: string;
  full: string;
  withJid: Outgoing | null;
  withoutJid: Outgoing | null;
}

const shown = new WeakMap<Occupant, Shown>();

/**
 * The occupant's current presence as another occupant sees it (§7.2.3 roster and presence broadcast, no
 * status codes): with the real JID for moderators and in non-anonymous rooms (§7.2.4, §7.2.5).
 */
export function currentPresence(room: Room, occ: Occupant, withJid: boolean): Outgoing {
  const affiliation = room.affiliationOf(occ.bare);
  let s = shown.get(occ);
  if (!s || s.presence !== occ.primary.presence || s.role !== occ.role || s.affiliation !== affiliation || s.nick !== occ.nick || s.full !== occ.primary.full) {
    s = { presence: occ.primary.presence, role: occ.role, affiliation, nick: occ.nick, full: occ.primary.full, withJid: null, withoutJid: null };
    shown.set(occ, s);
  }
  const item: ItemInfo = { affiliation, role: occ.role };
  if (withJid) return s.withJid ??= occupantPresence(occ, { base: s.presence, unavailable: false, item: { ...item, jid: occ.primary.full }, codes: [] });
  return s.withoutJid ??= occupantPresence(occ, { base: s.presence, unavailable: false, item, codes: [] });
}
