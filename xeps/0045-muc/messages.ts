/**
 * Messages to a room and to its occupants: groupchat (XEP-0045 §7.4) with stable ids (§7.4 muc#stable_id),
 * XEP-0359 stanza-ids by the room and XEP-0421 occupant ids, subject changes (§8.1), private messages (§7.5),
 * mediated invitations and declines (§7.8.2), voice requests and their approval (§7.13, §8.6), and the error
 * bounces that reveal ghost occupants (§18.1.2).
 *
 * A groupchat message is checked, stamped and written to every occupant at once, in the order the room
 * received it; its archive append is chained after the previous one (room-archive.ts), so every occupant and
 * the archive see the same order.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import type { StanzaEvent } from "../../src/hooks.js";
import { randomId } from "../../src/random-id.js";
import { parseJid, type Jid } from "../../src/jid.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { NS_SID, stampStanzaId, stripStanzaIds } from "../0359-stanza-id/index.js";
import { actorOf, applyAffiliations, invitation, setRole } from "./admin.js";
import { bounce, type ServiceContext } from "./context.js";
import { Outgoing, stanza } from "./fanout.js";
import { buildForm, formIn, parseBoolean, readForm } from "../0004-data-forms/form.js";
import { NS_MUC_USER, NS_OCCUPANT_ID, NS_REQUEST } from "./ns.js";
import { checkRoleChange, invitationAddsMember, mayChangeSubject, mayInvite, maySendPrivate, maySpeak } from "./permissions.js";
import { removeOccupant } from "./presence.js";
import { archive, keeps, withoutTo } from "./room-archive.js";
import type { Occupant, Room } from "./room.js";

/** §18.1.2: errors that say a recipient is gone. */
const GONE = new Set(["gone", "item-not-found", "recipient-unavailable", "redirect", "remote-server-not-found", "remote-server-timeout"]);

/** What a client may not put in a message the room reflects: MUC user data, occupant ids, and ids in the room's name. */
function reflectable(room: Room, child: Element | string): child is Element {
  if (typeof child === "string") return false;
  const ns = child.attrs.xmlns;
  if (child.name === "x" && ns === NS_MUC_USER) return false;
  if (child.name === "occupant-id" && ns === NS_OCCUPANT_ID) return false;
  return !(child.name === "stanza-id" && ns === NS_SID && child.attrs.by === room.jid);
}

export function onMessage(ctx: ServiceContext, room: Room, event: StanzaEvent): void {
  const { stanza: m, to } = event;
  const type = m.attrs.type ?? "normal";
  if (type === "error") return bounced(ctx, room, event);
  if (to.resource) return privateMessage(ctx, room, event);
  if (type === "groupchat") return groupchat(ctx, room, event);
  const x = m.getChild("x", NS_MUC_USER);
  if (x?.getChild("invite")) return invite(ctx, room, event, x);
  if (x?.getChild("decline")) return decline(ctx, room, event, x);
  const form = formIn(m);
  if (form && readForm(form).formType === NS_REQUEST) return voice(ctx, room, event, form);
  // §17.2 rule 1: a message to all occupants must be of type groupchat.
  bounce(ctx, event, new StanzaError("bad-request", "messages to the room are of type groupchat"));
}

/** An error from an occupant's session about something the room sent it: a delivery failure removes the session (333). */
function bounced(ctx: ServiceContext, room: Room, event: StanzaEvent): void {
  const occ = room.bySession.get(event.from.full);
  const condition = event.stanza.getChild("error")?.getChildElements()[0]?.name;
  if (occ && condition && GONE.has(condition)) removeOccupant(ctx, room, occ, "removed-error", {});
}

function groupchat(ctx: ServiceContext, room: Room, event: StanzaEvent): void {
  const m = event.stanza;
  const occ = room.bySession.get(event.from.full);
  // §7.4: only occupants speak to the room.
  if (!occ) return bounce(ctx, event, new StanzaError("not-acceptable", "only occupants may send messages to the room"));
  // §8.1: a subject and no body nor thread is a subject change.
  if (m.getChild("subject") && !m.getChild("body") && !m.getChild("thread")) return changeSubject(ctx, room, occ, event);
  if (!maySpeak(occ.role)) return bounce(ctx, event, new StanzaError("forbidden", "you have no voice in this room"));
  broadcast(ctx, room, occ, m, event.from.full);
}

