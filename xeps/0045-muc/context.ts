/** What the room handlers of one conference service share. */
import type { Element } from "ltx";
import type { StanzaEvent } from "../../src/hooks.js";
import type { Logger } from "../../src/log.js";
import type { ModuleApi } from "../../src/modules.js";
import type { ArchiveStore, KeyValStore, MapStore } from "../../src/storage/types.js";
import { errorReply, type StanzaError } from "../../src/xml/stanza-error.js";
import type { MucOptions } from "./options.js";
import type { Room } from "./room.js";
import type { ConfigLimits, RoomConfig } from "./room-config.js";

export interface ServiceContext {
  readonly api: ModuleApi<MucOptions>;
  readonly log: Logger;
  /** The service's address (conference.<host>). */
  readonly domain: string;
  /** The host it belongs to. */
  readonly host: string;
  readonly options: MucOptions;
  readonly limits: ConfigLimits;
  readonly defaults: RoomConfig;
  /** Persistent rooms' records: owner = service domain, key = room localpart. */
  readonly records: MapStore;
  /** Room archives (XEP-0313), owner = room JID. */
  readonly archive: ArchiveStore;
  /** Room vCards are part of the record; this keeps the XEP-0421 secret (owner = service domain). */
  readonly secrets: KeyValStore;
  readonly secret: Buffer;
  /** The host's admins (bare JIDs): owners of every room. */
  readonly serverAdmins: ReadonlySet<string>;
  /** Rooms each real full JID is in (for sessions that end). */
  readonly sessionRooms: Map<string, Set<Room>>;
  /** Route a stanza the service generates (to users without a local session, to bare JIDs). */
  route(el: Element): void;
  /** The room is gone: forget it (and its stored record and archive when `purge`). */
  dropRoom(room: Room, purge: boolean): void;
  /** Write a persistent room's record (no-op for temporary and locked rooms); resolves once durable. */
  save(room: Room): Promise<void>;
  /** Remove a room's record (it is no longer persistent), after the writes under way. */
  unsave(room: Room): Promise<void>;
}

/** Send a stanza the service generates: to the session it answers when known, else through the router. */
export function sendTo(ctx: ServiceContext, event: StanzaEvent, el: Element): void {
  if (event.origin?.kind === "c2s" && event.origin.jid.full === el.attrs.to) event.origin.send(el);
  else ctx.api.send(el);
}

/**
 * Answer `event` with an error (RFC 6120 §8.3): from the address it was sent to (normalised), never to an
 * error or an IQ result.
 */
export function bounce(ctx: ServiceContext, event: StanzaEvent, error: StanzaError): void {
  const reply = errorReply(event.stanza, error);
  if (!reply) return;
  reply.attrs.from = event.to.full;
  reply.attrs.to = event.from.full;
  sendTo(ctx, event, reply);
}
