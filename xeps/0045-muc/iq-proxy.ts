/**
 * IQs between occupants through their occupant JIDs (XEP-0045 §17.4 rule 3): the room forwards a request
 * from one occupant to another's real JID under the sender's occupant JID and a new id, and the answer back
 * under the recipient's occupant JID and the original id, so neither learns the other's real JID. vCard
 * requests go to the recipient's account (bare JID), which answers for it (XEP-0054 §3.3, XEP-0153 in rooms);
 * everything else to the occupant's shown session. Unanswered requests are forgotten after a minute.
 */
import type { Element } from "ltx";
import { clone } from "ltx";
import { randomBytes } from "node:crypto";
import { xml } from "@xmpp/xml";
import type { StanzaEvent } from "../../src/hooks.js";
import type { ServiceContext } from "./context.js";
import { NS_VCARD } from "./ns.js";
import type { Occupant, Room } from "./room.js";

const TTL_MS = 60_000;

interface Pending {
  /** The requester's real full JID, and the id it used. */
  requester: string;
  id: string;
  /** Who must answer (the real JID the request went to), and as whom the answer comes back. */
  responder: string;
  as: string;
  expires: number;
}

export class IqProxy {
  private readonly pending = new Map<string, Pending>();

  forward(ctx: ServiceContext, sender: Occupant, target: Occupant, event: StanzaEvent): void {
    const iq = event.stanza;
    const payload = iq.getChildElements()[0];
    const responder = payload?.name === "vCard" && payload.attrs.xmlns === NS_VCARD ? target.bare : target.primary.full;
    const id = randomBytes(12).toString("base64url");
    this.pending.set(id, { requester: event.from.full, id: iq.attrs.id, responder, as: target.jid, expires: Date.now() + TTL_MS });
    ctx.route(xml("iq", { type: iq.attrs.type, id, from: sender.jid, to: responder }, payload ? clone(payload) as Element : null));
  }

  /** An IQ result or error to an occupant JID: the answer to a forwarded request, if it is one (true when handled). */
  answer(ctx: ServiceContext, room: Room, event: StanzaEvent): boolean {
    const p = this.pending.get(event.stanza.attrs.id);
    if (!p || (event.from.full !== p.responder && event.from.bare !== p.responder)) return false;
    this.pending.delete(event.stanza.attrs.id);
    if (room.destroyed) return true;
    const reply = xml("iq", { type: event.stanza.attrs.type, id: p.id, from: p.as, to: p.requester });
    for (const c of event.stanza.children) if (typeof c !== "string") reply.cnode(clone(c) as Element);
    ctx.route(reply);
    return true;
  }

  sweep(now: number): void {
    for (const [id, p] of this.pending) if (p.expires <= now) this.pending.delete(id);
  }
}
