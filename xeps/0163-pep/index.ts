/**
 * XEP-0163 Personal Eventing Protocol: every account is a XEP-0060 pubsub service at its bare JID. The
 * pubsub rules live in xeps/0060-pubsub (a service over two map stores); this module addresses it by account,
 * takes presence and entity capabilities into account (auto-subscribe and filtered notifications, §4), answers
 * account-level discovery for it (§6), and removes it with the account. XEP-0223 private nodes are nodes with
 * the whitelist access model, which publish-options can ask for.
 */
import { xml } from "@xmpp/xml";
import { randomBytes } from "node:crypto";
import type { Element } from "ltx";
import { z } from "zod";
import { Jid, type BareJid } from "../../src/jid.js";
import { defineModule, type Identity } from "../../src/modules.js";
import { addAccountDiscoProvider } from "../0030-disco/account.js";
import { BASE_CONFIG, metaDataForm, type NodeConfig } from "../0060-pubsub/config.js";
import { PubsubIqHandler } from "../0060-pubsub/handler.js";
import { feature, NS_PUBSUB, NS_PUBSUB_OWNER } from "../0060-pubsub/ns.js";
import { PubsubService, type PubsubEvent } from "../0060-pubsub/service.js";
import { PubsubStore } from "../0060-pubsub/store.js";
import { providePepApi } from "./api.js";
import { capsKey, CapsResolver, discoInfoOf, readCaps } from "./caps.js";
import { InterestTable } from "./interest.js";
import { PepNotifier } from "./notifier.js";

const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";

/** How long a client has to answer the question about its capabilities (XEP-0115 §5.4). */
const CAPS_QUERY_TIMEOUT_MS = 30_000;

/**
 * XEP-0163 §8.1 requires "all supported XEP-0060 features" on the account; §5 lists what a PEP service MUST
 * support. access-presence says which access model is the default (XEP-0060 §10).
 */
const FEATURES = [
  NS_PUBSUB,
  ...["access-presence", "auto-create", "auto-subscribe", "config-node", "create-and-configure", "create-nodes",
    "delete-items", "delete-nodes", "filtered-notifications", "instant-nodes", "item-ids", "last-published",
    "manage-subscriptions", "member-affiliation", "meta-data", "modify-affiliations", "multi-items",
    "outcast-affiliation", "persistent-items", "presence-subscribe", "publish", "publish-options", "purge-nodes",
    "retract-items", "retrieve-affiliations", "retrieve-default", "retrieve-items", "retrieve-subscriptions",
    "subscribe"].map(feature),
  // XEP-0060 §9 (written there with one slash, a typo): the account is a virtual pubsub service.
  feature("pubsub-on-a-jid"),
];

/** A service address (a prepared bare JID) as a Jid. */
function bareJid(bare: string): BareJid {
  const at = bare.indexOf("@");
  return Jid.ofPrepared(bare.slice(0, at), bare.slice(at + 1)) as BareJid;
}

const PEP_IDENTITY: Identity = { category: "pubsub", type: "pep" };

/** XEP-0163 §5 recommended defaults: presence access, payloads delivered, the last item on presence. */
const PEP_DEFAULTS: NodeConfig = { ...BASE_CONFIG, access_model: "presence", max_items: 1, send_last_published_item: "on_sub_and_presence" };

