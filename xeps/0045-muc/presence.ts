/**
 * Occupant presence (XEP-0045 §7.2 entering, §7.6 changing nickname, §7.7 changing availability, §7.14
 * exiting) and the removals others cause (§8.2 kick, §9.1 ban, §9.4/§10.2 affiliation changes, §11 service
 * removals), with the §7.1 order of what a newcomer receives: others' presence, self-presence, history,
 * subject, then live traffic.
 *
 * Multi-session nicks (§7.2.9): the same user (bare JID) may be in the room with the same nickname from several
 * resources; they are one occupant with several sessions. Everything sent to the occupant goes to all its
 * sessions; the room shows the presence of the session that last joined or changed presence; a nickname change
 * moves all sessions. A session leaving while others stay is seen by the rest of the room as a presence update.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { clone } from "ltx";
import type { StanzaEvent } from "../../src/hooks.js";
import { addDelay } from "../../src/xml/delay.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { bounce, type ServiceContext } from "./context.js";
import { recipient, type Outgoing } from "./fanout.js";
import { parseHistoryRequest, selectHistory, type HistoryRequest } from "./history.js";
import { NS_MUC, NS_MUC_USER, NS_OCCUPANT_ID } from "./ns.js";
import { cleanPresence, currentPresence, mucUserX, occupantPresence, type ItemInfo } from "./occupant-presence.js";
import { occupantId } from "./occupant-id.js";
import { initialRole, rank } from "./permissions.js";
import { Occupant, type OccupantSession, type Room } from "./room.js";
import { presenceStatusCodes, type PresenceEvent } from "./status-codes.js";

/** §17.1: a nickname is not empty nor invisible; the service limits its length. */
export function checkNick(nick: string, maxLength: number): StanzaError | null {
  if (nick.replace(/[\s\p{Cf}\p{Cc}]/gu, "") === "") return new StanzaError("jid-malformed", "a nickname must not be empty or invisible");
  if ([...nick].length > maxLength) return new StanzaError("not-acceptable", `a nickname may have at most ${maxLength} characters`);
  return null;
}

/** Whether the room broadcasts this occupant's presence (muc#roomconfig_presencebroadcast names its role). */
const broadcasts = (room: Room, occ: Occupant) => room.config.presenceBroadcast.includes(occ.role as never);

/** Deliver one stanza to one session of an occupant. */
export function deliverTo(ctx: ServiceContext, s: OccupantSession, el: Element): void {
  if (s.session) s.session.send(el);
  else ctx.route(el);
}

/** Deliver to every session of every occupant but `except`, the variant chosen by the recipient. */
function toOthers(ctx: ServiceContext, room: Room, except: Occupant | null, pick: (viewer: Occupant) => Outgoing): void {
  for (const o of room.occupants.values()) {
    if (o === except) continue;
    const out = pick(o);
    for (const s of o.sessions.values()) out.deliver(s, ctx.route);
  }
}

/** Two lazily built variants: with the real JID (moderators, non-anonymous rooms) and without. */
function byVisibility(room: Room, build: (withJid: boolean) => Outgoing): (viewer: Occupant) => Outgoing {
  let withJid: Outgoing | null = null;
  let without: Outgoing | null = null;
  return (viewer) => room.showsJidsTo(viewer.role) ? (withJid ??= build(true)) : (without ??= build(false));
}

export function onPresence(ctx: ServiceContext, room: Room, event: StanzaEvent): void {
  const { stanza, from, to } = event;
  const type = stanza.attrs.type;
  const occ = room.bySession.get(from.full);
  if (type === "error") {
    // §18.1.2 ghost users: presence the room sent bounced; the session is gone.
    if (occ) removeSession(ctx, room, occ, from.full, "removed-error");
    return;
  }
  if (!to.resource) {
    // §7.2.1: entering needs a nickname.
    if (type === undefined) bounce(ctx, event, new StanzaError("jid-malformed", "send presence to room@service/nickname to enter"));
    return;
  }
  if (type === "unavailable") {
    // §7.14; §17.3 rule 5: unavailable presence from someone who is not in the room is ignored.
    if (occ) leave(ctx, room, occ, from.full, stanza);
    return;
  }
  // §17.3 rules 1, 2 and 4: probes and subscription requests neither enter nor leave.
  if (type !== undefined) return;
  const mucX = stanza.getChild("x", NS_MUC);
  if (occ) {
    if (occ.nick !== to.resource) return changeNick(ctx, room, occ, event);
    return mucX ? resync(ctx, room, occ, event, mucX) : updatePresence(ctx, room, occ, event);
  }
  if (!mucX) return notInRoom(ctx, event, room.affiliationOf(from.bare));
  // §7.2.11: a locked room does not exist yet for anyone but its owners.
  if (room.locked && room.affiliationOf(from.bare) !== "owner") return bounce(ctx, event, new StanzaError("item-not-found", "this room is not configured yet"));
  enter(ctx, room, event, mucX, false);
}

