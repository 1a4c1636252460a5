/**
 * RFC 6121 §3 presence subscriptions: the server side of the four subscription stanzas, outbound (a local
 * client sends one, A.2) and inbound (one arrives for a local account, from a local or remote contact, A.3).
 * The state machine is subscription-states.ts; this file loads and stores state, routes, delivers, pushes
 * and answers. Every change of one account runs in that account's queue.
 */
import { clone, type Element } from "ltx";
import { parseXml } from "../xml/element.js";
import { xml } from "@xmpp/xml";
import type { StanzaEvent } from "../hooks.js";
import type { Jid } from "../jid.js";
import type { ClientSession } from "../session/types.js";
import { StanzaError } from "../xml/stanza-error.js";
import {
  bareJid, deliverToAvailable, deliverToInterested, presenceFromResources, pushToInterested, send, type ImContext,
} from "./context.js";
import type { RosterItem } from "./roster-store.js";
import { inbound, outbound, type SubState, type SubscriptionType } from "./subscription-states.js";

/** Roster items per account (a policy limit: a roster set or subscription adding the next one is refused). */
export const MAX_ROSTER_ITEMS = 1000;
/** Inbound requests stored per account (§3.1.3 security warning: storing them can be abused). */
export const MAX_PENDING_REQUESTS = 500;

export const rosterFull = () => new StanzaError("not-allowed", `the roster is full (at most ${MAX_ROSTER_ITEMS} items)`);

export function subStateOf(item: RosterItem | undefined, pendingIn: boolean): SubState {
  return {
    subscription: item?.subscription ?? "none",
    ask: item?.ask === "subscribe",
    pendingIn,
    approved: item?.approved === true,
  };
}

function withState(item: RosterItem | undefined, contact: string, s: SubState): Omit<RosterItem, "ver"> {
  return {
    jid: contact,
    name: item?.name,
    groups: item?.groups ?? [],
    subscription: s.subscription,
    ask: s.ask ? "subscribe" : undefined,
    approved: s.approved || undefined,
  };
}

async function accountExists(ctx: ImContext, jid: Jid): Promise<boolean> {
  return jid.local !== "" && (await ctx.accounts.get(jid.domain, jid.local)) !== undefined;
}

function failed(ctx: ImContext, event: StanzaEvent | null, what: string) {
  return (err: unknown) => {
    ctx.log.error(what, { err });
    if (event) ctx.bounce(event, new StanzaError("internal-server-error"));
  };
}

/**
 * A client sent a subscription stanza (§3.1.2, §3.1.5, §3.2.2, §3.3.2, §3.4.2). `event.to` is where the
 * client addressed it (its own bare JID when it gave no 'to').
 */
export function outboundSubscription(ctx: ImContext, event: StanzaEvent, session: ClientSession, type: SubscriptionType): void {
  const owner = session.bare;
  // §3.1.2 rule 1: a subscription stanza to a full JID is handled as if addressed to the bare JID.
  const contact = event.to.toBare();
  if (contact.bare === owner.bare) return selfSubscription(session, type);
  ctx.queue.run(owner.bare, async () => {
    const [item, pending] = await Promise.all([ctx.store.item(owner.bare, contact.bare), ctx.store.pendingRequest(owner.bare, contact.bare)]);
    const t = outbound(subStateOf(item, pending !== undefined), type);
    let stored: Awaited<ReturnType<typeof ctx.store.put>> | null = null;
    if (t.push) {
      if (!item && (await ctx.store.state(owner.bare)).items >= MAX_ROSTER_ITEMS) return ctx.bounce(event, rosterFull());
      stored = await ctx.store.put(owner.bare, withState(item, contact.bare, t.state));
    }
    if (pending && !t.state.pendingIn) await ctx.store.removePendingRequest(owner.bare, contact.bare);
    if (stored) ctx.hooks.fire("roster:changed", { owner, contact, removed: false });
    // §3.2.2: while the contact is still subscribed, it sees each available resource go unavailable.
    if (t.presence === "unavailable") presenceFromResources(ctx, owner.bare, contact, "unavailable");
    // §3 implementation note: stamped with the user's bare JID, never the full JID.
    if (t.forward) send(ctx, clone(event.stanza), owner, contact);
    // §3.1.2, §3.1.5, §3.2.2, §3.3.2: the roster push follows the routed stanza.
    if (stored) pushToInterested(ctx, owner.bare, stored.item, stored.version);
    // §3.1.5: the newly subscribed contact gets the current presence of each available resource.
    if (t.presence === "available") presenceFromResources(ctx, owner.bare, contact, "available");
  }).catch(failed(ctx, event, "outbound subscription failed"));
}

/**
 * Subscription stanzas to the user's own bare JID. An entity is implicitly subscribed to its own presence
 * (§4.2.2), so the relationship is "Both" and needs no roster item (§2.3.3 interoperability note: servers may
 * refuse one with not-allowed, as the roster set handler does). A subscribe is answered with "subscribed" as
 * A.3.1 [2] does for "Both"; the other types would change nothing (A.2.2-A.2.4 on "Both" are about a contact,
 * and the self-subscription cannot end) and are dropped.
 */
