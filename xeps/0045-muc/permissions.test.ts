/**
 * The permission table (permissions.ts), case by case: XEP-0045 §5.1.2 initial roles, §5.1.1 privileges,
 * §8/§9 role changes, §9/§10 affiliation changes, and who reads which list.
 */
import test from "ava";
import {
  checkAffiliationChange, checkRoleChange, initialRole, mayChangeSubject, mayInvite, mayReadList, maySendPrivate, maySpeak,
  roleAfterAffiliation, type Affiliation, type AllowPm, type Role,
} from "./permissions.js";

// §5.1.2 "Initial Role Based on Affiliation".
const initial: [Affiliation, boolean, boolean, Role | null][] = [
  // affiliation, moderated, members-only, role
  ["owner", false, false, "moderator"], ["owner", true, true, "moderator"],
  ["admin", false, false, "moderator"], ["admin", true, false, "moderator"],
  ["member", false, false, "participant"], ["member", true, false, "participant"], ["member", false, true, "participant"],
  ["none", false, false, "participant"], ["none", true, false, "visitor"], ["none", false, true, null], ["none", true, true, null],
  ["outcast", false, false, null], ["outcast", true, false, null],
];
for (const [aff, moderated, membersOnly, role] of initial) {
  test(`§5.1.2: ${aff} entering a ${moderated ? "moderated" : "unmoderated"} ${membersOnly ? "members-only" : "open"} room is ${role ?? "refused"}`, (t) => {
    t.is(initialRole(aff, { moderated, membersOnly }), role);
  });
}

test("§5.1.1 privileges: speaking, subject, private messages", (t) => {
  t.deepEqual((["moderator", "participant", "visitor", "none"] as Role[]).map(maySpeak), [true, true, false, false]);
  t.deepEqual((["moderator", "participant", "visitor"] as Role[]).map((r) => mayChangeSubject(r, false)), [true, false, false]);
  t.deepEqual((["moderator", "participant", "visitor"] as Role[]).map((r) => mayChangeSubject(r, true)), [true, true, false]);
  const pm: [AllowPm, boolean[]][] = [
    ["anyone", [true, true, true, false]], ["participants", [true, true, false, false]],
    ["moderators", [true, false, false, false]], ["none", [false, false, false, false]],
  ];
  for (const [allow, expected] of pm) t.deepEqual((["moderator", "participant", "visitor", "none"] as Role[]).map((r) => maySendPrivate(r, allow)), expected, allow);
});

test("§7.8.2 / §9.5 invitations: anyone in an open room; admins (or members when allowed) in a members-only room", (t) => {
  const open = { membersOnly: false, allowInvites: false };
  const closed = { membersOnly: true, allowInvites: false };
  const closedOpenInvites = { membersOnly: true, allowInvites: true };
  t.true(mayInvite("visitor", "none", open));
  t.false(mayInvite("none", "none", open), "not in the room");
  t.false(mayInvite("participant", "member", closed));
  t.true(mayInvite("moderator", "admin", closed));
  t.true(mayInvite("none", "owner", closed), "owners manage the room from outside");
  t.true(mayInvite("participant", "member", closedOpenInvites));
});

