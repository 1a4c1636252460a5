import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import clone from "ltx/lib/clone.js";
import type { StanzaEvent } from "../../src/hooks.js";
import { decideBareMessage, decideFullMessage, messageType } from "../../src/im/delivery.js";
import type { Jid } from "../../src/jid.js";
import { defineModule, type IqContext } from "../../src/modules.js";
import type { ClientSession } from "../../src/session/types.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { NS_CARBONS, shouldCopy, type Direction } from "./should-copy.js";

export { shouldCopy, type Direction } from "./should-copy.js";

const NS_RULES = "urn:xmpp:carbons:rules:0";
const NS_FORWARD = "urn:xmpp:forward:0";
/** session.data key: carbons enabled on this session (§4, §5). */
const ENABLED = "carbons";
/**
 * Received copies are made on `message:bare` / `message:full` just above the core's delivery (-1000): after
 * policy modules (blocking) and stanza-id (-950), so copies carry the recipient's stanza-id, and with the
 * same delivery decision the core is about to apply.
 */
export const CARBONS_PRIORITY = -990;

/**
 * The copy one resource gets (§7, §8): from the account's bare JID, to that resource, same type, the
 * original inside <sent/> or <received/> and XEP-0297 <forwarded/>. `original` must carry
 * xmlns='jabber:client' (XEP-0297 §3.2 rule 3), which `forwardable` ensures.
 */
export function carbonCopy(direction: Direction, original: Element, owner: string, to: string): Element {
  return xml("message", { from: owner, to, type: original.attrs.type },
    xml(direction, { xmlns: NS_CARBONS }, xml("forwarded", { xmlns: NS_FORWARD }, original)));
}

/** A copy of the message to forward, with its namespace written out (XEP-0297 §3.2 rule 3). */
export function forwardable(stanza: Element): Element {
  const copy = clone(stanza);
  copy.attrs.xmlns = "jabber:client";
  return copy;
}

/**
 * XEP-0280 Message Carbons: each resource that enables carbons gets a copy of the messages its account
 * sends from its other resources (§8) and of the messages for its account that went to another resource
 * (§7), following the eligibility rules of §6.1, which it advertises (§6.2).
 */
export default defineModule({
  id: "carbons",
  xeps: [
    { xep: 280, version: "1.0.1", status: "complete", note: "the §6.1 rules, advertised as urn:xmpp:carbons:rules:0" },
    { xep: 297, version: "1.0", status: "complete", note: "for carbon copies" },
  ],
  disco: { features: [NS_CARBONS, NS_RULES] },
  setup(api) {
    const enabled = (s: ClientSession) => s.data.get(ENABLED) === true;

    // §4, §5 and §10.1: enable and disable any number of times; only for the client's own session
    // (<not-allowed/> for anyone else, §4.1 and §5.1).
    const toggle = (on: boolean) => ({ origin, from, to }: IqContext) => {
      const own = to.local ? to.bare === from.bare : to.domain === from.domain;
      if (!origin || origin.kind !== "c2s" || !own) return new StanzaError("not-allowed");
      if (on) origin.data.set(ENABLED, true);
      else origin.data.delete(ENABLED);
      return null;
    };
    for (const target of ["bare", "host"] as const) {
      api.iq("set", NS_CARBONS, "enable", toggle(true), { to: target });
      api.iq("set", NS_CARBONS, "disable", toggle(false), { to: target });
    }

    /** Wrap once, send to each target (the forwarded original is serialised per copy but cloned once). */
    const send = (direction: Direction, stanza: Element, owner: string, targets: readonly ClientSession[]) => {
      if (targets.length === 0) return;
      const original = forwardable(stanza);
      for (const s of targets) s.send(carbonCopy(direction, original, owner, s.jid.full));
    };

    // §8: what a client sends goes, as <sent/>, to the account's other enabled resources, whether or not
    // the sender enabled carbons. Lowest priority on stanza:pre: after blocking and rate limits, which
    // may stop the message. A message to the user's own account is copied by the §7 rules instead.
    api.hook("stanza:pre", ({ origin, stanza, to }) => {
      if (origin?.kind !== "c2s" || stanza.name !== "message" || to.bare === origin.bare.full) return false;
      const targets = api.sessions.resources(origin.bare.full).filter((s) => s !== origin && enabled(s));
      if (targets.length > 0 && shouldCopy(stanza, "sent")) send("sent", stanza, origin.bare.full, targets);
      return false;
    }, -1000);

    /**
     * Which resources get the original under RFC 6121 §8.5 (the core's own decision functions): [] when
     * it goes to offline storage, null when it is bounced or dropped (nothing is delivered, nothing copied).
     */
    const recipients = (stanza: Element, to: Jid, full: boolean): readonly ClientSession[] | null => {
      const type = messageType(stanza);
      if (full) {
        const d = decideFullMessage(type, api.sessions.get(to.full));
        if (d.action === "deliver") return [d.to];
        if (d.action !== "as-bare") return null;
      }
      const d = decideBareMessage(type, api.sessions.resources(to.bare));
      if (d.action === "deliver") return d.to;
      return d.action === "offline" ? [] : null;
    };

    // §7: a copy to each enabled resource that does not get the original (never a second copy to a
    // resource that does, e.g. the several top-priority resources of a message to the bare JID), nor to
    // the sending resource when a user writes to its own account. When the original is stored offline,
    // resources that have not sent initial presence get it from storage when they do, not as a copy.
    const received = (full: boolean) => (event: StanzaEvent): boolean => {
      const owner = event.to.bare;
      const resources = api.sessions.resources(owner);
      if (!resources.some(enabled) || !shouldCopy(event.stanza, "received")) return false;
      const got = recipients(event.stanza, event.to, full);
      if (got === null) return false;
      const targets = resources.filter((s) =>
        enabled(s) && !got.includes(s) && s !== event.origin && (got.length > 0 || s.presence !== null));
      send("received", event.stanza, owner, targets);
      return false;
    };
    api.hook("message:bare", received(false), CARBONS_PRIORITY);
    api.hook("message:full", received(true), CARBONS_PRIORITY);
  },
});
