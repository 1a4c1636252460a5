/**
 * The muc#owner protocol (XEP-0045 §10): the configuration form of a new room (instant §10.1.2 or reserved
 * §10.1.3, which unlocks it; a cancel destroys it) and of an existing one (§10.2, with the §10.2.1
 * notification of the change), and destroying a room (§10.9). Owners only (§10.2: forbidden otherwise).
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { randomBytes } from "node:crypto";
import type { StanzaEvent } from "../../src/hooks.js";
import { parseJid } from "../../src/jid.js";
import type { IqResult } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { actorOf, applyAffiliations, checkAffiliations, type AffiliationChange } from "./admin.js";
import type { ServiceContext } from "./context.js";
import { Outgoing, stanza } from "./fanout.js";
import { readForm } from "../0004-data-forms/form.js";
import { NS_DATA, NS_MUC_OWNER, NS_MUC_USER } from "./ns.js";
import { destroyRoom, removeOccupant } from "./presence.js";
import type { Room } from "./room.js";
import { configForm, parseConfigSubmit } from "./room-config.js";
import { configChangeCodes } from "./status-codes.js";

const notOwner = () => new StanzaError("forbidden", "only owners may configure or destroy the room");

export function getConfig(ctx: ServiceContext, room: Room, event: StanzaEvent): IqResult {
  if (room.affiliationOf(event.from.bare) !== "owner") return notOwner();
  return xml("query", { xmlns: NS_MUC_OWNER },
    configForm(room.config, room.jid, room.withAffiliation("owner"), room.withAffiliation("admin"), ctx.limits));
}

export async function setOwner(ctx: ServiceContext, room: Room, event: StanzaEvent, query: Element): Promise<IqResult> {
  if (room.affiliationOf(event.from.bare) !== "owner") return notOwner();
  const destroy = query.getChild("destroy");
  if (destroy) {
    const alternate = destroy.attrs.jid !== undefined ? parseJid(destroy.attrs.jid) : undefined;
    if (alternate && !alternate.ok) return new StanzaError("jid-malformed", "the alternate venue is not a JID");
    destroyRoom(ctx, room, {
      jid: alternate?.ok ? alternate.jid.full : undefined,
      reason: destroy.getChildText("reason") ?? undefined,
      password: destroy.getChildText("password") ?? undefined,
    });
    return null;
  }
  const x = query.getChild("x", NS_DATA);
  if (!x) return new StanzaError("bad-request", "send a muc#roomconfig form, a cancel, or a <destroy/>");
  const form = readForm(x);
  if (form.type === "cancel") {
    // §10.1.3: cancelling the initial configuration destroys the room; §10.2: later, it changes nothing.
    if (room.locked) destroyRoom(ctx, room, { reason: "the owner cancelled the room's creation" });
    return null;
  }
  const parsed = parseConfigSubmit(form, room.config, ctx.limits);
  if (!parsed.ok) return new StanzaError(parsed.condition, parsed.text);

  // muc#roomconfig_roomowners / _roomadmins are full lists (§10.5 note): the differences are affiliation changes.
  const changes: AffiliationChange[] = [];
  const listed = (list: string[] | undefined, a: "owner" | "admin") => {
    if (!list) return;
    const current = room.withAffiliation(a);
    for (const jid of list) if (!current.includes(jid)) changes.push({ jid, affiliation: a });
    for (const jid of current) {
      if (list.includes(jid) || changes.some((c) => c.jid === jid)) continue;
      changes.push({ jid, affiliation: "none" });
    }
  };
  listed(parsed.owners, "owner");
  listed(parsed.admins, "admin");
  // A JID moved from one list to the other: the granting entry wins over the removal.
  const merged = dedupe(changes);
  const problem = checkAffiliations(room, actorOf(room, event), event.from.bare, merged);
  if (problem) return problem.condition === "conflict" ? new StanzaError("not-acceptable", problem.text ?? "a room must keep an owner") : problem;

  const before = room.config;
  const wasLocked = room.locked;
  room.config = parsed.config;
  room.locked = false;
  if (room.lockTimer) { clearTimeout(room.lockTimer); room.lockTimer = null; }
  if (merged.length > 0) applyAffiliations(ctx, room, merged, room.bySession.get(event.from.full)?.nick);

  // §10.2: a room that becomes members-only removes its non-members (322).
  if (room.config.membersOnly && !before.membersOnly) {
    for (const occ of [...room.occupants.values()]) {
      if (room.affiliationOf(occ.bare) === "none") removeOccupant(ctx, room, occ, "removed-members-only", {});
    }
  }
  // §10.2.1: what changed, told to everyone in the room (not for the initial configuration).
  const codes = wasLocked ? [] : configChangeCodes(before, room.config);
  if (codes.length > 0) {
    const m = stanza("message", { from: room.jid, type: "groupchat", id: randomBytes(9).toString("base64url") });
    m.cnode(xml("x", { xmlns: NS_MUC_USER }, codes.map((c) => xml("status", { code: String(c) }))));
    const out = new Outgoing(m);
    for (const s of room.recipients()) out.deliver(s, ctx.route);
  }
  if (!room.config.persistent && before.persistent) {
    // No longer persistent: its record goes; an empty room goes with it.
    await ctx.unsave(room);
    if (room.occupants.size === 0) ctx.dropRoom(room, true);
    return null;
  }
  if (!room.config.persistent && room.occupants.size === 0) {
    ctx.dropRoom(room, true);
    return null;
  }
  await ctx.save(room);
  return null;
}

function dedupe(changes: AffiliationChange[]): AffiliationChange[] {
  const byJid = new Map<string, AffiliationChange>();
  for (const c of changes) {
    const prev = byJid.get(c.jid);
    if (!prev || prev.affiliation === "none") byJid.set(c.jid, c);
  }
  return [...byJid.values()];
}
