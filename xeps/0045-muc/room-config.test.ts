/** The muc#roomconfig form: what it shows, and how submissions are parsed and validated (room-config.ts). */
import test from "ava";
import { xml } from "@xmpp/xml";
import { readForm } from "../0004-data-forms/form.js";
import { NS_DATA, NS_ROOMCONFIG } from "./ns.js";
import { CONFIG_FIELDS as F, configForm, parseConfigSubmit, roomConfigSchema, roomFeatures, type ConfigLimits } from "./room-config.js";

const limits: ConfigLimits = { maxOccupants: 200, maxHistory: 50, maxNameLength: 20, maxDescriptionLength: 100 };
const defaults = roomConfigSchema.parse({});

function submit(fields: Record<string, string[]>, type = "submit", formType: string | null = NS_ROOMCONFIG) {
  return readForm(xml("x", { xmlns: NS_DATA, type },
    formType === null ? null : xml("field", { var: "FORM_TYPE" }, xml("value", null, formType)),
    Object.entries(fields).map(([v, values]) => xml("field", { var: v }, values.map((x) => xml("value", null, x))))));
}

test("the form shows every option with the room's values, owners and admins as full lists", (t) => {
  const form = configForm({ ...defaults, name: "Lobby", maxUsers: 50, whois: "anyone" }, "lobby@muc", ["o@x"], ["a@x", "b@x"], limits);
  const fields = new Map(form.getChildren("field").map((f) => [f.attrs.var as string, f]));
  t.is(form.attrs.type, "form");
  t.is(fields.get("FORM_TYPE")!.getChildText("value"), NS_ROOMCONFIG);
  for (const v of Object.values(F)) t.true(fields.has(v), v);
  t.is(fields.get(F.name)!.getChildText("value"), "Lobby");
  t.is(fields.get(F.whois)!.getChildText("value"), "anyone");
  t.is(fields.get(F.maxUsers)!.getChildText("value"), "50");
  t.false(fields.get(F.maxUsers)!.getChildren("option").some((o) => o.getChildText("value") === "500"), "no choice above the service's limit");
  t.deepEqual(fields.get(F.admins)!.getChildren("value").map((v) => v.getText()), ["a@x", "b@x"]);
  t.is(fields.get(F.owners)!.attrs.type, "jid-multi");
});

test("an empty submit (instant room) keeps everything", (t) => {
  const r = parseConfigSubmit(submit({}, "submit", null), defaults, limits);
  t.true(r.ok);
  if (r.ok) {
    t.deepEqual(r.config, defaults);
    t.is(r.owners, undefined);
  }
});

test("submitted values are applied; fields left out keep theirs", (t) => {
  const r = parseConfigSubmit(submit({
    [F.name]: ["  Team  "], [F.persistent]: ["1"], [F.public]: ["false"], [F.membersOnly]: ["true"], [F.moderated]: ["0"],
    [F.passwordProtected]: ["1"], [F.password]: ["secret"], [F.whois]: ["anyone"], [F.maxUsers]: ["100"],
    [F.allowPm]: ["moderators"], [F.logging]: ["1"], [F.historyLength]: ["10"], [F.presenceBroadcast]: ["moderator", "participant"],
    [F.owners]: ["Owner@Example.org/phone", "owner@example.org", "two@example.org"], [F.admins]: [],
  }), { ...defaults, description: "kept" }, limits);
  t.true(r.ok);
  if (!r.ok) return;
  t.like(r.config, {
    name: "Team", description: "kept", persistent: true, public: false, membersOnly: true, moderated: false, passwordProtected: true,
    password: "secret", whois: "anyone", maxUsers: 100, allowPm: "moderators", logging: true, historyLength: 10,
  });
  t.deepEqual(r.config.presenceBroadcast, ["moderator", "participant"]);
  t.deepEqual(r.owners, ["owner@example.org", "two@example.org"], "bare JIDs, once each");
  t.deepEqual(r.admins, []);
});

test("maxusers 'none' is the service's limit; turning the password off clears it", (t) => {
  const r = parseConfigSubmit(submit({ [F.maxUsers]: ["none"], [F.passwordProtected]: ["0"] }), { ...defaults, maxUsers: 20, passwordProtected: true, password: "x" }, limits);
  t.true(r.ok && r.config.maxUsers === null && r.config.password === "");
});

const malformed: [string, Record<string, string[]>, "bad-request" | "not-acceptable", string?][] = [
  ["a boolean that is not one", { [F.persistent]: ["yes"] }, "bad-request"],
  ["two values in a single field", { [F.name]: ["a", "b"] }, "bad-request"],
  ["maxusers that is not a number", { [F.maxUsers]: ["many"] }, "bad-request"],
  ["history that is not a number", { [F.historyLength]: ["-1"] }, "bad-request"],
  ["an owner that is not a JID", { [F.owners]: ["@@@"] }, "bad-request"],
  ["maxusers above the service's limit", { [F.maxUsers]: ["1000"] }, "not-acceptable"],
  ["history above the service's limit", { [F.historyLength]: ["51"] }, "not-acceptable"],
  ["an unknown whois", { [F.whois]: ["everybody"] }, "not-acceptable"],
  ["an unknown allowpm", { [F.allowPm]: ["friends"] }, "not-acceptable"],
  ["an unknown role to broadcast", { [F.presenceBroadcast]: ["moderator", "king"] }, "not-acceptable"],
  ["a name too long", { [F.name]: ["x".repeat(21)] }, "not-acceptable"],
  ["§10.1.3: a password-protected room without a password", { [F.passwordProtected]: ["1"] }, "not-acceptable"],
  ["no owner left", { [F.owners]: [""] }, "not-acceptable"],
];
for (const [name, fields, condition] of malformed) {
  test(`refused: ${name} (${condition})`, (t) => {
    const r = parseConfigSubmit(submit(fields), defaults, limits);
    t.false(r.ok);
    if (!r.ok) t.is(r.condition, condition);
  });
}

test("refused: a form of another type, another FORM_TYPE, or a field given twice", (t) => {
  t.like(parseConfigSubmit(submit({}, "form"), defaults, limits), { ok: false, condition: "bad-request" });
  t.like(parseConfigSubmit(submit({}, "submit", "urn:other"), defaults, limits), { ok: false, condition: "bad-request" });
  const twice = readForm(xml("x", { xmlns: NS_DATA, type: "submit" }, xml("field", { var: F.name }, xml("value", null, "a")), xml("field", { var: F.name }, xml("value", null, "b"))));
  t.like(parseConfigSubmit(twice, defaults, limits), { ok: false, condition: "bad-request" });
});

test("§6.4 the features a configuration shows", (t) => {
  t.deepEqual(roomFeatures(defaults), ["muc_public", "muc_temporary", "muc_open", "muc_unmoderated", "muc_semianonymous", "muc_unsecured"]);
  t.deepEqual(roomFeatures({ ...defaults, public: false, persistent: true, membersOnly: true, moderated: true, whois: "anyone", passwordProtected: true, password: "p" }),
    ["muc_hidden", "muc_persistent", "muc_membersonly", "muc_moderated", "muc_nonanonymous", "muc_passwordprotected"]);
});