/**
 * Reflect a groupchat message from an occupant to everyone (§7.4): from the occupant JID, with the sender's id
 * (or a new one, muc#stable_id), the occupant id and the room's stanza-id. Returns the stanza-id.
 */
function broadcast(ctx: ServiceContext, room: Room, occ: Occupant, m: Element, senderFull: string): string {
  const el = stanza("message", { from: occ.jid, type: "groupchat", id: m.attrs.id ?? randomId(9), "xml:lang": m.attrs["xml:lang"] });
  for (const c of m.children) if (reflectable(room, c)) el.cnode(c);
  el.cnode(xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: occ.occupantId }));
  const id = stampStanzaId(el, room.jid, ctx.api.newArchiveId());
  const out = new Outgoing(el);
  for (const s of room.recipients()) out.deliver(s, ctx.route);
  const when = Date.now();
  const keep = keeps(m);
  if (keep.history) room.history.push({ id, when, el: withoutTo(el), jid: senderFull });
  if (keep.archive) archive(ctx, room, el, id, when, { full: senderFull, bare: occ.bare });
  return id;
}

/** §8.1: a new subject (empty to clear it), reflected to all, kept with the room and archived. */
function changeSubject(ctx: ServiceContext, room: Room, occ: Occupant, event: StanzaEvent): void {
  if (!mayChangeSubject(occ.role, room.config.changeSubject)) return bounce(ctx, event, new StanzaError("forbidden", "you may not change the subject"));
  const m = event.stanza;
  const el = stanza("message", { from: occ.jid, type: "groupchat", id: m.attrs.id ?? randomId(9) });
  for (const c of m.children) if (reflectable(room, c)) el.cnode(c);
  el.cnode(xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: occ.occupantId }));
  const id = room.config.logging ? stampStanzaId(el, room.jid, ctx.api.newArchiveId()) : "";
  const out = new Outgoing(el);
  for (const s of room.recipients()) out.deliver(s, ctx.route);
  const when = Date.now();
  room.subject = { text: m.getChildText("subject") ?? "", from: occ.jid, occupantId: occ.occupantId, at: when };
  if (id) archive(ctx, room, el, id, when, { full: event.from.full, bare: occ.bare });
  ctx.save(room).catch((err) => ctx.log.error("cannot save the room subject", { room: room.jid, err }));
}

/** §7.5: a private message to one occupant (to each of its sessions), through the room. */
function privateMessage(ctx: ServiceContext, room: Room, event: StanzaEvent): void {
  const m = event.stanza;
  if (m.attrs.type === "groupchat") return bounce(ctx, event, new StanzaError("bad-request", "a private message is not of type groupchat"));
  const sender = room.bySession.get(event.from.full);
  if (!sender) return bounce(ctx, event, new StanzaError("not-acceptable", "only occupants may send private messages"));
  const target = room.occupants.get(event.to.resource);
  if (!target) return bounce(ctx, event, new StanzaError("item-not-found", "nobody is in the room with that nickname"));
  if (!maySendPrivate(sender.role, room.config.allowPm)) return bounce(ctx, event, new StanzaError("forbidden", "private messages are not allowed for your role in this room"));
  const el = stanza("message", { from: sender.jid, type: m.attrs.type, id: m.attrs.id, "xml:lang": m.attrs["xml:lang"] });
  for (const c of m.children) if (reflectable(room, c)) el.cnode(c);
  // §7.5: the service adds <x xmlns='…muc#user'/> (for carbons, XEP-0280); XEP-0421: the sender's occupant id.
  el.cnode(xml("x", { xmlns: NS_MUC_USER }));
  el.cnode(xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: sender.occupantId }));
  stripStanzaIds(el, room.jid);
  const out = new Outgoing(el);
  for (const s of target.sessions.values()) out.deliver(s, ctx.route);
}

/**
 * §7.8.2 mediated invitations: checked (§9.5 who may invite), each invitee's address checked (a local account
 * that does not exist: item-not-found), then sent from the room; a members-only room adds the invitee to its
 * member list (§9.5).
 */
