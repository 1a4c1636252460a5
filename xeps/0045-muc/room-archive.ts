/**
 * A room's message archive (XEP-0313 §3.1 "MUC archives", §6.1.2 business rules): when the room is logged
 * (muc#roomconfig_enablelogging), every message kept for history and every subject change is appended once,
 * with its stanza-id (XEP-0359, by the room) as the archive id, in the order the room broadcast them. Queries to
 * the room's bare JID run through the mam module's query runner with the room's own access rules, `with`
 * (the sender's real bare JID) and rendering (the sender's real JID only for who may see it).
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import type { StanzaEvent } from "../../src/hooks.js";
import type { IqResult } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { archiveMetadata, parseQuery, queryForm, runArchiveQuery } from "../0313-mam/index.js";
import { sendTo, type ServiceContext } from "./context.js";
import { NS_HINTS, NS_MUC_USER } from "./ns.js";
import { rank } from "./permissions.js";
import type { Room } from "./room.js";

/** The message as stored and as kept for history: the broadcast stanza without its per-recipient `to`. */
export function withoutTo(el: Element, extra: Element[] = []): Element {
  const { to: _to, ...attrs } = el.attrs;
  const copy = xml(el.name, attrs);
  copy.children = extra.length ? [...el.children, ...extra] : el.children;
  return copy;
}

/** XEP-0334 hints: whether a groupchat message goes to history (and the archive), by its content. */
export function keeps(stanza: Element): { history: boolean; archive: boolean } {
  if (stanza.getChild("no-store", NS_HINTS)) return { history: false, archive: false };
  const worth = stanza.getChild("body") !== undefined || stanza.getChild("store", NS_HINTS) !== undefined;
  return { history: worth, archive: worth && !stanza.getChild("no-permanent-store", NS_HINTS) };
}

/** The text a message is found by (XEP-0431): its bodies. */
const bodies = (el: Element): string => el.getChildren("body").map((b) => b.getText()).join("\n");

/**
 * Append a broadcast message (its stanza-id = `id`) to the room's archive after the appends before it. The
 * stored copy carries the sender's real JID in <x xmlns='…muc#user'><item jid/></x> (§6.1.2), shown on
 * queries only to those who may see it.
 */
export function archive(ctx: ServiceContext, room: Room, message: Element, id: string, when: number, sender: { full: string; bare: string }): void {
  if (!room.config.logging) return;
  const value = withoutTo(message, [xml("x", { xmlns: NS_MUC_USER }, xml("item", { jid: sender.full }))]).toString();
  const item = { id, when, with: sender.bare, value, text: bodies(message) };
  room.archiveTail = room.archiveTail
    .then(() => ctx.archive.append(room.jid, item))
    .catch((err) => ctx.log.error("room message not archived", { room: room.jid, id, err }));
}

/**
 * §6.1.2: whoever may enter may query, an outcast never; in a members-only room only members, admins and
 * owners.
 */
function mayQuery(room: Room, bare: string): boolean {
  const a = room.affiliationOf(bare);
  if (a === "outcast") return false;
  return !room.config.membersOnly || rank(a) >= rank("member");
}

/** Who may learn senders' real JIDs from the archive: as in the room (§6.1.2 "the right to access the sender real JID"). */
function seesJids(room: Room, full: string, bare: string): boolean {
  return room.nonAnonymous || room.roleOf(full) === "moderator" || room.isAdminOrOwner(bare);
}

export async function archiveQuery(ctx: ServiceContext, room: Room, event: StanzaEvent, payload: Element): Promise<IqResult> {
  if (!room.config.logging) return new StanzaError("service-unavailable", "this room is not archived");
  const { from } = event;
  if (!mayQuery(room, from.bare)) return new StanzaError("forbidden", "you may not read this room's archive");
  const parsed = parseQuery(payload);
  if (!parsed.ok) return parsed.error;
  const q = parsed.value;
  const entitled = seesJids(room, from.full, from.bare);
  // §4.1.1: filtering by sender is only for those who would know the sender.
  if (q.with !== undefined && !entitled) return new StanzaError("forbidden", "only those who see real JIDs may filter by sender");
  await room.archiveTail;
  return runArchiveQuery({
    store: ctx.archive,
    owner: room.jid,
    pageSize: ctx.options.archivePageSize,
    maxPageSize: ctx.options.archiveMaxPageSize,
    from: room.jid,
    to: from.full,
    send: (m) => sendTo(ctx, event, m),
    log: ctx.log,
    withFilter: (w) => ({ with: w.bare }),
    render: (_item, message) => {
      if (message && !entitled) message.children = message.children.filter((c) => typeof c === "string" || !(c.name === "x" && c.attrs.xmlns === NS_MUC_USER));
      return message;
    },
  }, q);
}

export function archiveForm(room: Room, event: StanzaEvent): IqResult {
  if (!room.config.logging) return new StanzaError("service-unavailable", "this room is not archived");
  if (!mayQuery(room, event.from.bare)) return new StanzaError("forbidden", "you may not read this room's archive");
  return queryForm();
}

export async function archiveMeta(ctx: ServiceContext, room: Room, event: StanzaEvent): Promise<IqResult> {
  if (!room.config.logging) return new StanzaError("service-unavailable", "this room is not archived");
  if (!mayQuery(room, event.from.bare)) return new StanzaError("forbidden", "you may not read this room's archive");
  await room.archiveTail;
  return archiveMetadata(ctx.archive, room.jid);
}
