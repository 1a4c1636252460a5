import { xml } from "@xmpp/xml";
import { defineModule } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";

const NS = "jabber:iq:last";

/**
 * XEP-0012 Last Activity: the server's uptime (§5), and for an account the time since its last resource
 * went offline with the status it left (§4). Online accounts answer 0 (§4: a connected resource).
 */
export default defineModule({
  id: "last",
  xeps: [{ xep: 12, version: "2.0", status: "complete" }],
  disco: { features: [NS] },
  storage: { lastActivity: "keyval" },
  setup(api) {
    const store = api.keyval("lastActivity");

    api.iq("get", NS, "query", () => {
      const seconds = Math.floor((Date.now() - api.server.startedAt) / 1000);
      return xml("query", { xmlns: NS, seconds: String(seconds) });
    }, { to: "host" });

    api.iq("get", NS, "query", async ({ from, to }) => {
      // §4: only entities allowed to see the account's presence may ask: the account itself and contacts
      // with a subscription to it (RFC 6121 "from" or "both" on the account's roster).
      if (from.bare !== to.bare && !(await api.roster.isSubscriber(to.bare, from.bare))) return new StanzaError("forbidden");
      if (api.sessions.resources(to.bare).some((s) => s.presence !== null)) return xml("query", { xmlns: NS, seconds: "0" });
      const last = await store.get(to.bare) as { t: number; status: string } | undefined;
      if (!last) return new StanzaError("service-unavailable");
      return xml("query", { xmlns: NS, seconds: String(Math.max(0, Math.floor((Date.now() - last.t) / 1000))) }, last.status || null);
    }, { to: "bare" });

    // The status to report is the one of the last presence the user broadcast, unavailable presence included
    // (§4): remember it per session, since the session's current presence is gone once it is unavailable.
    api.hook("stanza:pre", ({ origin, stanza }) => {
      if (stanza.name !== "presence" || origin?.kind !== "c2s" || stanza.attrs.to !== undefined) return;
      const type = stanza.attrs.type;
      if (type === undefined || type === "unavailable") origin.data.set("last", stanza.getChildText("status") ?? "");
    });

    api.hook("session:closed", ({ session }) => {
      if (api.sessions.resources(session.bare.full).length > 0) return;
      const status = (session.data.get("last") as string | undefined) ?? session.presence?.getChildText("status") ?? "";
      store.set(session.bare.full, { t: Date.now(), status }).catch((err) => api.log.error("cannot store last activity", { err }));
    });

    api.hook("account:deleted", ({ jid }) => {
      store.delete(jid.bare).catch((err) => api.log.error("cannot remove last activity", { err }));
    });
  },
});
