import test from "ava";
import { accessDecision, mayPublish, type Relation } from "./access.js";
import { BASE_CONFIG, type AccessModel } from "./config.js";

const node = (access_model: AccessModel, roster_groups_allowed: string[] = []) => ({ access_model, roster_groups_allowed });
const stranger: Relation = { affiliation: "none", presenceSubscribed: false, groups: [] };
const contact: Relation = { affiliation: "none", presenceSubscribed: true, groups: ["Friends"] };

test("open: anyone but outcasts (§4.5)", (t) => {
  t.deepEqual(accessDecision(node("open"), stranger), { ok: true });
  t.deepEqual(accessDecision(node("open"), { ...stranger, affiliation: "outcast" }), { ok: false, reason: "outcast" });
});

test("presence: subscribers to the owner's presence (§4.5, §6.5.9.6)", (t) => {
  t.deepEqual(accessDecision(node("presence"), contact), { ok: true });
  t.deepEqual(accessDecision(node("presence"), stranger), { ok: false, reason: "presence-subscription-required" });
});

test("roster: subscribers in an allowed group (§6.5.1)", (t) => {
  t.deepEqual(accessDecision(node("roster", ["Friends"]), contact), { ok: true });
  t.deepEqual(accessDecision(node("roster", ["Family"]), contact), { ok: false, reason: "not-in-roster-group" });
  t.deepEqual(accessDecision(node("roster", ["Friends"]), { ...contact, presenceSubscribed: false }), { ok: false, reason: "presence-subscription-required" });
});

test("whitelist: owners and members only, whatever the presence subscription (§4.5, XEP-0223)", (t) => {
  t.deepEqual(accessDecision(node("whitelist"), contact), { ok: false, reason: "closed-node" });
  t.deepEqual(accessDecision(node("whitelist"), { ...stranger, affiliation: "member" }), { ok: true });
  t.deepEqual(accessDecision(node("whitelist"), { ...stranger, affiliation: "owner" }), { ok: true });
});

test("publishing: owners and publishers; others as pubsub#publish_model says (§4.1)", (t) => {
  t.true(mayPublish(BASE_CONFIG, { ...stranger, affiliation: "owner" }));
  t.true(mayPublish(BASE_CONFIG, { ...stranger, affiliation: "publisher" }));
  t.false(mayPublish(BASE_CONFIG, contact));
  t.true(mayPublish({ ...BASE_CONFIG, publish_model: "open" }, stranger));
  t.false(mayPublish({ ...BASE_CONFIG, publish_model: "open" }, { ...stranger, affiliation: "outcast" }));
  t.true(mayPublish({ ...BASE_CONFIG, publish_model: "subscribers", access_model: "presence" }, contact));
  t.false(mayPublish({ ...BASE_CONFIG, publish_model: "subscribers", access_model: "presence" }, stranger));
});
