import { xml } from "@xmpp/xml";
import { z } from "zod";
import type { StanzaEvent } from "../../src/hooks.js";
import { defineModule } from "../../src/modules.js";
import { errorReply, StanzaError } from "../../src/xml/stanza-error.js";
import { addressHeader, expandAddresses, NS_ADDRESS } from "./expand.js";

export { addressHeader, expandAddresses, NS_ADDRESS, type Expansion, type MulticastCopy } from "./expand.js";

/**
 * XEP-0033 Extended Stanza Addressing: the server itself is the multicast service of its users (§2.2). A
 * message or presence sent to the server's domain with an <addresses/> header is expanded into one copy per
 * 'to', 'cc' and 'bcc' address (§6), each routed like a stanza the user sent to that address (so remote
 * addresses go to s2s). Available presence sent this way is remembered so that the matching unavailable
 * presence reaches the same entities (§5.1).
 */
export default defineModule({
  id: "addressing",
  xeps: [{ xep: 33, version: "1.2.1", status: "complete", note: "the server is the multicast service of its own users; 'uri' addresses, optional in §4.2, are refused" }],
  config: z.strictObject({
    /** Most 'to' + 'cc' + 'bcc' addresses in one stanza (§9: configurable, more than 20 and less than 100). */
    maxAddresses: z.number().int().min(1).max(1000).default(50),
  }),
  disco: { features: [NS_ADDRESS] },
  setup(api) {
    /** §5.1: per sender (full JID), the entities it sent available presence to through the service. */
    const directed = new Map<string, Set<string>>();

    const unavailableToTracked = (sender: string, except: ReadonlySet<string> = new Set()) => {
      const sentTo = directed.get(sender);
      if (!sentTo) return;
      directed.delete(sender);
      for (const to of sentTo) if (!except.has(to)) api.send(xml("presence", { type: "unavailable", from: sender, to }));
    };

    const multicast = (event: StanzaEvent): boolean => {
      const { stanza, from, to, origin } = event;
      // §3: the outer stanza is addressed to the service itself; anything else is not for us.
      if (to.resource || !addressHeader(stanza)) return false;
      const refuse = (error: StanzaError) => {
        const reply = errorReply(stanza, error);
        if (reply) {
          if (origin) origin.send(reply);
          else api.send(reply);
        }
        return true;
      };
      // §2.2: the service serves this server's own users; relaying for others is <forbidden/>, for every
      // address (local ones included).
      if (!from.local || !api.server.isLocalHost(from.domain)) {
        return refuse(new StanzaError("forbidden", "this multicast service is for local users only"));
      }
      const type = stanza.attrs.type;
      // Presence through the service is directed presence (§5.1). Subscription requests and answers need
      // the sender's own roster processing (RFC 6121 §3), which a relayed copy would bypass.
      if (stanza.name === "presence" && type !== undefined && type !== "unavailable") {
        return refuse(new StanzaError("bad-request", "only available and unavailable presence can be multicast"));
      }
      const result = expandAddresses(stanza, api.config.maxAddresses);
      if (!result.ok) return refuse(result.error);
      for (const copy of result.copies) api.send(copy.stanza);
      if (stanza.name === "presence") {
        const reached = new Set(result.copies.map((c) => c.to.full));
        if (type === undefined) {
          const set = directed.get(from.full) ?? new Set<string>();
          for (const jid of reached) set.add(jid);
          directed.set(from.full, set);
        } else {
          unavailableToTracked(from.full, reached);
        }
      }
      return true;
    };
    api.hook("message:host", multicast);
    api.hook("presence:host", multicast);

    // The sender goes offline (broadcast unavailable presence, or the session ends without it): those
    // that got its available presence through the service learn it, as RFC 6121 §4.6.3 has for directed
    // presence.
    api.hook("presence:bare", ({ origin, stanza, to }) => {
      if (origin?.kind === "c2s" && stanza.attrs.type === "unavailable" && to.bare === origin.bare.full) {
        unavailableToTracked(origin.jid.full);
      }
      return false;
    }, 100);
    api.hook("session:closed", ({ session }) => {
      unavailableToTracked(session.jid.full);
    });
  },
});
