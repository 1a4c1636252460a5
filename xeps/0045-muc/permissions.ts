/**
 * XEP-0045 roles, affiliations and who may do what, as pure functions: §5.1 (roles, their privileges, default
 * roles, the role state chart), §5.2 (affiliations, their privileges, the affiliation state chart), and the
 * rules of the moderator (§8), admin (§9) and owner (§10) use cases. The room asks these; nothing here knows
 * about stanzas.
 */

export type Role = "moderator" | "participant" | "visitor" | "none";
export type Affiliation = "owner" | "admin" | "member" | "none" | "outcast";

export const ROLES: readonly Role[] = ["moderator", "participant", "visitor", "none"];
export const AFFILIATIONS: readonly Affiliation[] = ["owner", "admin", "member", "none", "outcast"];

export const isRole = (s: string | undefined): s is Role => ROLES.includes(s as Role);
export const isAffiliation = (s: string | undefined): s is Affiliation => AFFILIATIONS.includes(s as Affiliation);

/** §5.2: affiliations form a hierarchy (an outcast is below an unaffiliated user). */
const RANK: Record<Affiliation, number> = { outcast: -1, none: 0, member: 1, admin: 2, owner: 3 };
export const rank = (a: Affiliation): number => RANK[a];

/** What of a room's configuration the rules depend on. */
export interface RoomPolicy {
  moderated: boolean;
  membersOnly: boolean;
}

/**
 * §5.1.2 "Initial Role Based on Affiliation": the role a user gets on entering, or null when entry is not
 * permitted (an outcast; a non-member in a members-only room, §7.2.5).
 */
export function initialRole(affiliation: Affiliation, room: RoomPolicy): Role | null {
  switch (affiliation) {
    case "owner":
    case "admin":
      return "moderator";
    case "member":
      return "participant";
    case "none":
      if (room.membersOnly) return null;
      return room.moderated ? "visitor" : "participant";
    case "outcast":
      return null;
  }
}

/** §5.1.1 "Send Messages to All": participants and moderators; visitors have no voice. */
export const maySpeak = (role: Role): boolean => role === "moderator" || role === "participant";

/**
 * §5.1.1 "Modify Subject" with §8.1: moderators always; participants when the room lets occupants change the
 * subject (muc#roomconfig_changesubject); visitors never.
 */
export const mayChangeSubject = (role: Role, changeSubject: boolean): boolean =>
  role === "moderator" || (role === "participant" && changeSubject);

/** muc#roomconfig_allowpm: who may send private messages (§7.5). */
export type AllowPm = "anyone" | "participants" | "moderators" | "none";
export const ALLOW_PM: readonly AllowPm[] = ["anyone", "participants", "moderators", "none"];

export function maySendPrivate(role: Role, allowPm: AllowPm): boolean {
  if (role === "none") return false;
  switch (allowPm) {
    case "anyone": return true;
    case "participants": return role !== "visitor";
    case "moderators": return role === "moderator";
    case "none": return false;
  }
}

/**
 * §5.1.1 "Invite Other Users" with §7.8.2 and §9.5: in an open room any occupant may invite; in a
 * members-only room only admins and owners, or members too when muc#roomconfig_allowinvites is on (then an
 * invitation also adds the invitee to the member list, see `invitationAddsMember`).
 */
export function mayInvite(role: Role, affiliation: Affiliation, room: { membersOnly: boolean; allowInvites: boolean }): boolean {
  if (rank(affiliation) >= rank("admin")) return true;
  if (role === "none") return false;
  return !room.membersOnly || room.allowInvites;
}

/**
 * §9.5: an invitation to a members-only room by someone who may edit the member list (or by any member when
 * invitations are open to members) adds the invitee to the member list; §9.5 "invitations sent through an
 * open room MUST NOT trigger the addition of the invitee to the member list".
 */
export const invitationAddsMember = (room: { membersOnly: boolean }): boolean => room.membersOnly;

export type Verdict = { ok: true } | { ok: false; condition: "forbidden" | "not-allowed" | "conflict"; text: string };
const OK: Verdict = { ok: true };
const deny = (condition: "forbidden" | "not-allowed" | "conflict", text: string): Verdict => ({ ok: false, condition, text });

/** Who asks: their affiliation, and their role ("none" when not in the room). */
export interface Actor {
  affiliation: Affiliation;
  role: Role;
}

/** Whose role would change. */
export interface RoleTarget {
  affiliation: Affiliation;
  role: Role;
  /** The actor is this occupant. */
  self: boolean;
}

/** Admins and owners act as moderators even when they are not in the room (they "still manage it"). */
const actsAsModerator = (a: Actor): boolean => a.role === "moderator" || rank(a.affiliation) >= rank("admin");

/**
 * §8 and §9 role changes (by nick):
 * - only moderators change roles (§8 intro: forbidden otherwise); admins and owners act as moderators;
 * - granting or revoking the moderator role, and any change to a moderator's role, takes an admin or owner
 *   (§9.6, §9.7, §5.1.3 role state chart: "Admin or owner grants moderator status", "be kicked by an admin or owner");
 * - voice is never taken from an admin or owner (§8.4 "MUST NOT allow the voice privileges of an admin or owner
 *   to be removed by anyone"), nor from anyone whose affiliation is at or above the moderator's (§8.4);
 * - nobody is kicked by a moderator of lower affiliation (§8.2), and an admin does not take the moderator role
 *   from an admin or owner (§9.7, §5.1.3 note);
 * - kicking oneself is refused with conflict (§8.2 allows it).
 */
