/**
 * One conference service (conference.<host>): its rooms, and the dispatch of every stanza addressed to the
 * service, a room or an occupant (the module serves the domain, ModuleApi.serveDomain). Rooms live in memory;
 * persistent ones are read from the store at start and written through. A room handles its stanzas one at a
 * time, synchronously, in the order they arrive: that is the single ordering point of XEP-0045's room, so
 * every occupant sees the same order. The one wait is for a logged room's recent history, read back from its
 * archive when the room is first used after a restart; stanzas for that room wait in order meanwhile.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import type { StanzaEvent } from "../../src/hooks.js";
import type { Jid } from "../../src/jid.js";
import type { IqResult, ModuleApi } from "../../src/modules.js";
import type { ArchiveStore, KeyValStore, MapStore } from "../../src/storage/types.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { storedMessage } from "../0313-mam/index.js";
import { NS_MAM } from "../0313-mam/index.js";
import { getList, setList } from "./admin.js";
import { bounce, sendTo, type ServiceContext } from "./context.js";
import { roomInfo, roomItems, serviceInfo, serviceItems } from "./disco.js";
import { IqProxy } from "./iq-proxy.js";
import { onMessage } from "./messages.js";
import { moderate } from "./moderation.js";
import {
  NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MODERATE, NS_MUC, NS_MUC_ADMIN, NS_MUC_OWNER, NS_MUC_USER, NS_PING, NS_RETRACT, NS_VCARD,
} from "./ns.js";
import { newSecret } from "./occupant-id.js";
import type { MucOptions } from "./options.js";
import { getConfig, setOwner } from "./owner.js";
import { destroyRoom, enter, notInRoom, onPresence, removeOccupant, sessionEnded } from "./presence.js";
import { archiveForm, archiveMeta, archiveQuery } from "./room-archive.js";
import { getVcard, setVcard } from "./room-vcard.js";
import { Room } from "./room.js";
import { roomConfigSchema } from "./room-config.js";

export interface ServiceStores {
  records: MapStore;
  archive: ArchiveStore;
  secrets: KeyValStore;
}

type RoomIq = (room: Room, event: StanzaEvent, payload: Element) => IqResult | Promise<IqResult>;

export class MucService {
  readonly rooms = new Map<string, Room>();
  readonly ctx: ServiceContext;
  private readonly proxy = new IqProxy();
  /** Removals of rooms' data under way (awaited on unload). */
  private readonly purging = new Set<Promise<unknown>>();
  private readonly roomIqs: Map<string, RoomIq>;

  private constructor(api: ModuleApi<MucOptions>, readonly domain: string, readonly host: string, stores: ServiceStores, secret: Buffer) {
    const options = api.config;
    const service = this;
    this.ctx = {
      api,
      log: api.log.child({ service: domain }),
      domain,
      host,
      options,
      limits: {
        maxOccupants: options.maxOccupants,
        maxHistory: options.maxHistory,
        maxNameLength: options.maxTitleLength,
        maxDescriptionLength: options.maxDescriptionLength,
      },
      defaults: roomConfigSchema.parse({ ...options.defaults, historyLength: Math.min(options.defaults.historyLength, options.maxHistory) }),
      records: stores.records,
      archive: stores.archive,
      secrets: stores.secrets,
      secret,
      serverAdmins: new Set(api.server.admins(host).map((j) => j.bare)),
      sessionRooms: new Map(),
      route: (el) => api.send(el),
      dropRoom: (room, purge) => service.drop(room, purge),
      save: (room) => {
        if (room.destroyed || room.locked || !room.config.persistent) return Promise.resolve();
        return room.persist((record) => stores.records.set(domain, room.local, record as never));
      },
      unsave: async (room) => {
        await room.settled();
        await stores.records.delete(domain, room.local);
      },
    };
    const ctx = this.ctx;
    this.roomIqs = new Map<string, RoomIq>([
      ["get disco#info", (room, event, q) => roomInfo(ctx, room, event, q.attrs.node)],
      ["get disco#items", (_room, _event, q) => roomItems(q.attrs.node)],
      ["get admin", (room, event, q) => getList(room, event, q)],
      ["set admin", (room, event, q) => setList(ctx, room, event, q)],
      ["get owner", (room, event) => getConfig(ctx, room, event)],
      ["set owner", (room, event, q) => setOwner(ctx, room, event, q)],
      ["get vcard", (room) => getVcard(room)],
      ["set vcard", (room, event, v) => setVcard(ctx, room, event, v)],
      ["set mam", (room, event, q) => archiveQuery(ctx, room, event, q)],
      ["get mam", (room, event) => archiveForm(room, event)],
      ["get mam-metadata", (room, event) => archiveMeta(ctx, room, event)],
      ["set moderate", (room, event, m) => moderate(ctx, room, event, m)],
      ["get ping", () => null],
    ]);
  }

  /** Start a service: its occupant-id secret (made once, kept), and its persistent rooms. */
  static async start(api: ModuleApi<MucOptions>, domain: string, host: string, stores: ServiceStores): Promise<MucService> {
    let secret = await stores.secrets.get(domain);
    if (typeof secret !== "string") {
      secret = newSecret();
      await stores.secrets.set(domain, secret);
    }
    const service = new MucService(api, domain, host, stores, Buffer.from(secret, "base64"));
    for (const [local, value] of await stores.records.all(domain)) {
      const room = Room.fromRecord(`${local}@${domain}`, local, value, service.ctx.serverAdmins, service.ctx.defaults, api.config.maxHistory);
      room.historyLoaded = !room.config.logging;
      service.rooms.set(local, room);
    }
    return service;
  }

  handle(event: StanzaEvent): void {
    const { to } = event;
    if (!to.local) return this.serviceStanza(event);
    const room = this.rooms.get(to.local);
    if (!room) return this.noRoom(event);
    if (room.waiting) {
      room.waiting.push(event);
      return;
    }
    if (!room.historyLoaded) return this.loadHistory(room, event);
    this.dispatch(room, event);
  }

  private dispatch(room: Room, event: StanzaEvent): void {
    if (room.destroyed) return this.noRoom(event);
    const { stanza } = event;
    if (stanza.name === "presence") return onPresence(this.ctx, room, event);
    // §7.2.11: a locked room is not there for anyone but its owners.
    if (room.locked && room.affiliationOf(event.from.bare) !== "owner" && !room.bySession.has(event.from.full)) {
      return bounce(this.ctx, event, new StanzaError("item-not-found", "this room is not configured yet"));
    }
    if (stanza.name === "message") return onMessage(this.ctx, room, event);
    if (stanza.name === "iq") return this.roomIq(room, event);
  }

  /** Stanzas to a room that does not exist: a join creates it (§10.1.1); messages and requests get item-not-found. */
  private noRoom(event: StanzaEvent): void {
    const { stanza, to } = event;
    const type = stanza.attrs.type;
    if (stanza.name === "presence") {
      if (type !== undefined) return;
      if (!to.resource) return bounce(this.ctx, event, new StanzaError("jid-malformed", "send presence to room@service/nickname to enter"));
      const mucX = stanza.getChild("x", NS_MUC);
      if (!mucX) return notInRoom(this.ctx, event, "none");
      return this.create(event, mucX);
    }
    if (type === "error" || type === "result") return;
    bounce(this.ctx, event, new StanzaError("item-not-found", "there is no such room"));
  }

  /** §10.1.1: who may creates the room; they enter as its owner, and it stays locked until configured. */
  private create(event: StanzaEvent, mucX: Element): void {
    const { ctx } = this;
    const { from, to } = event;
    if ([...to.local].length > ctx.options.maxRoomNameLength) {
      return bounce(ctx, event, new StanzaError("not-acceptable", `a room name may have at most ${ctx.options.maxRoomNameLength} characters`));
    }
    if (!this.mayCreate(from)) return bounce(ctx, event, new StanzaError("not-allowed", "you may not create rooms on this service"));
    const room = new Room(`${to.local}@${this.domain}`, to.local, { ...ctx.defaults }, ctx.options.lockNewRooms,
      new Map([[from.bare, { affiliation: "owner" }]]), ctx.serverAdmins, Date.now(), ctx.options.maxHistory);
    this.rooms.set(to.local, room);
    enter(ctx, room, event, mucX, true);
    if (room.occupants.size === 0) {
      // Entering failed (a nickname or password problem): the room was never there.
      this.rooms.delete(to.local);
      room.destroyed = true;
      return;
    }
    if (room.locked && ctx.options.lockTimeout > 0) {
      room.lockTimer = setTimeout(() => {
        room.lockTimer = null;
        if (room.locked && !room.destroyed) destroyRoom(ctx, room, { reason: "the room was not configured in time" });
      }, ctx.options.lockTimeout * 1000);
      room.lockTimer.unref();
    }
    if (!room.locked) ctx.save(room).catch((err) => ctx.log.error("cannot save a new room", { room: room.jid, err }));
  }

  private mayCreate(from: Jid): boolean {
    const rule = this.ctx.options.create;
    if (this.ctx.serverAdmins.has(from.bare)) return true;
    if (Array.isArray(rule)) return rule.includes(from.bare) || rule.includes(from.domain);
    if (rule === "anyone") return true;
    if (rule === "local") return from.local !== "" && this.ctx.api.server.isLocalHost(from.domain);
    return false;
  }

  /** After a restart, a logged room's history comes back from its archive before the room handles anything. */
  private loadHistory(room: Room, first: StanzaEvent): void {
    room.waiting = [first];
    this.ctx.archive.query(room.jid, { before: "", limit: this.ctx.options.maxHistory }).then((page) => {
      if (!page.ok) return;
      for (const item of page.items) {
        const el = storedMessage(item);
        // History is what occupants said (from an occupant JID), not subject changes (§7.2.15).
        if (!el || !el.attrs.from?.includes("/") || (el.getChild("subject") && !el.getChild("body"))) continue;
        if (!el.getChild("body") && !el.getChild("retracted", NS_RETRACT)) continue;
        delete el.attrs.xmlns;
        const x = el.getChild("x", NS_MUC_USER);
        const jid = x?.getChild("item")?.attrs.jid ?? "";
        if (x) el.remove(x);
        room.history.push({ id: item.id, when: item.when, el, jid });
      }
    }).catch((err) => this.ctx.log.error("cannot read a room's history from its archive", { room: room.jid, err })).finally(() => {
      room.historyLoaded = true;
      const waiting = room.waiting ?? [];
      room.waiting = null;
      for (const event of waiting) this.dispatch(room, event);
    });
  }

  private roomIq(room: Room, event: StanzaEvent): void {
    const { stanza, to } = event;
    const type = stanza.attrs.type;
    if (to.resource) return this.occupantIq(room, event);
    if (type !== "get" && type !== "set") return;
    const payload = stanza.getChildElements()[0];
    if (!payload) return bounce(this.ctx, event, new StanzaError("bad-request", "an IQ request has one payload"));
    const handler = this.roomIqs.get(`${type} ${roomIqKey(payload)}`);
    if (!handler) return bounce(this.ctx, event, new StanzaError("service-unavailable"));
    this.answer(event, handler(room, event, payload));
  }

  /**
   * IQs to an occupant JID: XEP-0410 self-ping answered by the room itself (§3.3: result when the sender is
   * that occupant, not-acceptable when it is not in the room); answers to forwarded requests; other requests
   * between occupants forwarded (§17.4 rule 3); from non-occupants refused (§6.6 bad-request for disco).
   */
  private occupantIq(room: Room, event: StanzaEvent): void {
    const { stanza, to, from } = event;
    const type = stanza.attrs.type;
    if (type === "result" || type === "error") {
      this.proxy.answer(this.ctx, room, event);
      return;
    }
    const payload = stanza.getChildElements()[0];
    const sender = room.bySession.get(from.full);
    const ns = payload?.attrs.xmlns;
    if (!sender) {
      const disco = ns === NS_DISCO_INFO || ns === NS_DISCO_ITEMS;
      return bounce(this.ctx, event, new StanzaError(disco ? "bad-request" : "not-acceptable", "you are not in this room"));
    }
    if (ns === NS_PING && payload?.name === "ping" && sender.nick === to.resource) return this.answer(event, null);
    const target = room.occupants.get(to.resource);
    if (!target) return bounce(this.ctx, event, new StanzaError("item-not-found", "nobody is in the room with that nickname"));
    this.proxy.forward(this.ctx, sender, target, event);
  }

  /** §6.2, §6.3: the service itself (disco, ping); anything else is not offered. */
  private serviceStanza(event: StanzaEvent): void {
    const { stanza } = event;
    const type = stanza.attrs.type;
    if (stanza.name !== "iq") {
      if (stanza.name === "message" && type !== "error") bounce(this.ctx, event, new StanzaError("service-unavailable"));
      return;
    }
    if (type !== "get" && type !== "set") return;
    const payload = stanza.getChildElements()[0];
    if (!payload) return bounce(this.ctx, event, new StanzaError("bad-request", "an IQ request has one payload"));
    const ns = payload.attrs.xmlns;
    if (type === "get" && payload.name === "query" && ns === NS_DISCO_INFO) return this.answer(event, serviceInfo(this.ctx, payload.attrs.node));
    if (type === "get" && payload.name === "query" && ns === NS_DISCO_ITEMS) return this.answer(event, serviceItems(this.ctx, this.rooms.values(), payload));
    if (type === "get" && payload.name === "ping" && ns === NS_PING) return this.answer(event, null);
    bounce(this.ctx, event, new StanzaError("service-unavailable"));
  }

  /** An IQ's answer (RFC 6120 §8.2.3): the payload, an empty result, or the error; from the address asked. */
  private answer(event: StanzaEvent, result: IqResult | Promise<IqResult>): void {
    const send = (r: IqResult) => {
      if (r instanceof StanzaError) return bounce(this.ctx, event, r);
      sendTo(this.ctx, event, xml("iq", { type: "result", id: event.stanza.attrs.id, from: event.to.full, to: event.from.full }, r));
    };
    if (!(result instanceof Promise)) return send(result);
    result.then(send, (err) => {
      this.ctx.log.error("room request failed", { to: event.to.full, err });
      bounce(this.ctx, event, new StanzaError("internal-server-error"));
    });
  }

  /** A room is gone: forget it; with `purge`, its record and archive too (after the writes under way). */
  drop(room: Room, purge: boolean): void {
    room.destroyed = true;
    if (room.lockTimer) { clearTimeout(room.lockTimer); room.lockTimer = null; }
    if (this.rooms.get(room.local) === room) this.rooms.delete(room.local);
    if (!purge) return;
    const { ctx } = this;
    // What the room archived until now (a new room of the same name may start archiving before this runs).
    const cutoff = Date.now() + 1;
    const removal: Promise<unknown> = room.settled()
      .then(() => Promise.all([ctx.records.delete(this.domain, room.local), ctx.archive.delete(room.jid, cutoff)]))
      .catch((err) => ctx.log.error("cannot remove a room's data", { room: room.jid, err }))
      .finally(() => this.purging.delete(removal));
    this.purging.add(removal);
  }

  /** A client session ended: it leaves its rooms (§7.14, as its server would send unavailable presence for it). */
  sessionEnded(full: string): void {
    sessionEnded(this.ctx, full);
  }

  /** An account was deleted: it loses its affiliations (a ban stays), so a new account of that name inherits nothing. */
  accountDeleted(bare: string): void {
    for (const room of this.rooms.values()) {
      const e = room.affiliations.get(bare);
      if (!e || e.affiliation === "outcast") continue;
      room.affiliations.delete(bare);
      this.ctx.save(room).catch((err) => this.ctx.log.error("cannot save a room", { room: room.jid, err }));
    }
  }

  /** §11.2: the service shuts down: every occupant is told (332). */
  shutdown(): void {
    for (const room of this.rooms.values()) {
      for (const occ of [...room.occupants.values()]) removeOccupant(this.ctx, room, occ, "shutdown", {});
    }
  }

  sweep(now: number): void {
    this.proxy.sweep(now);
  }

  /** Every write started so far is done. */
  async settled(): Promise<void> {
    await Promise.all([...[...this.rooms.values()].map((r) => r.settled()), ...this.purging]);
  }
}

/** The key a room request is handled by: its type is added by the caller. */
function roomIqKey(payload: Element): string {
  const ns = payload.attrs.xmlns;
  const name = payload.name;
  if (name === "query" && ns === NS_DISCO_INFO) return "disco#info";
  if (name === "query" && ns === NS_DISCO_ITEMS) return "disco#items";
  if (name === "query" && ns === NS_MUC_ADMIN) return "admin";
  if (name === "query" && ns === NS_MUC_OWNER) return "owner";
  if (name === "vCard" && ns === NS_VCARD) return "vcard";
  if (name === "query" && ns === NS_MAM) return "mam";
  if (name === "metadata" && ns === NS_MAM) return "mam-metadata";
  if (name === "moderate" && ns === NS_MODERATE) return "moderate";
  if (name === "ping" && ns === NS_PING) return "ping";
  return `{${ns}}${name}`;
}