/**
 * §7.2.23: presence without the MUC <x/> from someone who is not in the room is not a join (it may be a client
 * that lost track of the room): the room answers with a removal (110, 307, 333), so the client rejoins properly.
 */
export function notInRoom(ctx: ServiceContext, event: StanzaEvent, affiliation: ItemInfo["affiliation"]): void {
  const codes = presenceStatusCodes({ event: "not-in-room", self: true, nonAnonymous: false, logging: false, created: false, nickModified: false });
  const p = xml("presence", { from: event.to.full, to: event.from.full, type: "unavailable" },
    mucUserX({ affiliation, role: "none", reason: "You are not in the room." }, codes));
  if (event.origin?.kind === "c2s" && event.origin.jid.full === event.from.full) event.origin.send(p);
  else ctx.route(p);
}

/** §7.2: enter the room (a new occupant, or another session of the same user under the same nickname). */
export function enter(ctx: ServiceContext, room: Room, event: StanzaEvent, mucX: Element, created: boolean): void {
  const { from, to, stanza } = event;
  const nick = to.resource;
  const bare = from.bare;
  const affiliation = room.affiliationOf(bare);
  if (affiliation === "outcast") return bounce(ctx, event, new StanzaError("forbidden", "you are banned from this room"));
  const role = initialRole(affiliation, room.config);
  if (role === null) return bounce(ctx, event, new StanzaError("registration-required", "this room is for members only"));
  if (room.config.passwordProtected && mucX.getChildText("password") !== room.config.password) {
    return bounce(ctx, event, new StanzaError("not-authorized", "a password is required to enter this room"));
  }
  const nickError = checkNick(nick, ctx.options.maxNickLength);
  if (nickError) return bounce(ctx, event, nickError);
  const existing = room.occupants.get(nick);
  if (existing && existing.bare !== bare) return bounce(ctx, event, new StanzaError("conflict", "this nickname is in use"));
  const reserver = room.reservedBy(nick);
  if (reserver !== undefined && reserver !== bare) return bounce(ctx, event, new StanzaError("conflict", "this nickname is reserved"));
  // §7.2.10: a full room refuses newcomers, but admins and owners still enter (up to the service's limit).
  const roomLimit = Math.min(room.config.maxUsers ?? ctx.options.maxOccupants, ctx.options.maxOccupants);
  if (!existing && room.occupants.size >= roomLimit && (rank(affiliation) < rank("admin") || room.occupants.size >= ctx.options.maxOccupants + 100)) {
    return bounce(ctx, event, new StanzaError("service-unavailable", "this room is full"));
  }

  const local = event.origin?.kind === "c2s" && event.origin.jid.full === from.full ? event.origin : ctx.api.sessions.get(from.full) ?? null;
  const session: OccupantSession = { ...recipient(from.full, local), presence: cleanPresence(stanza) };
  let occ = existing;
  if (occ) {
    occ.sessions.set(from.full, session);
    occ.primary = session;
  } else {
    occ = new Occupant(nick, `${room.jid}/${nick}`, bare, role, occupantId(ctx.secret, room.jid, bare));
    occ.sessions.set(from.full, session);
    occ.primary = session;
    room.occupants.set(nick, occ);
  }
  attach(ctx, room, occ, from.full);

  // §7.1 / §7.2.3: the others' presence first, then self-presence, then history and subject.
  sendRoster(ctx, room, occ, session);
  selfPresence(ctx, room, occ, session, "join", created);
  if (existing) {
    for (const s of occ.sessions.values()) if (s !== session) selfPresence(ctx, room, occ, s, "update", false);
  }
  if (broadcasts(room, occ)) toOthers(ctx, room, occ, (viewer) => currentPresence(room, occ, room.showsJidsTo(viewer.role)));
  sendHistory(ctx, room, session, parseHistoryRequest(mucX.getChild("history")));
  sendSubject(ctx, room, session);
}

