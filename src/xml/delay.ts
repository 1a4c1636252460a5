/** XEP-0203 Delayed Delivery: mark a stanza as delivered later than it was sent (offline messages, probes). */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";

export const NS_DELAY = "urn:xmpp:delay";

/** XEP-0082 DateTime in UTC with millisecond precision ("2026-11-21T09:00:00.000Z"). */
export const xmppDateTime = (ms: number): string => new Date(ms).toISOString();

/**
 * Add a <delay/> (XEP-0203 §3) stamped `when`, from `from` (the entity that delayed it), unless the stanza
 * already carries one from the same entity (§3: each delaying entity adds at most one).
 */
export function addDelay(stanza: Element, when: number, from: string, reason?: string): Element {
  const existing = stanza.getChildren("delay", NS_DELAY).find((d) => d.attrs.from === from);
  if (!existing) stanza.cnode(xml("delay", { xmlns: NS_DELAY, from, stamp: xmppDateTime(when) }, reason ?? null));
  return stanza;
}
