/**
 * The muc#admin protocol (XEP-0045 §8 moderator and §9 admin use cases, §10.3-§10.8 owner and admin lists):
 * reading the voice, moderator, member, ban, admin and owner lists, and changing roles (by nick) and
 * affiliations (by bare JID) in bulk. A request is checked as a whole against the permission table before
 * anything changes (§9.2: "SHOULD NOT apply any of the requested changes" when one is not allowed); then the
 * changes are applied and announced, and the result is sent once the room's record is durable.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import type { StanzaEvent } from "../../src/hooks.js";
import { parseJid } from "../../src/jid.js";
import type { IqResult } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import type { ServiceContext } from "./context.js";
import { NS_MUC_ADMIN, NS_MUC_USER } from "./ns.js";
import {
  checkAffiliationChange, checkRoleChange, isAffiliation, isRole, mayReadList, roleAfterAffiliation,
  type Actor, type Affiliation, type ListQuery, type Role,
} from "./permissions.js";
import { broadcastUpdate, removeOccupant } from "./presence.js";
import type { Occupant, Room } from "./room.js";

export function actorOf(room: Room, event: StanzaEvent): Actor {
  return { affiliation: room.affiliationOf(event.from.bare), role: room.roleOf(event.from.full) };
}

const denied = (v: { condition: "forbidden" | "not-allowed" | "conflict"; text: string }) => new StanzaError(v.condition, v.text);

/** §8.5, §9.2, §9.5, §9.8, §10.5, §10.8: one list, by role or by affiliation. */
export function getList(room: Room, event: StanzaEvent, query: Element): IqResult {
  const items = query.getChildren("item");
  if (items.length !== 1) return new StanzaError("bad-request", "ask for one list: one <item/> with a role or an affiliation");
  const { role, affiliation } = items[0]!.attrs as { role?: string; affiliation?: string };
  let list: ListQuery;
  if (role !== undefined && affiliation === undefined && isRole(role) && role !== "none") list = { role };
  else if (affiliation !== undefined && role === undefined && isAffiliation(affiliation) && affiliation !== "none") list = { affiliation };
  else return new StanzaError("bad-request", "the <item/> names one role (moderator, participant, visitor) or one affiliation (owner, admin, member, outcast)");
  if (!mayReadList(actorOf(room, event), list, { nonAnonymous: room.nonAnonymous, getMemberList: room.config.getMemberList })) {
    return new StanzaError("forbidden", "you may not read this list");
  }
  const out = xml("query", { xmlns: NS_MUC_ADMIN });
  if ("role" in list) {
    // §17.4 rule 5: role results carry nick, role, affiliation and the full JID.
    for (const o of room.occupants.values()) {
      if (o.role === list.role) out.cnode(xml("item", { nick: o.nick, role: o.role, affiliation: room.affiliationOf(o.bare), jid: o.primary.full }));
    }
    return out;
  }
  // §17.4 rule 6: affiliation results carry the affiliation, the bare JID and the reserved nick (never an outcast's).
  for (const jid of room.withAffiliation(list.affiliation as "owner")) {
    const e = room.affiliations.get(jid)!;
    out.cnode(xml("item", { affiliation: e.affiliation, jid, nick: e.affiliation === "outcast" ? undefined : e.nick },
      e.reason ? xml("reason", null, e.reason) : null));
  }
  return out;
}

interface RoleChange { occ: Occupant; role: Role; reason?: string }
export interface AffiliationChange { jid: string; affiliation: Affiliation; nick?: string; reason?: string }

/** §8, §9, §10: a set of role and affiliation changes (§17.4 rule 4: one or the other per item). */
export async function setList(ctx: ServiceContext, room: Room, event: StanzaEvent, query: Element): Promise<IqResult> {
  const items = query.getChildren("item");
  if (items.length === 0) return new StanzaError("bad-request", "no <item/> to change");
  const actor = actorOf(room, event);
  const roles: RoleChange[] = [];
  const affiliations: AffiliationChange[] = [];
  for (const item of items) {
    const { role, affiliation, nick, jid } = item.attrs as Record<string, string | undefined>;
    const reason = item.getChildText("reason") ?? undefined;
    if (role !== undefined && affiliation !== undefined) return new StanzaError("bad-request", "an item changes a role or an affiliation, not both");
    if (role !== undefined) {
      if (!isRole(role)) return new StanzaError("bad-request", `unknown role "${role}"`);
      if (nick === undefined) return new StanzaError("bad-request", "a role is changed by nick");
      const occ = room.occupants.get(nick);
      if (!occ) return new StanzaError("item-not-found", `nobody is in the room as ${nick}`);
      roles.push({ occ, role, reason });
    } else if (affiliation !== undefined) {
      if (!isAffiliation(affiliation)) return new StanzaError("bad-request", `unknown affiliation "${affiliation}"`);
      const parsed = parseJid(jid ?? "");
      if (!parsed.ok) return new StanzaError(jid === undefined ? "bad-request" : "jid-malformed", "an affiliation is changed by JID");
      // §10.3: a full JID is taken as its bare JID.
      affiliations.push({ jid: parsed.jid.bare, affiliation, nick, reason });
    } else {
      return new StanzaError("bad-request", "an item needs a role or an affiliation");
    }
  }

  for (const c of roles) {
    const v = checkRoleChange(actor, { affiliation: room.affiliationOf(c.occ.bare), role: c.occ.role, self: c.occ.bare === event.from.bare }, c.role);
    if (!v.ok) return denied(v);
  }
  const problem = checkAffiliations(room, actor, event.from.bare, affiliations);
  if (problem) return problem;

  const actorNick = room.bySession.get(event.from.full)?.nick;
  for (const c of roles) setRole(ctx, room, c.occ, c.role, actorNick, c.reason);
  if (affiliations.length > 0) {
    applyAffiliations(ctx, room, affiliations, actorNick);
    await ctx.save(room);
  }
  return null;
}

