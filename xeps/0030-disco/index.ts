import type { Element } from "ltx";
import { xml } from "@xmpp/xml";
import { z } from "zod";
import type { Jid } from "../../src/jid.js";
import { defineModule, type DiscoItem, type Identity } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { accountDiscoProviders } from "./account.js";

const NS_INFO = "http://jabber.org/protocol/disco#info";
const NS_ITEMS = "http://jabber.org/protocol/disco#items";
const NS_DATA = "jabber:x:data";
const NS_SERVERINFO = "http://jabber.org/network/serverinfo";

const CONTACT_KINDS = ["abuse", "admin", "feedback", "sales", "security", "status", "support"] as const;

/** XEP-0157 contact addresses as an XEP-0128 extension form (FORM_TYPE serverinfo). */
export function serverInfoForm(contacts: Partial<Record<(typeof CONTACT_KINDS)[number], string[]>>): Element | null {
  const fields = CONTACT_KINDS.filter((k) => (contacts[k]?.length ?? 0) > 0);
  if (fields.length === 0) return null;
  return xml("x", { xmlns: NS_DATA, type: "result" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, NS_SERVERINFO)),
    fields.map((k) => xml("field", { var: `${k}-addresses`, type: "list-multi" }, contacts[k]!.map((a) => xml("value", null, a)))),
  );
}

export function infoQuery(identities: Identity[], features: string[], extensions: Element[], node?: string): Element {
  return xml("query", { xmlns: NS_INFO, node },
    identities.map((i) => xml("identity", { category: i.category, type: i.type, name: i.name })),
    features.map((f) => xml("feature", { var: f })),
    extensions,
  );
}

/**
 * XEP-0030 Service Discovery: the server's identity and features as the enabled modules declare them,
 * its items, and account-level info for a user's bare JID (§3.1) to the user and its presence subscribers,
 * with XEP-0128 extended info.
 */
export default defineModule({
  id: "disco",
  xeps: [
    { xep: 30, version: "2.5.0", status: "complete" },
    { xep: 128, version: "1.0.1", status: "complete", note: "XEP-0157 contact addresses when configured" },
    { xep: 157, version: "1.1.1", status: "complete" },
  ],
  config: z.strictObject({
    /** XEP-0157 contact addresses (xmpp: or mailto: or https: URIs) published in the server's disco#info. */
    contactAddresses: z.strictObject(Object.fromEntries(CONTACT_KINDS.map((k) => [k, z.array(z.string()).optional()])) as Record<(typeof CONTACT_KINDS)[number], z.ZodOptional<z.ZodArray<z.ZodString>>>).default({}),
    /** Extra items listed in the server's disco#items (e.g. an external component). */
    items: z.array(z.strictObject({ jid: z.string(), name: z.string().optional() })).default([]),
  }),
  disco: {
    identities: [{ category: "server", type: "im", name: "Palaver" }],
    features: [NS_INFO, NS_ITEMS],
    accountFeatures: [NS_INFO, NS_ITEMS],
    // Declared (not added by the handler) so that entity capabilities (XEP-0115) hash exactly what is answered.
    extensions: (_host, config) => {
      const form = serverInfoForm(config.contactAddresses);
      return form ? [form] : [];
    },
  },
  setup(api) {
    api.iq("get", NS_INFO, "query", ({ payload, host }) => {
      // A node is answered only when a module declares it as the server's own info (XEP-0115 §6.2 caps node).
      const node = payload.attrs.node;
      if (node && !api.discoInfoNodes(host).includes(node)) return new StanzaError("item-not-found");
      const info = api.discoInfo(host);
      return infoQuery(info.identities, [...info.features], info.extensions, node);
    }, { to: "host" });

    api.iq("get", NS_ITEMS, "query", ({ payload, host }) => {
      if (payload.attrs.node) return new StanzaError("item-not-found");
      const items: DiscoItem[] = [...api.discoItems(host), ...api.config.items];
      return xml("query", { xmlns: NS_ITEMS }, items.map((i) => xml("item", { jid: i.jid, name: i.name, node: i.node })));
    }, { to: "host" });

    // Account-level disco (§3.1): the account answers for itself and for contacts with a subscription to its
    // presence (RFC 6121 §8.1: no directory harvesting concern for them). Other entities get
    // service-unavailable, as for an account that does not exist (RFC 6121 §8.5.1), so they learn nothing.
    const mayAsk = async (from: Jid, to: Jid) => from.bare === to.bare || api.roster.isSubscriber(to.bare, from.bare);

    // A node of the account is answered by the module that has it (PEP nodes, XEP-0163 §6.2 and XEP-0060 §5.3),
    // for whoever that module lets see it; otherwise as before: item-not-found to those who may ask about the
    // account, service-unavailable to others.
    const atNode = async (kind: "nodeInfo" | "nodeItems", from: Jid, to: Jid, node: string) => {
      for (const p of accountDiscoProviders(api.server)) {
        const answer = await p[kind]?.(to.toBare(), from, node);
        if (answer !== undefined) return answer;
      }
      return (await mayAsk(from, to)) ? new StanzaError("item-not-found") : new StanzaError("service-unavailable");
    };

    api.iq("get", NS_INFO, "query", async ({ payload, from, to }) => {
      if (payload.attrs.node) return atNode("nodeInfo", from, to, payload.attrs.node);
      if (!(await mayAsk(from, to))) return new StanzaError("service-unavailable");
      const identities: Identity[] = [{ category: "account", type: "registered" }];
      for (const p of accountDiscoProviders(api.server)) identities.push(...(p.identities ?? []));
      return infoQuery(identities, api.accountDiscoFeatures(), []);
    }, { to: "bare" });

    api.iq("get", NS_ITEMS, "query", async ({ payload, from, to }) => {
      if (payload.attrs.node) return atNode("nodeItems", from, to, payload.attrs.node);
      if (!(await mayAsk(from, to))) return new StanzaError("service-unavailable");
      const items: DiscoItem[] = [];
      for (const p of accountDiscoProviders(api.server)) if (p.items) items.push(...(await p.items(to.toBare(), from)));
      return xml("query", { xmlns: NS_ITEMS }, items.map((i) => xml("item", { jid: i.jid, name: i.name, node: i.node })));
    }, { to: "bare" });
  },
});