function attach(ctx: ServiceContext, room: Room, occ: Occupant, full: string): void {
  room.bySession.set(full, occ);
  let rooms = ctx.sessionRooms.get(full);
  if (!rooms) ctx.sessionRooms.set(full, rooms = new Set());
  rooms.add(room);
}

function detach(ctx: ServiceContext, room: Room, occ: Occupant, full: string): void {
  occ.sessions.delete(full);
  room.bySession.delete(full);
  const rooms = ctx.sessionRooms.get(full);
  if (rooms) {
    rooms.delete(room);
    if (rooms.size === 0) ctx.sessionRooms.delete(full);
  }
}

/** Every other occupant's current presence, for a session that enters or asks for a full resynchronisation. */
function sendRoster(ctx: ServiceContext, room: Room, occ: Occupant, to: OccupantSession): void {
  const withJid = room.showsJidsTo(occ.role);
  for (const o of room.occupants.values()) {
    if (o !== occ && broadcasts(room, o)) currentPresence(room, o, withJid).deliver(to, ctx.route);
  }
}

/** Self-presence (status 110, §7.2.3) of `occ` for one of its sessions; it always shows the occupant's own JID. */
function selfPresence(ctx: ServiceContext, room: Room, occ: Occupant, to: OccupantSession, why: "join" | "update" | "nick-new", created: boolean): void {
  const codes = presenceStatusCodes({ event: why, self: true, nonAnonymous: room.nonAnonymous, logging: room.config.logging, created, nickModified: false });
  const item: ItemInfo = { affiliation: room.affiliationOf(occ.bare), role: occ.role, jid: to.full };
  occupantPresence(occ, { base: occ.primary.presence, unavailable: false, item, codes }).deliver(to, ctx.route);
}

/** §7.2.13-14: discussion history, each message stamped with XEP-0203 <delay/> from the room. */
function sendHistory(ctx: ServiceContext, room: Room, to: OccupantSession, req: HistoryRequest): void {
  const limit = Math.min(room.config.historyLength, ctx.options.maxHistory);
  if (limit === 0 || room.history.size === 0) return;
  const candidates = room.history.all().slice(-limit).map((e) => {
    const el = clone(e.el) as Element;
    el.attrs.to = to.full;
    addDelay(el, e.when, room.jid);
    return { when: e.when, chars: el.toString().length, el };
  });
  for (const c of selectHistory(candidates, req, Date.now(), limit)) deliverTo(ctx, to, c.el);
}

/** §7.2.15: the subject (an empty one when none was set), stamped with when it was set. */
export function subjectMessage(room: Room, to: string): Element {
  const s = room.subject;
  const m = xml("message", { from: s?.from ?? room.jid, to, type: "groupchat", id: `subject-${s?.at ?? 0}` }, xml("subject", null, s?.text ?? ""));
  if (s?.occupantId) m.cnode(xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: s.occupantId }));
  if (s) addDelay(m, s.at, room.jid);
  return m;
}

function sendSubject(ctx: ServiceContext, room: Room, to: OccupantSession): void {
  deliverTo(ctx, to, subjectMessage(room, to.full));
}

/** §7.2.1, §17.3 rule 3: a session that is in the room sends the join presence again: it gets everything anew. */
function resync(ctx: ServiceContext, room: Room, occ: Occupant, event: StanzaEvent, mucX: Element): void {
  const session = occ.sessions.get(event.from.full)!;
  const presence = cleanPresence(event.stanza);
  const changed = presence.toString() !== session.presence.toString();
  session.presence = presence;
  if (changed) occ.primary = session;
  sendRoster(ctx, room, occ, session);
  selfPresence(ctx, room, occ, session, "join", false);
  if (changed) broadcastUpdate(ctx, room, occ, session);
  sendHistory(ctx, room, session, parseHistoryRequest(mucX.getChild("history")));
  sendSubject(ctx, room, session);
}

/** §7.7: a new availability status. */
function updatePresence(ctx: ServiceContext, room: Room, occ: Occupant, event: StanzaEvent): void {
  const session = occ.sessions.get(event.from.full)!;
  session.presence = cleanPresence(event.stanza);
  occ.primary = session;
  broadcastUpdate(ctx, room, occ);
}

