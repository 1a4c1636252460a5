/**
 * XEP-0045 Multi-User Chat: a conference service on a subdomain of each host (conference.<host> by default),
 * which the module serves itself (ModuleApi.serveDomain) and lists in the server's disco#items. Rooms with
 * roles, affiliations, configuration forms, history from the room archive (XEP-0313), invitations (mediated
 * here; XEP-0249 direct ones are ordinary messages the server routes), XEP-0359 stanza-ids by the room,
 * XEP-0421 occupant ids, XEP-0410 self-ping, XEP-0425 moderated retraction, and room avatars (XEP-0054/0153).
 *
 * Files: service.ts (dispatch, rooms), room.ts (state), presence.ts, messages.ts, admin.ts, owner.ts,
 * disco.ts, room-archive.ts, moderation.ts, room-vcard.ts, iq-proxy.ts; pure decisions in permissions.ts,
 * room-config.ts, history.ts, status-codes.ts; fan-out serialisation in fanout.ts.
 */
import { defineModule } from "../../src/modules.js";
import { provideMucApi } from "./api.js";
import { mucOptionsSchema, serviceDomain } from "./options.js";
import { MucService } from "./service.js";

export { serviceDomain } from "./options.js";
export { mucApi, type MucApi } from "./api.js";

export default defineModule({
  id: "muc",
  xeps: [
    { xep: 45, version: "1.35.5", status: "complete", note: "registration with a room (§7.10) is not offered; reserved nicks come from the member list" },
    { xep: 249, version: "1.2", status: "complete", note: "direct invitations are routed as ordinary messages" },
    { xep: 410, version: "1.1.0", status: "complete", note: "the room answers self-pings itself (self-ping-optimization)" },
    { xep: 421, version: "1.0.1", status: "complete" },
    { xep: 425, version: "0.3.0", status: "complete", note: "retraction only" },
    { xep: 486, version: "0.1.0", status: "partial", note: "room avatars through the room's vCard (XEP-0054/0153) and muc#roominfo_avatarhash" },
  ],
  config: mucOptionsSchema,
  disco: {
    items: (host, config) => {
      const domain = serviceDomain(config, host);
      return domain ? [{ jid: domain, name: config.name }] : [];
    },
  },
  storage: { rooms: "map", archive: "archive", secrets: "keyval" },
  async setup(api) {
    const stores = { records: api.map("rooms"), archive: api.archive("archive"), secrets: api.keyval("secrets") };
    const services: MucService[] = [];
    for (const host of api.server.hosts) {
      const domain = serviceDomain(api.config, host);
      if (!domain) continue;
      const service = await MucService.start(api, domain, host, stores);
      api.serveDomain(domain, (event) => service.handle(event));
      services.push(service);
    }

    const byDomain = new Map(services.map((s) => [s.domain, s]));
    api.onUnload(provideMucApi(api.server, {
      isService: (domain) => byDomain.has(domain),
      nickOf: (room, full) => {
        const at = room.indexOf("@");
        return byDomain.get(room.slice(at + 1))?.rooms.get(room.slice(0, at))?.bySession.get(full)?.nick;
      },
    }));

    // §7.14: a session that ends leaves its rooms (the IM core's unavailable presence to them may come later).
    api.hook("session:closed", ({ session }) => {
      for (const s of services) s.sessionEnded(session.jid.full);
    });
    api.hook("account:deleted", ({ jid }) => {
      for (const s of services) s.accountDeleted(jid.bare);
    });

    // §11.2: a service that shuts down tells its occupants (332) while their streams are still open.
    api.hook("server:stopping", () => {
      for (const s of services) s.shutdown();
    });

    const sweeper = setInterval(() => { for (const s of services) s.sweep(Date.now()); }, 30_000);
    sweeper.unref();
    api.onUnload(async () => {
      clearInterval(sweeper);
      await Promise.all(services.map((s) => s.settled()));
    });
  },
});