export default defineModule({
  id: "pep",
  xeps: [
    { xep: 60, version: "1.30.0", status: "partial", note: "as the PEP service of each account: no authorize access model, subscription options, collections or item expiry" },
    { xep: 163, version: "1.2.2", status: "complete" },
    { xep: 223, version: "1.1.1", status: "complete", note: "whitelist nodes with publish-options" },
    { xep: 84, version: "1.1.4", status: "complete", note: "avatar data and metadata nodes, items up to maxItemBytes" },
    { xep: 172, version: "1.1.1", status: "complete", note: "the nick node" },
    { xep: 384, version: "0.8.3", status: "complete", note: "device list and bundle nodes with open access and publish-options" },
  ],
  requires: ["disco"],
  config: z.strictObject({
    /**
     * Largest item, in bytes of XML. Avatar data is Base64 (a third larger than the image): 128 KiB holds a
     * 96 KiB image. Keep it below the listeners' maxStanzaBytes.
     */
    maxItemBytes: z.number().int().min(1024).default(128 * 1024),
    /** Most nodes one account may have (OMEMO makes one per device). */
    maxNodes: z.number().int().min(1).default(256),
    /** Most items one node keeps (pubsub#max_items "max" means this many). */
    maxItems: z.number().int().min(1).default(256),
    /** Most explicit subscriptions (XEP-0060 §6.1) one node holds. */
    maxSubscriptions: z.number().int().min(1).default(1000),
  }),
  disco: {
    // XEP-0223 §5 looks for the pubsub/pep identity and publish-options on the server; XEP-0163 §8 on the account.
    identities: [PEP_IDENTITY],
    features: FEATURES,
    accountFeatures: FEATURES,
  },
  storage: { nodes: "map", items: "map" },
  setup(api) {
    const { maxItemBytes, maxNodes, maxItems, maxSubscriptions } = api.config;
    const store = new PubsubStore(api.map("nodes"), api.map("items"), () => PEP_DEFAULTS);
    const svc = new PubsubService(store, {
      defaults: () => ({ ...PEP_DEFAULTS, roster_groups_allowed: [] }),
      // Only the account creates nodes at its own service (XEP-0163 §2.2 "One Publisher Per Node").
      mayCreate: (service, requester) => requester.bare === service,
      implicitAffiliation: (service, bare) => (bare === service ? "owner" : "none"),
      relation: async (service, bare) => {
        const item = await api.roster.item(service, bare);
        return { presenceSubscribed: item?.subscription === "from" || item?.subscription === "both", groups: item?.groups ?? [] };
      },
      ownersOnlyPublish: true,
      // Members and outcasts manage whitelists (XEP-0060 §4.5); a PEP node has no other publisher.
      assignableAffiliations: ["member", "outcast"],
    }, { maxItemBytes, maxNodes, maxItems, maxSubscriptions });

    const table = new InterestTable();
    const notifier = new PepNotifier({ svc, table, roster: api.roster, send: (s) => api.send(s), log: api.log });

    /** After a change: notifications, and the `pep:event` hook for modules that mirror nodes elsewhere. */
    const deliver = (owner: BareJid, events: readonly PubsubEvent[], actor: Jid) => {
      void notifier.deliver(owner.bare, events, actor);
      for (const event of events) api.fire("pep:event", { owner, event, actor });
    };
    const handler = new PubsubIqHandler(svc, {
      // The service of a handler call is the account's bare JID, which the request was addressed to.
      notify: (service, events, actor) => deliver(bareJid(service), events, actor),
      subscribed: (service, rec, sub) => notifier.subscribed(service, rec, sub),
    });

    for (const type of ["get", "set"] as const) {
      api.iq(type, NS_PUBSUB, "pubsub", ({ from, to, payload }) => handler.user(type, to.bare, from, payload), { to: "bare" });
      api.iq(type, NS_PUBSUB_OWNER, "pubsub", ({ from, to, payload }) => handler.owner(type, to.bare, from, payload), { to: "bare" });
    }

    // --- entity capabilities of the resources the service hears from ---

    const prefix = `pep-caps-${randomBytes(4).toString("hex")}`;
    let seq = 0;
    const questions = new Map<string, { to: string; resolve: (q: Element | null) => void; timer: NodeJS.Timeout }>();
    api.onUnload(() => {
      for (const q of questions.values()) { clearTimeout(q.timer); q.resolve(null); }
      questions.clear();
      table.clear();
    });
    // XEP-0060 §9.2: the account's service asks the client (from the account's bare JID).
    const resolver = new CapsResolver((from, to, node) => new Promise((resolve) => {
      const id = `${prefix}-${(++seq).toString(36)}`;
      const timer = setTimeout(() => { questions.delete(id); resolve(null); }, CAPS_QUERY_TIMEOUT_MS);
      questions.set(id, { to, resolve, timer });
      api.send(xml("iq", { type: "get", id, from, to }, xml("query", { xmlns: NS_DISCO_INFO, node })));
    }));

    api.hook("iq:bare", ({ stanza, from }) => {
      const q = stanza.attrs.id !== undefined ? questions.get(stanza.attrs.id) : undefined;
      if (!q || from.full !== q.to || (stanza.attrs.type !== "result" && stanza.attrs.type !== "error")) return false;
      questions.delete(stanza.attrs.id);
      clearTimeout(q.timer);
      q.resolve(discoInfoOf(stanza));
      return true;
    });

    const learnt = (owner: string, full: string, key: string, nodes: ReadonlySet<string>) => {
      const added = table.resolved(owner, full, key, nodes);
      if (added && added.length > 0) void notifier.sendLast(owner, full, added);
    };

    /** Available or unavailable presence from `from` reached `owner`'s service (XEP-0163 §4.3.3). */
    const heard = (owner: string, from: Jid, stanza: Element) => {
      const type = stanza.attrs.type;
      if (type === "unavailable") { table.unavailable(owner, from.full); return; }
      if (type !== undefined) return;
      const caps = readCaps(stanza);
      const key = caps ? capsKey(caps) : "";
      const arrival = table.available(owner, from.full, key);
      if (arrival === "same" || arrival === "full") return;
      // Presence may be addressed to an account that does not exist: its listeners are not kept.
      if (arrival === "new" && from.bare !== owner) {
        api.accounts.exists(bareJid(owner)).then((exists) => { if (!exists) table.unavailable(owner, from.full); },
          (err) => api.log.error("cannot check an account", { err }));
      }
      if (!caps) { learnt(owner, from.full, key, new Set()); return; }
      const known = resolver.cached(caps);
      if (known) { learnt(owner, from.full, key, known); return; }
      resolver.notifyOf(owner, from.full, caps).then(
        (nodes) => learnt(owner, from.full, key, nodes),
        (err) => api.log.error("cannot learn client capabilities", { err }));
    };

    // The account's own resources: their broadcast presence, before the IM core sends it on.
    api.hook("stanza:pre", ({ origin, stanza }) => {
      if (stanza.name === "presence" && origin?.kind === "c2s" && stanza.attrs.to === undefined) heard(origin.bare.full, origin.jid, stanza);
      return false;
    });
    api.hook("session:closed", ({ session }) => { table.unavailable(session.bare.full, session.jid.full); });
    // Contacts' presence (broadcast to the account, or directed to it or to one of its resources).
    const inbound = ({ from, to, stanza }: { from: Jid; to: Jid; stanza: Element }) => {
      if (from.bare !== to.bare) heard(to.bare, from, stanza);
      return false;
    };
    api.hook("presence:bare", inbound);
    api.hook("presence:full", inbound);

    // XEP-0060 §12.4: bounced notifications end the subscriptions of whoever cannot take them.
    api.hook("message:bare", ({ stanza, from, to }) => {
      if (stanza.attrs.type !== "error" || !notifier.isNotificationId(stanza.attrs.id)) return false;
      const error = stanza.getChild("error");
      if (error?.attrs.type === "cancel" || error?.getChild("gone")) {
        table.unavailable(to.bare, from.full);
        svc.dropSubscriber(to.bare, from.full).catch((err) => api.log.error("cannot drop a bouncing subscriber", { err }));
      }
      return true;
    });

    // XEP-0163 §7.1: access is recalculated when a roster item or subscription changes.
    api.hook("roster:changed", ({ owner, contact }) => {
      svc.revalidate(owner.bare, contact.bare).catch((err) => api.log.error("cannot recheck PEP subscriptions", { err }));
    });

    api.hook("account:deleted", ({ jid }) => {
      table.dropOwner(jid.bare);
      svc.remove(jid.bare).catch((err) => api.log.error("cannot remove PEP nodes", { err }));
    });

    // --- account-level discovery (XEP-0163 §6, XEP-0060 §5.2-§5.5) ---

    api.onUnload(addAccountDiscoProvider(api.server, {
      identities: [PEP_IDENTITY],
      // §6.2: only the nodes the requester may subscribe to or retrieve items from.
      items: async (owner, requester) => (await svc.visibleNodes(owner.bare, requester)).map((rec) => ({ jid: owner.bare, node: rec.node, name: rec.config.title || undefined })),
      nodeInfo: async (owner, requester, node) => {
        const visible = await svc.visibleNode(owner.bare, requester, node);
        if (!visible.ok) return undefined;
        const { rec } = visible;
        const owners = Object.entries(rec.affiliations).filter(([, a]) => a === "owner").map(([j]) => j);
        return xml("query", { xmlns: NS_DISCO_INFO, node },
          xml("identity", { category: "pubsub", type: "leaf" }),
          xml("feature", { var: NS_PUBSUB }),
          metaDataForm(rec.config, { creator: rec.creator, created: rec.created, owners, publishers: owners }));
      },
      // XEP-0060 §5.5: the items of a node, named by their ids.
      nodeItems: async (owner, requester, node) => {
        const visible = await svc.visibleNode(owner.bare, requester, node);
        if (!visible.ok) return undefined;
        return xml("query", { xmlns: NS_DISCO_ITEMS, node }, visible.rec.order.map((id) => xml("item", { jid: owner.bare, name: id })));
      },
    }));

    // --- for other modules ---

    api.onUnload(providePepApi(api.server, {
      async publish(owner, node, item, options = {}) {
        const r = await svc.publish(owner.bare, owner, { node, item: { id: item.id, payload: item.payload, extra: 0 }, ...options });
        if (!r.ok) return r;
        deliver(owner, r.events, owner);
        return { ok: true, id: r.id! };
      },
      async retract(owner, node, id, notify) {
        const r = await svc.retract(owner.bare, owner, node, id, notify);
        if (!r.ok) return r;
        deliver(owner, r.events, owner);
        return { ok: true };
      },
      node: (owner, node) => svc.node(owner.bare, node),
      async items(owner, node) {
        const rec = await svc.node(owner.bare, node);
        return rec ? store.itemsById(owner.bare, node, rec.order) : undefined;
      },
      item: (owner, node, id) => store.item(owner.bare, node, id),
    }));
  },
});