// §8, §9.6, §9.7 role changes: actor (affiliation, role), target (affiliation, role), new role, verdict.
const roleCases: [string, [Affiliation, Role], [Affiliation, Role], Role, "ok" | "forbidden" | "not-allowed" | "conflict"][] = [
  ["a participant cannot kick", ["none", "participant"], ["none", "participant"], "none", "forbidden"],
  ["a moderator kicks a participant", ["none", "moderator"], ["none", "participant"], "none", "ok"],
  ["a moderator kicks a visitor", ["none", "moderator"], ["none", "visitor"], "none", "ok"],
  ["§8.2 a moderator who is a member cannot kick an admin", ["member", "moderator"], ["admin", "moderator"], "none", "not-allowed"],
  ["§8.2 an unaffiliated moderator cannot kick a member", ["none", "moderator"], ["member", "participant"], "none", "not-allowed"],
  ["§8.2 an admin cannot kick an owner", ["admin", "moderator"], ["owner", "moderator"], "none", "not-allowed"],
  ["an admin cannot kick another admin", ["admin", "moderator"], ["admin", "moderator"], "none", "not-allowed"],
  ["an owner kicks an admin", ["owner", "moderator"], ["admin", "moderator"], "none", "ok"],
  ["an owner kicks a member", ["owner", "moderator"], ["member", "participant"], "none", "ok"],
  ["an admin kicks a mere moderator", ["admin", "moderator"], ["none", "moderator"], "none", "ok"],
  ["§5.1.3 a mere moderator cannot kick another moderator", ["none", "moderator"], ["none", "moderator"], "none", "forbidden"],
  ["§8.3 a moderator grants voice", ["none", "moderator"], ["none", "visitor"], "participant", "ok"],
  ["§8.4 an admin revokes a participant's voice", ["admin", "moderator"], ["member", "participant"], "visitor", "ok"],
  ["§8.4 a member moderator revokes an unaffiliated participant's voice", ["member", "moderator"], ["none", "participant"], "visitor", "ok"],
  ["§8.4 not from someone of the same affiliation", ["none", "moderator"], ["none", "participant"], "visitor", "not-allowed"],
  ["§8.4 not from a member by an unaffiliated moderator", ["none", "moderator"], ["member", "participant"], "visitor", "not-allowed"],
  ["§8.4 never from an admin", ["owner", "moderator"], ["admin", "moderator"], "visitor", "not-allowed"],
  ["§8.4 never from an owner", ["owner", "moderator"], ["owner", "moderator"], "visitor", "not-allowed"],
  ["§9.6 an admin grants moderator", ["admin", "moderator"], ["none", "participant"], "moderator", "ok"],
  ["§9.6 a mere moderator cannot grant moderator", ["none", "moderator"], ["none", "participant"], "moderator", "forbidden"],
  ["§9.7 an admin revokes a mere moderator", ["admin", "moderator"], ["member", "moderator"], "participant", "ok"],
  ["§9.7 an admin cannot revoke an admin's moderator role", ["admin", "moderator"], ["admin", "moderator"], "participant", "not-allowed"],
  ["§9.7 an admin cannot revoke an owner's moderator role", ["admin", "moderator"], ["owner", "moderator"], "participant", "not-allowed"],
  ["an owner revokes an admin's moderator role", ["owner", "moderator"], ["admin", "moderator"], "participant", "ok"],
  ["an admin out of the room still manages roles", ["admin", "none"], ["none", "participant"], "none", "ok"],
  ["a member out of the room does not", ["member", "none"], ["none", "participant"], "none", "forbidden"],
  ["no change is no problem", ["none", "moderator"], ["none", "participant"], "participant", "ok"],
];
for (const [name, [aa, ar], [ta, tr], to, verdict] of roleCases) {
  test(`role: ${name}`, (t) => {
    const v = checkRoleChange({ affiliation: aa, role: ar }, { affiliation: ta, role: tr, self: false }, to);
    t.is(v.ok ? "ok" : v.condition, verdict);
  });
}

test("§8.2 kicking oneself is refused with conflict", (t) => {
  const v = checkRoleChange({ affiliation: "owner", role: "moderator" }, { affiliation: "owner", role: "moderator", self: true }, "none");
  t.deepEqual(v.ok ? "ok" : v.condition, "conflict");
});