/**
 * The occupant's presence, changed (availability §7.7, role §8, affiliation §9/§10): to the others (if the
 * room broadcasts the occupant's role) and as self-presence to its sessions but `skip`.
 */
export function broadcastUpdate(ctx: ServiceContext, room: Room, occ: Occupant, skip?: OccupantSession, extra?: { actor?: string; reason?: string }): void {
  for (const s of occ.sessions.values()) {
    if (s === skip) continue;
    const item: ItemInfo = { affiliation: room.affiliationOf(occ.bare), role: occ.role, jid: s.full, ...extra };
    occupantPresence(occ, { base: occ.primary.presence, unavailable: false, item, codes: [110] }).deliver(s, ctx.route);
  }
  if (!broadcasts(room, occ)) return;
  if (extra === undefined) {
    toOthers(ctx, room, occ, (viewer) => currentPresence(room, occ, room.showsJidsTo(viewer.role)));
    return;
  }
  const affiliation = room.affiliationOf(occ.bare);
  toOthers(ctx, room, occ, byVisibility(room, (withJid) => occupantPresence(occ, {
    base: occ.primary.presence, unavailable: false, codes: [],
    item: { affiliation, role: occ.role, jid: withJid ? occ.primary.full : undefined, ...extra },
  })));
}

/** §7.6: a session of the occupant sends presence to another nickname in the room. */
function changeNick(ctx: ServiceContext, room: Room, occ: Occupant, event: StanzaEvent): void {
  const nick = event.to.resource;
  const nickError = checkNick(nick, ctx.options.maxNickLength);
  if (nickError) return bounce(ctx, event, nickError);
  // A nickname in use, even by another occupant of the same user, or reserved by someone else: conflict.
  if (room.occupants.has(nick)) return bounce(ctx, event, new StanzaError("conflict", "this nickname is in use"));
  const reserver = room.reservedBy(nick);
  if (reserver !== undefined && reserver !== occ.bare) return bounce(ctx, event, new StanzaError("conflict", "this nickname is reserved"));

  const session = occ.sessions.get(event.from.full)!;
  session.presence = cleanPresence(event.stanza);
  occ.primary = session;
  const affiliation = room.affiliationOf(occ.bare);
  const visible = broadcasts(room, occ);
  // The unavailable presence of the old nickname carries the new one and status 303, to everyone.
  const unavailable = xml("presence");
  const codes = presenceStatusCodes({ event: "nick-old", self: true, nonAnonymous: false, logging: false, created: false, nickModified: false });
  for (const s of occ.sessions.values()) {
    occupantPresence(occ, { base: unavailable, unavailable: true, item: { affiliation, role: occ.role, jid: s.full, nick }, codes }).deliver(s, ctx.route);
  }
  if (visible) {
    toOthers(ctx, room, occ, byVisibility(room, (withJid) => occupantPresence(occ, {
      base: unavailable, unavailable: true, codes: [303],
      item: { affiliation, role: occ.role, jid: withJid ? occ.primary.full : undefined, nick },
    })));
  }
  room.occupants.delete(occ.nick);
  occ.nick = nick;
  occ.jid = `${room.jid}/${nick}`;
  room.occupants.set(nick, occ);
  for (const s of occ.sessions.values()) selfPresence(ctx, room, occ, s, "nick-new", false);
  if (visible) toOthers(ctx, room, occ, (viewer) => currentPresence(room, occ, room.showsJidsTo(viewer.role)));
}

/** §7.14: a session leaves (its own unavailable presence, or its stream ended). */
export function leave(ctx: ServiceContext, room: Room, occ: Occupant, full: string, unavailable: Element): void {
  const session = occ.sessions.get(full);
  if (!session) return;
  const base = cleanPresence(unavailable);
  const affiliation = room.affiliationOf(occ.bare);
  detach(ctx, room, occ, full);
  const codes = presenceStatusCodes({ event: "leave", self: true, nonAnonymous: false, logging: false, created: false, nickModified: false });
  occupantPresence(occ, { base, unavailable: true, item: { affiliation, role: "none", jid: full }, codes }).deliver(session, ctx.route);
  if (occ.sessions.size > 0) {
    // Other sessions stay: the room now shows one of theirs.
    if (occ.primary === session) occ.primary = occ.sessions.values().next().value!;
    broadcastUpdate(ctx, room, occ);
    return;
  }
  room.occupants.delete(occ.nick);
  if (broadcasts(room, occ)) {
    toOthers(ctx, room, null, byVisibility(room, (withJid) => occupantPresence(occ, {
      base, unavailable: true, codes: [], item: { affiliation, role: "none", jid: withJid ? full : undefined },
    })));
  }
  afterDeparture(ctx, room);
}