function selfSubscription(session: ClientSession, type: SubscriptionType): void {
  if (type === "subscribe") session.send(xml("presence", { type: "subscribed", from: session.bare.full, to: session.jid.full }));
}

/** A subscription stanza arrived for a local account (§3.1.3, §3.1.6, §3.2.3, §3.3.3, Appendix A.3). */
export function inboundSubscription(ctx: ImContext, event: StanzaEvent, type: SubscriptionType): void {
  const owner = event.to.toBare();
  const contact = event.from.toBare();
  // The user's own subscription stanzas are answered on the way out (selfSubscription).
  if (owner.bare === contact.bare) return;
  ctx.queue.run(owner.bare, async () => {
    // Nothing is stored for an account that does not exist (the other types need a roster item or a stored
    // request, which only existing accounts have). A remote sender is ignored (§8.5.1), so it learns nothing;
    // a local user is told, as §3.1.2 asks of the user's server when "the local contact does not exist".
    if (type === "subscribe" && !(await accountExists(ctx, owner))) {
      if (ctx.server.isLocalHost(contact.domain)) ctx.bounce(event, new StanzaError("service-unavailable", "no such account"));
      return;
    }
    const [item, pending] = await Promise.all([ctx.store.item(owner.bare, contact.bare), ctx.store.pendingRequest(owner.bare, contact.bare)]);
    const t = inbound(subStateOf(item, pending !== undefined), type);
    if (t.state.pendingIn && !pending) {
      // §3.1.3 rule 4: the complete stanza is kept and delivered whenever the user becomes available, until
      // answered; one per contact, and a bounded number per account (security warning of §3.1.3).
      if ((await ctx.store.pendingRequests(owner.bare)).length >= MAX_PENDING_REQUESTS) {
        ctx.log.warn("too many pending subscription requests; request dropped", { owner: owner.bare });
        return;
      }
      await ctx.store.addPendingRequest(owner.bare, { contact: contact.bare, stanza: event.stanza.toString(), at: Date.now() });
    } else if (!t.state.pendingIn && pending) {
      await ctx.store.removePendingRequest(owner.bare, contact.bare);
    }
    const stored = t.push ? await ctx.store.put(owner.bare, withState(item, contact.bare, t.state)) : null;
    if (stored) ctx.hooks.fire("roster:changed", { owner, contact, removed: false });
    if (t.forward) {
      // §3.1.3 rule 3: a request goes to the available resources; the notifications of §3.1.6, §3.2.3 and
      // §3.3.3 go to the interested ones, before the roster push. The 'to' is not rewritten (§8.5.2.1.2).
      if (type === "subscribe") deliverToAvailable(ctx, owner.bare, event.stanza);
      else deliverToInterested(ctx, owner.bare, event.stanza);
    }
    if (stored) pushToInterested(ctx, owner.bare, stored.item, stored.version);
    // §3.3.3 step 3: the former subscriber sees each available resource go unavailable.
    if (t.presence === "unavailable") presenceFromResources(ctx, owner.bare, contact, "unavailable");
    if (t.autoReply) send(ctx, xml("presence", { type: t.autoReply }), owner, contact);
    if (t.presence === "available") presenceFromResources(ctx, owner.bare, contact, "available");
  }).catch(failed(ctx, null, "inbound subscription failed"));
}

/** §3.1.3 rule 4: deliver the stored requests to a resource that just became available. */
export async function deliverPendingRequests(ctx: ImContext, session: ClientSession): Promise<void> {
  for (const r of await ctx.store.pendingRequests(session.bare.full)) {
    const stanza = parseXml(r.stanza);
    if (!stanza) {
      ctx.log.error("unreadable stored subscription request", { owner: session.bare.full, contact: r.contact });
      continue;
    }
    session.send(stanza);
  }
}

/**
 * End everything between the owner and a contact whose item is removed (§2.5.2) or whose account is deleted:
 * "unsubscribe" if the owner is subscribed to the contact or asked to be, "unsubscribed" (after unavailable
 * presence, §3.2.2) if the contact is subscribed to the owner, or to deny its pending request.
 */
export function endRelationship(ctx: ImContext, owner: Jid, contact: string, item: RosterItem | undefined, pendingIn: boolean): void {
  const to = bareJid(contact);
  const sub = item?.subscription ?? "none";
  if (sub === "to" || sub === "both" || item?.ask === "subscribe") send(ctx, xml("presence", { type: "unsubscribe" }), owner, to);
  if (sub === "from" || sub === "both") {
    presenceFromResources(ctx, owner.bare, to, "unavailable");
    send(ctx, xml("presence", { type: "unsubscribed" }), owner, to);
  } else if (pendingIn) {
    send(ctx, xml("presence", { type: "unsubscribed" }), owner, to);
  }
}
