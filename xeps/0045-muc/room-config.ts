/**
 * Room configuration (XEP-0045 §10.1.3, §10.2) as a typed value, the muc#roomconfig form (§15.5.3 field
 * registry) that shows it, and the parsing and validation of a submitted form: fields left out keep their
 * value; a field that is not what its type says is bad-request, a value the service does not accept is
 * not-acceptable (§10.1.3 "the specified room configuration options violate one or more service policies").
 */
import { z } from "zod";
import { parseJid } from "../../src/jid.js";
import { buildForm, parseBoolean, type FieldDef, type SubmittedForm } from "../0004-data-forms/form.js";
import { NS_ROOMCONFIG } from "./ns.js";
import { ALLOW_PM, type AllowPm, type Role } from "./permissions.js";
import type { Element } from "ltx";

export type Whois = "moderators" | "anyone";
const WHOIS: readonly Whois[] = ["moderators", "anyone"];
const BROADCAST_ROLES: readonly Role[] = ["moderator", "participant", "visitor"];

const roleList = z.array(z.enum(["moderator", "participant", "visitor"]));

/** Every option a room has, with the service's defaults (the module's `defaults` option overrides them). */
export const roomConfigSchema = z.strictObject({
  /** muc#roomconfig_roomname: a natural-language name; the room's localpart is shown when empty. */
  name: z.string().default(""),
  description: z.string().default(""),
  lang: z.string().default(""),
  /** Kept when the last occupant leaves, and across restarts. */
  persistent: z.boolean().default(false),
  /** Listed in the service's disco#items (§6.3); hidden otherwise. */
  public: z.boolean().default(true),
  membersOnly: z.boolean().default(false),
  moderated: z.boolean().default(false),
  passwordProtected: z.boolean().default(false),
  password: z.string().default(""),
  /** Who sees occupants' real JIDs: moderators (semi-anonymous) or anyone (non-anonymous). */
  whois: z.enum(["moderators", "anyone"]).default("moderators"),
  /** Most occupants; null: the service's limit only. */
  maxUsers: z.number().int().positive().nullable().default(null),
  /** Participants may change the subject (moderators always may). */
  changeSubject: z.boolean().default(false),
  allowPm: z.enum(["anyone", "participants", "moderators", "none"]).default("anyone"),
  /** Members may invite others into a members-only room (and so add them to the member list, §9.5). */
  allowInvites: z.boolean().default(false),
  /** Messages are kept in the room's archive, which XEP-0313 queries read (muc#roomconfig_enablelogging). */
  logging: z.boolean().default(false),
  /** Messages of discussion history sent on entering, at most (muc#maxhistoryfetch). */
  historyLength: z.number().int().min(0).default(20),
  /** Roles whose presence is broadcast to the room (muc#roomconfig_presencebroadcast). */
  presenceBroadcast: roleList.default(["moderator", "participant", "visitor"]),
  /** Roles that may read the member list (muc#roomconfig_getmemberlist). */
  getMemberList: roleList.default(["moderator", "participant", "visitor"]),
});

export type RoomConfig = z.infer<typeof roomConfigSchema>;

/** What the service allows whatever a room asks. */
export interface ConfigLimits {
  /** Most occupants a room may have. */
  maxOccupants: number;
  /** Most history messages a room may keep and send. */
  maxHistory: number;
  /** Longest room name and description, in characters. */
  maxNameLength: number;
  maxDescriptionLength: number;
}

const F = {
  name: "muc#roomconfig_roomname",
  description: "muc#roomconfig_roomdesc",
  lang: "muc#roomconfig_lang",
  persistent: "muc#roomconfig_persistentroom",
  public: "muc#roomconfig_publicroom",
  membersOnly: "muc#roomconfig_membersonly",
  allowInvites: "muc#roomconfig_allowinvites",
  moderated: "muc#roomconfig_moderatedroom",
  passwordProtected: "muc#roomconfig_passwordprotectedroom",
  password: "muc#roomconfig_roomsecret",
  whois: "muc#roomconfig_whois",
  maxUsers: "muc#roomconfig_maxusers",
  changeSubject: "muc#roomconfig_changesubject",
  allowPm: "muc#roomconfig_allowpm",
  logging: "muc#roomconfig_enablelogging",
  historyLength: "muc#maxhistoryfetch",
  presenceBroadcast: "muc#roomconfig_presencebroadcast",
  getMemberList: "muc#roomconfig_getmemberlist",
  admins: "muc#roomconfig_roomadmins",
  owners: "muc#roomconfig_roomowners",
} as const;

export const CONFIG_FIELDS = F;

const BOOLEANS = ["persistent", "public", "membersOnly", "allowInvites", "moderated", "passwordProtected", "changeSubject", "logging"] as const;