/** One session is removed by the service (§18.1.2 ghost users, status 333). */
function removeSession(ctx: ServiceContext, room: Room, occ: Occupant, full: string, why: PresenceEvent): void {
  if (occ.sessions.size === 1) return removeOccupant(ctx, room, occ, why, {});
  const session = occ.sessions.get(full)!;
  detach(ctx, room, occ, full);
  if (occ.primary === session) occ.primary = occ.sessions.values().next().value!;
  broadcastUpdate(ctx, room, occ);
}

/**
 * Remove an occupant with every session (§8.2 kick 307, §9.1 ban 301, §9.4 321, §10.2 322, §11 332/333): each
 * session gets the unavailable self-presence with the status code, actor and reason, then the others.
 */
export function removeOccupant(ctx: ServiceContext, room: Room, occ: Occupant, why: PresenceEvent, info: { actor?: string; reason?: string }): void {
  const affiliation = room.affiliationOf(occ.bare);
  const base = xml("presence");
  const selfCodes = presenceStatusCodes({ event: why, self: true, nonAnonymous: false, logging: false, created: false, nickModified: false });
  for (const [full, s] of occ.sessions) {
    occupantPresence(occ, { base, unavailable: true, item: { affiliation, role: "none", jid: full, ...info }, codes: selfCodes }).deliver(s, ctx.route);
  }
  const visible = broadcasts(room, occ);
  const primary = occ.primary.full;
  for (const full of [...occ.sessions.keys()]) detach(ctx, room, occ, full);
  room.occupants.delete(occ.nick);
  if (visible) {
    const codes = presenceStatusCodes({ event: why, self: false, nonAnonymous: false, logging: false, created: false, nickModified: false });
    toOthers(ctx, room, null, byVisibility(room, (withJid) => occupantPresence(occ, {
      base, unavailable: true, codes, item: { affiliation, role: "none", jid: withJid ? primary : undefined, ...info },
    })));
  }
  afterDeparture(ctx, room);
}

/**
 * After the last occupant left: a temporary room is destroyed (§7.14 note), and so is a room still locked
 * (§10.1.3: the owner left before configuring it). A persistent room stays.
 */
function afterDeparture(ctx: ServiceContext, room: Room): void {
  if (room.occupants.size > 0 || room.destroyed) return;
  if (room.locked || !room.config.persistent) ctx.dropRoom(room, true);
}

/** §10.9: every occupant gets one unavailable presence with the <destroy/>, alternate venue and reason. */
export function destroyRoom(ctx: ServiceContext, room: Room, destroy: { jid?: string; reason?: string; password?: string }): void {
  const el = xml("destroy", { jid: destroy.jid },
    destroy.reason ? xml("reason", null, destroy.reason) : null,
    destroy.password ? xml("password", null, destroy.password) : null);
  room.destroyed = true;
  for (const occ of [...room.occupants.values()]) {
    for (const [full, s] of occ.sessions) {
      const p = xml("presence", { from: occ.jid, to: full, type: "unavailable" },
        xml("x", { xmlns: NS_MUC_USER }, xml("item", { affiliation: "none", role: "none" }), el));
      deliverTo(ctx, s, p);
      detach(ctx, room, occ, full);
    }
  }
  room.occupants.clear();
  ctx.dropRoom(room, true);
}

/** Every session of a user that ends: it leaves every room it is in, as if it had sent unavailable presence (§7.14). */
export function sessionEnded(ctx: ServiceContext, full: string): void {
  const rooms = ctx.sessionRooms.get(full);
  if (!rooms) return;
  for (const room of [...rooms]) {
    const occ = room.bySession.get(full);
    if (occ) leave(ctx, room, occ, full, xml("presence", { type: "unavailable" }));
  }
}