function invite(ctx: ServiceContext, room: Room, event: StanzaEvent, x: Element): void {
  const actor = actorOf(room, event);
  if (!mayInvite(actor.role, actor.affiliation, room.config)) {
    return bounce(ctx, event, new StanzaError("forbidden", room.config.membersOnly ? "only admins may invite to this members-only room" : "only occupants may invite"));
  }
  const invites: { jid: Jid; reason?: string; extra: Element[] }[] = [];
  for (const i of x.getChildren("invite")) {
    const to = parseJid(i.attrs.to ?? "");
    if (!to.ok) return bounce(ctx, event, new StanzaError("jid-malformed", "an invitation needs a valid 'to' address"));
    const cont = i.getChild("continue");
    invites.push({ jid: to.jid, reason: i.getChildText("reason") ?? undefined, extra: cont ? [cont] : [] });
  }
  const inviter = event.from.bare;
  const checks = invites.filter((i) => i.jid.local !== "" && ctx.api.server.isLocalHost(i.jid.domain)).map((i) => ctx.api.accounts.exists(i.jid));
  Promise.all(checks).then((found) => {
    if (found.includes(false)) return bounce(ctx, event, new StanzaError("item-not-found", "there is no such user"));
    if (room.destroyed) return;
    for (const i of invites) ctx.route(invitation(room, i.jid.full, inviter, i.reason, i.extra));
    if (!invitationAddsMember(room.config)) return;
    const members = invites.filter((i) => room.affiliationOf(i.jid.bare) === "none").map((i) => ({ jid: i.jid.bare, affiliation: "member" as const }));
    if (members.length === 0) return;
    applyAffiliations(ctx, room, members, undefined);
    ctx.save(room).catch((err) => ctx.log.error("cannot save the member list", { room: room.jid, err }));
  }, (err) => {
    ctx.log.error("cannot check an invitee", { err });
    bounce(ctx, event, new StanzaError("internal-server-error"));
  });
}

/** §7.8.2: an invitee declines; the room tells the inviter (the address the invitee names). */
function decline(ctx: ServiceContext, room: Room, event: StanzaEvent, x: Element): void {
  const d = x.getChild("decline")!;
  const to = parseJid(d.attrs.to ?? "");
  if (!to.ok) return bounce(ctx, event, new StanzaError("jid-malformed", "a decline needs the inviter's address in 'to'"));
  const reason = d.getChildText("reason");
  ctx.route(xml("message", { from: room.jid, to: to.jid.full },
    xml("x", { xmlns: NS_MUC_USER }, xml("decline", { from: event.from.bare }, reason ? xml("reason", null, reason) : null))));
}

/**
 * §7.13 a visitor asks for voice: the request goes to the moderators as a muc#request form (§8.6); §8.6 a
 * moderator submits it with muc#request_allow: the visitor becomes a participant.
 */
function voice(ctx: ServiceContext, room: Room, event: StanzaEvent, x: Element): void {
  const form = readForm(x);
  const value = (v: string) => form.fields.get(v)?.[0]?.trim();
  if (form.fields.has("muc#request_allow")) {
    if (parseBoolean(value("muc#request_allow")) !== true) return;
    const target = room.occupants.get(value("muc#roomnick") ?? "");
    if (!target || target.role !== "visitor") return;
    const verdict = checkRoleChange(actorOf(room, event), { affiliation: room.affiliationOf(target.bare), role: target.role, self: false }, "participant");
    if (!verdict.ok) return bounce(ctx, event, new StanzaError(verdict.condition, verdict.text));
    setRole(ctx, room, target, "participant", room.bySession.get(event.from.full)?.nick, undefined);
    return;
  }
  const occ = room.bySession.get(event.from.full);
  if (!occ) return bounce(ctx, event, new StanzaError("not-acceptable", "only occupants may ask for voice"));
  if (value("muc#role") !== "participant") return bounce(ctx, event, new StanzaError("bad-request", "voice is asked for as muc#role = participant"));
  if (occ.role !== "visitor") return;
  const request = buildForm("form", NS_REQUEST, [
    { var: "muc#role", type: "list-single", label: "Requested role", values: ["participant"] },
    { var: "muc#jid", type: "jid-single", label: "User ID", values: [occ.primary.full] },
    { var: "muc#roomnick", type: "text-single", label: "Room nickname", values: [occ.nick] },
    { var: "muc#request_allow", type: "boolean", label: "Grant voice to this person?", values: ["false"] },
  ], { title: "Voice request", instructions: `${occ.nick} asks for voice. To grant it, check the box and submit.` });
  const m = stanza("message", { from: room.jid, id: randomId(9) });
  m.cnode(request);
  const msg = new Outgoing(m);
  for (const o of room.occupants.values()) if (o.role === "moderator") for (const s of o.sessions.values()) msg.deliver(s, ctx.route);
}