export function checkRoleChange(actor: Actor, target: RoleTarget, to: Role): Verdict {
  if (!actsAsModerator(actor)) return deny("forbidden", "only moderators may change roles");
  if (target.role === to) return OK;
  if (target.self && to === "none") return deny("conflict", "you cannot kick yourself");
  if (rank(target.affiliation) >= rank("admin")) {
    // Admins' and owners' roles follow their affiliation: only someone above them changes it.
    if (to === "visitor") return deny("not-allowed", "voice cannot be revoked from an admin or owner");
    if (rank(target.affiliation) >= rank(actor.affiliation)) return deny("not-allowed", "the role of an admin or owner can only be changed by someone of higher affiliation");
    return OK;
  }
  if ((to === "moderator" || target.role === "moderator") && rank(actor.affiliation) < rank("admin")) {
    return deny("forbidden", "only admins and owners grant or revoke the moderator role");
  }
  if (to === "visitor" && rank(target.affiliation) >= rank(actor.affiliation)) {
    return deny("not-allowed", "voice cannot be revoked from someone of your affiliation or higher");
  }
  if (to === "none" && rank(target.affiliation) > rank(actor.affiliation)) {
    return deny("not-allowed", "an occupant with a higher affiliation cannot be kicked");
  }
  return OK;
}

/** Whose affiliation would change. */
export interface AffiliationTarget {
  affiliation: Affiliation;
  /** The actor's own bare JID. */
  self: boolean;
}

/**
 * §9 and §10 affiliation changes (by bare JID):
 * - only admins and owners change affiliations (§9 intro: forbidden otherwise);
 * - only owners edit the admin and owner lists (§10.3-§10.8: forbidden), and only an owner changes the
 *   affiliation of an admin or owner (§5.2.2 affiliation state chart; §9.1 "an admin attempts to ban an owner":
 *   not-allowed);
 * - nobody bans themselves (§9.1: conflict);
 * - the last owner does not give up ownership (§10.4: conflict); `ownersAfter` is how many owners the room
 *   would have once the whole request is applied.
 */
export function checkAffiliationChange(actor: Actor, target: AffiliationTarget, to: Affiliation, ownersAfter: number): Verdict {
  if (rank(actor.affiliation) < rank("admin")) return deny("forbidden", "only admins and owners may change affiliations");
  if (target.affiliation === to) return OK;
  if (target.self && to === "outcast") return deny("conflict", "you cannot ban yourself");
  if (actor.affiliation === "admin") {
    if (to === "admin" || to === "owner") return deny("forbidden", "only owners may edit the admin and owner lists");
    if (rank(target.affiliation) >= rank("admin")) return deny("not-allowed", "only an owner may change the affiliation of an admin or owner");
    return OK;
  }
  if (target.affiliation === "owner" && ownersAfter < 1) return deny("conflict", "a room must keep at least one owner");
  return OK;
}

/** What of the room's configuration decides who may read a list. */
export interface ListPolicy {
  /** muc#roomconfig_whois = anyone (non-anonymous room). */
  nonAnonymous: boolean;
  /** muc#roomconfig_getmemberlist: roles that may read the member list. */
  getMemberList: readonly Role[];
}

export type ListQuery = { role: Role } | { affiliation: Affiliation };

/**
 * Who may read a list (§8.5 voice list, §9.2 ban list, §9.5 member list, §9.8 moderator list, §10.5 owner
 * list, §10.8 admin list). The member list also goes to the roles muc#roomconfig_getmemberlist names (§7.9),
 * and in a non-anonymous room to any member (§9.5 note); in a semi-anonymous room only moderators among those
 * roles (§5.2.1 note ***: the list holds real JIDs). Owner and admin lists are owners' in semi-anonymous rooms
 * and readable by any affiliated user or occupant in non-anonymous ones (§10.5, §10.8: "MAY process").
 */
export function mayReadList(actor: Actor, list: ListQuery, room: ListPolicy): boolean {
  const admin = rank(actor.affiliation) >= rank("admin");
  if ("role" in list) {
    if (list.role === "participant" || list.role === "visitor") return actsAsModerator(actor);
    if (list.role === "moderator") return admin;
    return false;
  }
  switch (list.affiliation) {
    case "outcast":
      return admin;
    case "member":
      if (admin) return true;
      if (room.nonAnonymous && actor.affiliation === "member") return true;
      if (actor.role === "none" || !room.getMemberList.includes(actor.role)) return false;
      return room.nonAnonymous || actor.role === "moderator";
    case "admin":
    case "owner":
      if (actor.affiliation === "owner") return true;
      return room.nonAnonymous && (rank(actor.affiliation) >= rank("member") || actor.role !== "none");
    case "none":
      return false;
  }
}

/**
 * §5.1.3 note and §10.2: the role an occupant has after their affiliation changes while in the room. Gaining
 * admin or owner makes a moderator; gaining membership gives voice in a moderated room; losing admin or owner
 * falls back to the initial role of the new affiliation; other changes keep the role. null: the occupant must
 * leave (banned, or no longer a member of a members-only room).
 */
export function roleAfterAffiliation(current: Role, from: Affiliation, to: Affiliation, room: RoomPolicy): Role | null {
  const initial = initialRole(to, room);
  if (initial === null) return null;
  if (rank(to) >= rank("admin")) return "moderator";
  if (rank(from) >= rank("admin")) return initial;
  if (to === "member" && current === "visitor") return "participant";
  return current;
}