// §9, §10 affiliation changes: actor affiliation, target affiliation, self, new affiliation, owners after, verdict.
const affCases: [string, Affiliation, Affiliation, boolean, Affiliation, number, "ok" | "forbidden" | "not-allowed" | "conflict"][] = [
  ["a member cannot ban", "member", "none", false, "outcast", 1, "forbidden"],
  ["an unaffiliated moderator cannot ban", "none", "none", false, "outcast", 1, "forbidden"],
  ["§9.1 an admin bans a user", "admin", "none", false, "outcast", 1, "ok"],
  ["§9.1 an admin bans a member", "admin", "member", false, "outcast", 1, "ok"],
  ["§9.1 an admin cannot ban an owner", "admin", "owner", false, "outcast", 1, "not-allowed"],
  ["an admin cannot ban an admin", "admin", "admin", false, "outcast", 1, "not-allowed"],
  ["§9.1 nobody bans themselves", "admin", "admin", true, "outcast", 1, "conflict"],
  ["§9.1 not even an owner", "owner", "owner", true, "outcast", 2, "conflict"],
  ["§9.3 an admin grants membership", "admin", "none", false, "member", 1, "ok"],
  ["§9.4 an admin revokes membership", "admin", "member", false, "none", 1, "ok"],
  ["an admin lifts a ban", "admin", "outcast", false, "none", 1, "ok"],
  ["§10.6 an admin cannot make admins", "admin", "member", false, "admin", 1, "forbidden"],
  ["§10.3 an admin cannot make owners", "admin", "none", false, "owner", 1, "forbidden"],
  ["§10.6 an owner makes admins", "owner", "member", false, "admin", 1, "ok"],
  ["§10.3 an owner makes owners", "owner", "none", false, "owner", 2, "ok"],
  ["§10.4 an owner revokes another owner", "owner", "owner", false, "admin", 1, "ok"],
  ["§10.4 the last owner cannot step down", "owner", "owner", true, "admin", 0, "conflict"],
  ["§10.4 an owner steps down when others remain", "owner", "owner", true, "member", 1, "ok"],
  ["an owner bans an admin", "owner", "admin", false, "outcast", 1, "ok"],
];
for (const [name, actor, target, self, to, ownersAfter, verdict] of affCases) {
  test(`affiliation: ${name}`, (t) => {
    const v = checkAffiliationChange({ affiliation: actor, role: "none" }, { affiliation: target, self }, to, ownersAfter);
    t.is(v.ok ? "ok" : v.condition, verdict);
  });
}

test("lists: who may read which (§8.5, §9.2, §9.5, §9.8, §10.5, §10.8)", (t) => {
  const semi = { nonAnonymous: false, getMemberList: ["moderator", "participant", "visitor"] as Role[] };
  const non = { ...semi, nonAnonymous: true };
  const read = (aff: Affiliation, role: Role, list: Parameters<typeof mayReadList>[1], room = semi) => mayReadList({ affiliation: aff, role }, list, room);
  t.true(read("none", "moderator", { role: "participant" }), "voice list: moderators");
  t.false(read("none", "participant", { role: "participant" }));
  t.false(read("none", "moderator", { role: "moderator" }), "moderator list: admins");
  t.true(read("admin", "none", { role: "moderator" }));
  t.true(read("admin", "none", { affiliation: "outcast" }));
  t.false(read("member", "participant", { affiliation: "outcast" }));
  t.false(read("member", "participant", { affiliation: "member" }), "semi-anonymous: members do not read the member list");
  t.true(read("none", "moderator", { affiliation: "member" }));
  t.true(read("member", "participant", { affiliation: "member" }, non));
  t.true(read("member", "none", { affiliation: "member" }, non), "non-anonymous: any member, even outside");
  t.false(read("none", "visitor", { affiliation: "member" }, { ...non, getMemberList: ["moderator"] }));
  t.false(read("admin", "moderator", { affiliation: "owner" }), "semi-anonymous: owner list for owners");
  t.true(read("owner", "none", { affiliation: "owner" }));
  t.true(read("none", "participant", { affiliation: "admin" }, non));
});

test("§5.1.3 / §10.2 role after an affiliation change", (t) => {
  const open = { moderated: false, membersOnly: false };
  const moderated = { moderated: true, membersOnly: false };
  const membersOnly = { moderated: false, membersOnly: true };
  t.is(roleAfterAffiliation("participant", "none", "admin", open), "moderator");
  t.is(roleAfterAffiliation("visitor", "none", "member", moderated), "participant");
  t.is(roleAfterAffiliation("moderator", "admin", "member", open), "participant");
  t.is(roleAfterAffiliation("moderator", "owner", "admin", open), "moderator");
  t.is(roleAfterAffiliation("participant", "member", "none", moderated), "participant", "losing membership keeps voice");
  t.is(roleAfterAffiliation("participant", "member", "none", membersOnly), null, "§9.4: removed from a members-only room");
  t.is(roleAfterAffiliation("participant", "none", "outcast", open), null);
  t.is(roleAfterAffiliation("moderator", "none", "member", open), "moderator", "a granted moderator role stays");
});
