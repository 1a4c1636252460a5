/**
 * XEP-0425 Moderated Message Retraction (0.3, over XEP-0424 Message Retraction 0.4): a moderator asks the room
 * to retract a message by its stanza-id. The room tells every occupant with a <retract/> from the room naming
 * the moderator (their occupant JID and occupant id) and the reason, archives that retraction, and replaces the
 * message in its history and archive with a tombstone (<retracted/>) that keeps its id, sender and place.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { clone } from "ltx";
import type { StanzaEvent } from "../../src/hooks.js";
import { randomId } from "../../src/random-id.js";
import type { IqResult } from "../../src/modules.js";
import { xmppDateTime } from "../../src/xml/delay.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { NS_SID, stampStanzaId } from "../0359-stanza-id/index.js";
import { storedMessage } from "../0313-mam/index.js";
import { actorOf } from "./admin.js";
import type { ServiceContext } from "./context.js";
import { Outgoing, stanza } from "./fanout.js";
import { NS_MODERATE, NS_MUC_USER, NS_OCCUPANT_ID, NS_RETRACT } from "./ns.js";
import { rank } from "./permissions.js";
import { archive, withoutTo } from "./room-archive.js";
import type { Room } from "./room.js";

/** The message with this stanza-id, from the history kept in memory or from the archive. */
async function find(ctx: ServiceContext, room: Room, id: string): Promise<{ el: Element; when: number } | null> {
  const kept = room.history.find(id);
  if (kept) return { el: kept.el, when: kept.when };
  if (!room.config.logging) return null;
  await room.archiveTail;
  const page = await ctx.archive.query(room.jid, { ids: [id], limit: 1 });
  const item = page.ok ? page.items[0] : undefined;
  const el = item ? storedMessage(item) : null;
  if (!item || !el) return null;
  delete el.attrs.xmlns;
  return { el, when: item.when };
}

const child = (el: Element, name: string, ns: string) => el.getChildren(name, ns).map((c) => clone(c) as Element);

export async function moderate(ctx: ServiceContext, room: Room, event: StanzaEvent, payload: Element): Promise<IqResult> {
  const id = payload.attrs.id;
  if (!id) return new StanzaError("bad-request", "<moderate/> names the stanza-id of the message");
  if (!payload.getChild("retract", NS_RETRACT)) return new StanzaError("feature-not-implemented", "only retraction is supported");
  const actor = actorOf(room, event);
  if (actor.role !== "moderator" && rank(actor.affiliation) < rank("admin")) return new StanzaError("forbidden", "only moderators may retract messages");
  const original = await find(ctx, room, id);
  if (!original || original.el.getChild("subject")) return new StanzaError("item-not-found", "no message of this room has that id");
  if (original.el.getChild("retracted", NS_RETRACT)) return null;
  if (room.destroyed) return new StanzaError("item-not-found", "the room is gone");

  const reason = payload.getChildText("reason");
  const mod = room.bySession.get(event.from.full);
  const moderated = () => xml("moderated", { xmlns: NS_MODERATE, by: mod?.jid ?? room.jid },
    mod ? xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: mod.occupantId }) : null);
  const why = () => (reason ? xml("reason", null, reason) : null);

  // The retraction, to everyone, kept like any other room message.
  const m = stanza("message", { from: room.jid, type: "groupchat", id: randomId(9) });
  m.cnode(xml("retract", { xmlns: NS_RETRACT, id }, moderated(), why()));
  m.cnode(xml("store", { xmlns: "urn:xmpp:hints" }));
  const sid = stampStanzaId(m, room.jid, ctx.api.newArchiveId());
  const out = new Outgoing(m);
  for (const s of room.recipients()) out.deliver(s, ctx.route);
  const now = Date.now();
  archive(ctx, room, m, sid, now, { full: event.from.full, bare: event.from.bare });

  // The tombstone: same id, sender and stanza-id, no content.
  const { from, type, id: messageId } = original.el.attrs;
  const tomb = xml("message", { from, type, id: messageId },
    xml("retracted", { xmlns: NS_RETRACT, stamp: xmppDateTime(now) }, moderated(), why()),
    child(original.el, "occupant-id", NS_OCCUPANT_ID), child(original.el, "stanza-id", NS_SID));
  const kept = room.history.find(id);
  if (kept) room.history.replace(id, { ...kept, el: withoutTo(tomb) });
  if (room.config.logging) {
    const value = xml(tomb.name, tomb.attrs, ...tomb.children.map((c) => clone(c) as Element), ...child(original.el, "x", NS_MUC_USER)).toString();
    const done = room.archiveTail.then(() => ctx.archive.replace(room.jid, id, value));
    room.archiveTail = done.catch((err) => ctx.log.error("cannot replace a retracted message in the archive", { room: room.jid, id, err }));
    await done;
  }
  return null;
}