/** The permission table over a whole list of affiliation changes (the owner count is the one after all of them). */
export function checkAffiliations(room: Room, actor: Actor, actorBare: string, changes: readonly AffiliationChange[]): StanzaError | null {
  const owners = new Set(room.withAffiliation("owner"));
  for (const c of changes) {
    if (c.affiliation === "owner") owners.add(c.jid);
    else owners.delete(c.jid);
  }
  for (const c of changes) {
    const v = checkAffiliationChange(actor, { affiliation: room.affiliationOf(c.jid), self: c.jid === actorBare }, c.affiliation, owners.size);
    if (!v.ok) return denied(v);
  }
  return null;
}

/** §8.2 kick (role none), §8.3/§8.4 voice, §9.6/§9.7 moderator: change the role and tell the room. */
export function setRole(ctx: ServiceContext, room: Room, occ: Occupant, role: Role, actorNick: string | undefined, reason: string | undefined): void {
  if (occ.role === role) return;
  if (role === "none") {
    removeOccupant(ctx, room, occ, "kick", { actor: actorNick, reason });
    return;
  }
  occ.role = role;
  broadcastUpdate(ctx, room, occ, undefined, reason ? { reason } : undefined);
}

/**
 * Apply affiliation changes (already allowed): the stored lists change, occupants with that affiliation get their
 * new role or are removed (§9.1 ban 301, §9.4 321 when a members-only room loses a member), new members of a
 * members-only room who are elsewhere get an invitation (§9.5), and other users elsewhere a status 101 message
 * (§18.1 rule 2). The caller saves the room.
 */
export function applyAffiliations(ctx: ServiceContext, room: Room, changes: readonly AffiliationChange[], actorNick: string | undefined): void {
  for (const c of changes) {
    const before = room.affiliationOf(c.jid);
    const entry = room.affiliations.get(c.jid);
    if (c.affiliation === "none") {
      room.affiliations.delete(c.jid);
    } else if (c.affiliation === "outcast") {
      // §9.1: a ban also removes the reserved nickname.
      room.affiliations.set(c.jid, { affiliation: "outcast", reason: c.reason || undefined });
    } else {
      // §9.5: a nick given reserves it, an empty one removes the reservation, none keeps it.
      const nick = c.nick === undefined ? entry?.nick : c.nick === "" ? undefined : c.nick;
      room.affiliations.set(c.jid, { affiliation: c.affiliation, nick });
    }
    const after = room.affiliationOf(c.jid);
    if (before === after) continue;
    const present = [...room.occupants.values()].filter((o) => o.bare === c.jid || (!c.jid.includes("@") && o.bare.endsWith(`@${c.jid}`) && !room.affiliations.has(o.bare)));
    for (const occ of present) {
      const role = roleAfterAffiliation(occ.role, before, room.affiliationOf(occ.bare), room.config);
      if (role === null) {
        removeOccupant(ctx, room, occ, after === "outcast" ? "ban" : "removed-affiliation", { actor: actorNick, reason: c.reason });
      } else {
        occ.role = role;
        broadcastUpdate(ctx, room, occ, undefined, c.reason ? { reason: c.reason } : undefined);
      }
    }
    if (present.length > 0 || !c.jid.includes("@")) continue;
    if (after === "member" && before === "none" && room.config.membersOnly) {
      ctx.route(invitation(room, c.jid, room.jid, c.reason));
    } else {
      ctx.route(xml("message", { from: room.jid, to: c.jid },
        xml("x", { xmlns: NS_MUC_USER }, xml("item", { affiliation: after, jid: c.jid }), xml("status", { code: "101" }))));
    }
  }
}

/** §7.8.2 / §9.5: a mediated invitation from the room (with the password of a protected room). */
export function invitation(room: Room, to: string, from: string, reason?: string, extra: Element[] = []): Element {
  return xml("message", { from: room.jid, to },
    xml("x", { xmlns: NS_MUC_USER },
      xml("invite", { from }, reason ? xml("reason", null, reason) : null, extra),
      room.config.passwordProtected ? xml("password", null, room.config.password) : null),
    xml("body", null, `${from} invites you to the room ${room.jid}${reason ? `: ${reason}` : ""}`));
}
