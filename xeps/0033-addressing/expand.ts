/**
 * XEP-0033 Extended Stanza Addressing, the multicast service's part (§4, §6, §9): check the address header
 * of a stanza sent to the service and expand it into one stanza per recipient, as a pure function.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import clone from "ltx/lib/clone.js";
import { parseJid, type Jid } from "../../src/jid.js";
import { StanzaError } from "../../src/xml/stanza-error.js";

export const NS_ADDRESS = "http://jabber.org/protocol/address";

/** Address types the service delivers to (§4.6.1-3); the others only inform the recipients. */
const DELIVERED_TYPES = new Set(["to", "cc", "bcc"]);

export interface MulticastCopy {
  readonly to: Jid;
  readonly stanza: Element;
}

export type Expansion = { ok: true; copies: MulticastCopy[] } | { ok: false; error: StanzaError };

interface Entry {
  readonly el: Element;
  /** Set for an address this service delivers to now. */
  readonly jid?: Jid;
}

const fail = (condition: "bad-request" | "jid-malformed" | "not-acceptable", text: string): Expansion =>
  ({ ok: false, error: new StanzaError(condition, text) });

/** The address header of a stanza, or undefined when it has none (then it is not for the multicast service). */
export function addressHeader(stanza: Element): Element | undefined {
  return stanza.getChild("addresses", NS_ADDRESS);
}

/**
 * Expand a stanza addressed to the multicast service into the copies to route. Nothing is delivered when
 * anything is wrong (§6 step 5): an invalid address is <bad-request/>, a 'uri' address (this service knows
 * no URI scheme, §4.2, §9) or an unparseable 'jid' is <jid-malformed/>, more than `maxAddresses` recipients
 * is <not-acceptable/> (§9).
 */
export function expandAddresses(stanza: Element, maxAddresses: number): Expansion {
  const headers = stanza.getChildren("addresses", NS_ADDRESS);
  if (headers.length !== 1) return fail("bad-request", "a stanza for the multicast service needs exactly one <addresses/>");
  const entries: Entry[] = [];
  for (const el of headers[0]!.getChildElements()) {
    if (el.name !== "address") continue;
    const { type, jid, uri, node, desc, delivered } = el.attrs as Record<string, string | undefined>;
    // §4: a type; at least one of jid, uri, node, desc (but §4.6.6: 'noreply' carries no address
    // information, so an empty one is accepted); never jid with uri (§4.1) nor uri with node (§4.3).
    if (!type) return fail("bad-request", "an <address/> needs a 'type'");
    if (type !== "noreply" && jid === undefined && uri === undefined && node === undefined && desc === undefined) {
      return fail("bad-request", "an <address/> needs a 'jid', 'uri', 'node' or 'desc'");
    }
    if (jid !== undefined && uri !== undefined) return fail("bad-request", "an <address/> cannot have both 'jid' and 'uri'");
    if (uri !== undefined && node !== undefined) return fail("bad-request", "an <address/> cannot have both 'uri' and 'node'");
    // §4.2: support for 'uri' is optional; a scheme the service does not understand is <jid-malformed/>.
    if (uri !== undefined) return fail("jid-malformed", `this multicast service delivers to no URI scheme: ${uri}`);
    // §4: through a multicast service every address but 'noreply' names a 'jid' (or a 'uri').
    if (jid === undefined) {
      if (type !== "noreply") return fail("bad-request", `an <address type='${type}'/> sent to a multicast service needs a 'jid'`);
      entries.push({ el });
      continue;
    }
    const parsed = parseJid(jid);
    if (!parsed.ok) return fail("jid-malformed", `invalid address ${jid}: ${parsed.error}`);
    // §4.5: never deliver again to an address already marked delivered (loop prevention).
    const deliver = DELIVERED_TYPES.has(type) && delivered !== "true";
    entries.push(deliver ? { el, jid: parsed.jid } : { el });
  }
  const recipients = entries.filter((e) => e.jid);
  if (recipients.length === 0) return fail("bad-request", "no 'to', 'cc' or 'bcc' address left to deliver to");
  if (recipients.length > maxAddresses) return fail("not-acceptable", `at most ${maxAddresses} addresses per stanza`);

  // §6 steps 6-8: every delivered address is marked delivered='true'; 'bcc' addresses are removed, except
  // that each 'bcc' recipient sees its own.
  const header = (own?: Entry) => xml("addresses", { xmlns: NS_ADDRESS },
    entries.flatMap((e) => {
      if (e.el.attrs.type === "bcc") return e === own ? [clone(e.el)] : [];
      const copy = clone(e.el);
      if (e.jid) copy.attrs.delivered = "true";
      return [copy];
    }));
  const shared = header();
  const seen = new Set<string>();
  const copies: MulticastCopy[] = [];
  for (const e of recipients) {
    const to = e.jid!;
    // The same recipient listed twice (say 'to' and 'cc') gets one copy.
    if (seen.has(to.full)) continue;
    seen.add(to.full);
    const copy = clone(stanza);
    copy.children = copy.children.map((c) => {
      if (typeof c === "string" || c.name !== "addresses" || c.attrs.xmlns !== NS_ADDRESS) return c;
      const own = e.el.attrs.type === "bcc" ? header(e) : clone(shared);
      own.parent = copy;
      return own;
    });
    // §3: the 'from' stays the sender's; §6 step 8: 'to' becomes the addressee.
    copy.attrs.to = to.full;
    copies.push({ to, stanza: copy });
  }
  return { ok: true, copies };
}