const MAX_USERS_CHOICES = [10, 20, 30, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

const bool = (b: boolean) => (b ? "1" : "0");
const roleOptions = BROADCAST_ROLES.map((r) => ({ value: r, label: r[0]!.toUpperCase() + r.slice(1) }));

/** The muc#roomconfig form (§10.1.3, §10.2), with the room's current values; owners and admins are full lists. */
export function configForm(config: RoomConfig, room: string, owners: readonly string[], admins: readonly string[], limits: ConfigLimits): Element {
  const maxChoices = MAX_USERS_CHOICES.filter((n) => n <= limits.maxOccupants);
  if (config.maxUsers !== null && !maxChoices.includes(config.maxUsers)) maxChoices.push(config.maxUsers);
  maxChoices.sort((a, b) => a - b);
  const fields: FieldDef[] = [
    { var: F.name, type: "text-single", label: "Room name", values: [config.name] },
    { var: F.description, type: "text-single", label: "Room description", values: [config.description] },
    { var: F.lang, type: "text-single", label: "Natural language of the discussions", values: [config.lang] },
    { var: F.persistent, type: "boolean", label: "Keep the room when the last occupant leaves", values: [bool(config.persistent)] },
    { var: F.public, type: "boolean", label: "List the room publicly", values: [bool(config.public)] },
    { var: F.membersOnly, type: "boolean", label: "Only members may enter", values: [bool(config.membersOnly)] },
    { var: F.allowInvites, type: "boolean", label: "Members may invite others (and so make them members)", values: [bool(config.allowInvites)] },
    { var: F.moderated, type: "boolean", label: "Moderated: only occupants with voice may speak", values: [bool(config.moderated)] },
    { var: F.passwordProtected, type: "boolean", label: "A password is required to enter", values: [bool(config.passwordProtected)] },
    { var: F.password, type: "text-private", label: "Password", values: [config.password] },
    {
      var: F.whois, type: "list-single", label: "Who may see occupants' real addresses", values: [config.whois],
      options: [{ value: "moderators", label: "Moderators only" }, { value: "anyone", label: "Anyone" }],
    },
    {
      var: F.maxUsers, type: "list-single", label: "Most occupants", values: [config.maxUsers === null ? "none" : String(config.maxUsers)],
      options: [...maxChoices.map((n) => ({ value: String(n), label: String(n) })), { value: "none", label: `No room limit (at most ${limits.maxOccupants})` }],
    },
    { var: F.changeSubject, type: "boolean", label: "Participants may change the subject", values: [bool(config.changeSubject)] },
    {
      var: F.allowPm, type: "list-single", label: "Who may send private messages", values: [config.allowPm],
      options: [
        { value: "anyone", label: "Anyone" }, { value: "participants", label: "Anyone with voice" },
        { value: "moderators", label: "Moderators only" }, { value: "none", label: "Nobody" },
      ],
    },
    { var: F.logging, type: "boolean", label: "Archive the discussion (message archive queries, XEP-0313)", values: [bool(config.logging)] },
    { var: F.historyLength, type: "text-single", label: `Messages of history sent on entering (at most ${limits.maxHistory})`, values: [String(config.historyLength)] },
    { var: F.presenceBroadcast, type: "list-multi", label: "Roles whose presence is broadcast", values: config.presenceBroadcast, options: roleOptions },
    { var: F.getMemberList, type: "list-multi", label: "Roles that may read the member list", values: config.getMemberList, options: roleOptions },
    { var: F.admins, type: "jid-multi", label: "Room admins (the full list)", values: admins },
    { var: F.owners, type: "jid-multi", label: "Room owners (the full list)", values: owners },
  ];
  return buildForm("form", NS_ROOMCONFIG, fields, { title: `Configuration of ${room}` });
}

export type ConfigSubmit =
  | { ok: true; config: RoomConfig; owners?: string[]; admins?: string[] }
  | { ok: false; condition: "bad-request" | "not-acceptable"; text: string };

const bad = (text: string): ConfigSubmit => ({ ok: false, condition: "bad-request", text });
const unacceptable = (text: string): ConfigSubmit => ({ ok: false, condition: "not-acceptable", text });

/**
 * A submitted muc#roomconfig form applied to `current`. An empty submit (the instant room of §10.1.2) keeps
 * everything. The owner and admin lists, when given, are full lists of bare JIDs (§10.5 note).
 */
export function parseConfigSubmit(form: SubmittedForm, current: RoomConfig, limits: ConfigLimits): ConfigSubmit {
  if (form.type !== "submit") return bad(`a configuration form is submitted with type "submit", not "${form.type}"`);
  if (form.formType !== undefined && form.formType !== NS_ROOMCONFIG) return bad(`FORM_TYPE must be ${NS_ROOMCONFIG}`);
  if (form.duplicate !== undefined) return bad(`the field ${form.duplicate} is given twice`);
  const next: RoomConfig = { ...current, presenceBroadcast: [...current.presenceBroadcast], getMemberList: [...current.getMemberList] };
  const fields = form.fields;
  const single = (v: string): { ok: true; value: string | undefined } | { ok: false; error: ConfigSubmit } => {
    const values = fields.get(v);
    if (values === undefined) return { ok: true, value: undefined };
    if (values.length > 1) return { ok: false, error: bad(`${v} takes one value`) };
    return { ok: true, value: values[0] ?? "" };
  };

  for (const key of BOOLEANS) {
    const r = single(F[key]);
    if (!r.ok) return r.error;
    if (r.value === undefined) continue;
    const b = parseBoolean(r.value);
    if (b === undefined) return bad(`${F[key]} is a boolean ("0", "1", "false" or "true")`);
    next[key] = b;
  }

  for (const [key, max] of [["name", limits.maxNameLength], ["description", limits.maxDescriptionLength], ["lang", 35]] as const) {
    const r = single(F[key]);
    if (!r.ok) return r.error;
    if (r.value === undefined) continue;
    const text = r.value.trim();
    if ([...text].length > max) return unacceptable(`${F[key]} may have at most ${max} characters`);
    next[key] = text;
  }

  const secret = single(F.password);
  if (!secret.ok) return secret.error;
  if (secret.value !== undefined) next.password = secret.value;

  const whois = single(F.whois);
  if (!whois.ok) return whois.error;
  if (whois.value !== undefined) {
    if (!WHOIS.includes(whois.value as Whois)) return unacceptable(`${F.whois} is "moderators" or "anyone"`);
    next.whois = whois.value as Whois;
  }

  const allowPm = single(F.allowPm);
  if (!allowPm.ok) return allowPm.error;
  if (allowPm.value !== undefined) {
    if (!ALLOW_PM.includes(allowPm.value as AllowPm)) return unacceptable(`${F.allowPm} is one of ${ALLOW_PM.join(", ")}`);
    next.allowPm = allowPm.value as AllowPm;
  }

  const maxUsers = single(F.maxUsers);
  if (!maxUsers.ok) return maxUsers.error;
  if (maxUsers.value !== undefined) {
    const v = maxUsers.value.trim();
    if (v === "none" || v === "0" || v === "") {
      next.maxUsers = null;
    } else {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) return bad(`${F.maxUsers} is a positive number or "none"`);
      if (n > limits.maxOccupants) return unacceptable(`this service allows at most ${limits.maxOccupants} occupants per room`);
      next.maxUsers = n;
    }
  }

  const history = single(F.historyLength);
  if (!history.ok) return history.error;
  if (history.value !== undefined) {
    const n = Number(history.value.trim());
    if (history.value.trim() === "" || !Number.isInteger(n) || n < 0) return bad(`${F.historyLength} is a number of messages`);
    if (n > limits.maxHistory) return unacceptable(`this service sends at most ${limits.maxHistory} messages of history`);
    next.historyLength = n;
  }

  for (const key of ["presenceBroadcast", "getMemberList"] as const) {
    const values = fields.get(F[key]);
    if (values === undefined) continue;
    const roles = [...new Set(values.map((v) => v.trim()).filter((v) => v !== ""))];
    const wrong = roles.find((r) => !BROADCAST_ROLES.includes(r as Role));
    if (wrong !== undefined) return unacceptable(`${F[key]}: "${wrong}" is not a role (moderator, participant, visitor)`);
    next[key] = roles as RoomConfig[typeof key];
  }

  // §10.1.3 example: a password-protected room with a blank password violates the service's policy.
  if (next.passwordProtected && next.password === "") return unacceptable("a password-protected room needs a password");
  if (!next.passwordProtected) next.password = "";

  const out: { ok: true; config: RoomConfig; owners?: string[]; admins?: string[] } = { ok: true, config: next };
  for (const key of ["owners", "admins"] as const) {
    const values = fields.get(F[key]);
    if (values === undefined) continue;
    const jids = new Set<string>();
    for (const v of values) {
      if (v.trim() === "") continue;
      const p = parseJid(v.trim());
      if (!p.ok) return bad(`${F[key]}: "${v}" is not a JID (${p.error})`);
      jids.add(p.jid.bare);
    }
    out[key] = [...jids];
  }
  if (out.owners !== undefined && out.owners.length === 0) return unacceptable("a room must keep at least one owner");
  return out;
}

/** muc#roominfo / disco feature vars for a configuration (§6.4, §15.4 registered features). */
export function roomFeatures(config: RoomConfig): string[] {
  return [
    config.public ? "muc_public" : "muc_hidden",
    config.persistent ? "muc_persistent" : "muc_temporary",
    config.membersOnly ? "muc_membersonly" : "muc_open",
    config.moderated ? "muc_moderated" : "muc_unmoderated",
    config.whois === "anyone" ? "muc_nonanonymous" : "muc_semianonymous",
    config.passwordProtected ? "muc_passwordprotected" : "muc_unsecured",
  ];
}
