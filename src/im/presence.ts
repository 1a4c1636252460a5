/**
 * RFC 6121 §4 presence: outbound presence of local clients (initial presence and probes §4.2, updates §4.4,
 * unavailable §4.5, directed presence §4.6), the unavailable presence a session leaves behind when it ends
 * (§4.5.2, clean or not), inbound presence for local accounts (§4.2.3, §4.4.3, §4.5.3, §8.5.2.1.2, §8.5.3),
 * and probe answers (§4.3.2, §4.6.6) with XEP-0203 delay stamps. Subscription stanzas go to subscriptions.ts.
 *
 * Everything the server sends on a user's behalf to other accounts goes through the router, one stanza per
 * recipient, so `stanza:pre` handlers (blocking, privacy) see each one and remote contacts go to s2s.
 */
import { clone, type Element } from "ltx";
import { xml } from "@xmpp/xml";
import type { StanzaEvent } from "../hooks.js";
import { parseJid } from "../jid.js";
import type { ClientSession } from "../session/types.js";
import { addDelay } from "../xml/delay.js";
import { StanzaError } from "../xml/stanza-error.js";
import { bareJid, deliverToAvailable, send, type ImContext } from "./context.js";
import {
  answerProbe, broadcastPlan, directedUnavailableTargets, isAvailable, noteDirected, presenceKind, presencePriority,
} from "./presence-rules.js";
import { imState, peekImState } from "./session-state.js";
import type { SubscriptionType } from "./subscription-states.js";
import { deliverPendingRequests, inboundSubscription, outboundSubscription } from "./subscriptions.js";

/** A copy of a stanza addressed to one session of the account (the user's own resources, §4.2.2, §4.4.2). */
function copyTo(stanza: Element, session: ClientSession): Element {
  const c = clone(stanza);
  c.attrs.to = session.jid.full;
  return c;
}

/**
 * `stanza:pre` for presence from local clients: the outbound half of §3 and §4. Returns true when the IM core
 * has taken the stanza (broadcast presence, subscription stanzas, invalid types); directed presence, probes and
 * errors continue to the router as addressed.
 */
export function outboundPresence(ctx: ImContext, event: StanzaEvent): boolean {
  const { origin, stanza } = event;
  if (stanza.name !== "presence" || origin?.kind !== "c2s") return false;
  const type = stanza.attrs.type;
  const broadcast = stanza.attrs.to === undefined;
  switch (presenceKind(type)) {
    case "invalid":
      // §4.7.1: an unknown type SHOULD be answered with bad-request.
      ctx.bounce(event, new StanzaError("bad-request", `unknown presence type "${type}"`));
      return true;
    case "subscription":
      outboundSubscription(ctx, event, origin, type as SubscriptionType);
      return true;
    case "available":
      if (broadcast) { becomeAvailable(ctx, origin, stanza); return true; }
      noteDirected(imState(origin).directed, origin.bare, event.to, true);
      return false;
    case "unavailable":
      if (broadcast) { becomeUnavailable(ctx, origin, stanza); return true; }
      noteDirected(imState(origin).directed, origin.bare, event.to, false);
      return false;
    case "error":
      // A presence error goes to whoever it answers; without an address it answers nothing.
      return broadcast;
    case "probe":
      // §4.3: a client SHOULD NOT probe, but if it does the probe is processed like any other.
      return false;
  }
}

/** §4.2.2 initial presence and §4.4.2 presence updates: a presence with no 'to' and no 'type'. */
function becomeAvailable(ctx: ImContext, session: ClientSession, stanza: Element): void {
  const owner = session.bare;
  const initial = session.presence === null;
  // What message delivery (§8.5.2.1.1) and probe answers (§4.3.2) read, set before anything else can happen.
  session.presence = stanza;
  session.priority = presencePriority(stanza);
  imState(session).presenceAt = Date.now();
  const resources = ctx.sessions.resources(owner.bare);
  // The user's available resources, this one included (an entity is implicitly subscribed to itself).
  for (const s of resources) if (isAvailable(s)) s.send(copyTo(stanza, s));
  // A new presence session also learns about the account's other available resources.
  if (initial) for (const s of resources) if (s !== session && isAvailable(s)) session.send(copyTo(s.presence!, session));
  ctx.queue.run(owner.bare, async () => {
    const plan = broadcastPlan(await ctx.store.items(owner.bare));
    for (const c of plan.subscribers) send(ctx, clone(stanza), session.jid, bareJid(c));
    if (!initial) return;
    // §4.2.2 / §4.3.1: probes from the user's bare JID, to local and remote contacts alike.
    for (const c of plan.probes) send(ctx, xml("presence", { type: "probe" }), owner, bareJid(c));
    // §3.1.2: a request to a remote contact that is still unanswered is sent again when a resource becomes
    // available (it may have been lost on the way). A local contact's server keeps it until answered.
    for (const c of plan.pendingOut) {
      const to = bareJid(c);
      if (!ctx.server.isLocalHost(to.domain)) send(ctx, xml("presence", { type: "subscribe", id: `resend-${Date.now().toString(36)}` }), owner, to);
    }
    if (ctx.sessions.get(session.jid.full) !== session || session.presence === null) return;
    // §3.1.3 rule 4: requests waiting for an answer are delivered each time a resource becomes available.
    await deliverPendingRequests(ctx, session);
    ctx.hooks.fire("presence:initial", { session });
  }).catch((err) => ctx.log.error("presence broadcast failed", { jid: session.jid.full, err }));
}

/**
 * §4.5.2 unavailable presence (the client's own, or one generated when its session ends) and §4.6.3: the
 * user's resources, the subscribers, and every entity that got directed presence from this resource.
 */
function becomeUnavailable(ctx: ImContext, session: ClientSession, stanza: Element): void {
  const owner = session.bare;
  const wasAvailable = session.presence !== null;
  const state = imState(session);
  const directed = [...state.directed];
  session.presence = null;
  session.priority = 0;
  state.directed.clear();
  if (wasAvailable) {
    // §4.5.2: "to all of the user's available resources (as well as to the resource that generated the
    // unavailable presence in the first place)"; a session that has ended is no longer among them.
    for (const s of ctx.sessions.resources(owner.bare)) if (isAvailable(s) || s === session) s.send(copyTo(stanza, s));
  }
  if (!wasAvailable && directed.length === 0) return;
  ctx.queue.run(owner.bare, async () => {
    const subscribers = wasAvailable ? broadcastPlan(await ctx.store.items(owner.bare)).subscribers : [];
    for (const c of subscribers) send(ctx, clone(stanza), session.jid, bareJid(c));
    for (const j of directedUnavailableTargets(directed, new Set(subscribers))) {
      const to = parseJid(j);
      if (to.ok) send(ctx, clone(stanza), session.jid, to.jid);
    }
    // §4.3.2 rule 3: when the account's last resource goes, remember when (probe answers carry it).
    if (wasAvailable && !ctx.sessions.resources(owner.bare).some(isAvailable)) {
      await ctx.lastUnavailable.set(owner.bare, { t: Date.now() });
    }
  }).catch((err) => ctx.log.error("unavailable broadcast failed", { jid: session.jid.full, err }));
}

/** `session:closed`: §4.5.2 "if the server detects that the user has gone offline ungracefully". */
export function sessionEnded(ctx: ImContext, session: ClientSession): void {
  if (session.presence === null && !peekImState(session)?.directed.size) return;
  becomeUnavailable(ctx, session, xml("presence", { type: "unavailable", from: session.jid.full }));
}

/** `presence:bare`: presence for a local account's bare JID (§8.5.2.1.2, §8.5.2.2.2). */
export function inboundBare(ctx: ImContext, event: StanzaEvent): boolean {
  const type = event.stanza.attrs.type;
  switch (presenceKind(type)) {
    case "available":
    case "unavailable":
    case "error":
      // To all available resources; with none, silently ignored (§8.5.2.2.2).
      deliverToAvailable(ctx, event.to.bare, event.stanza);
      return true;
    case "subscription":
      inboundSubscription(ctx, event, type as SubscriptionType);
      return true;
    case "probe":
      answerProbeEvent(ctx, event);
      return true;
    case "invalid":
      ctx.bounce(event, new StanzaError("bad-request", `unknown presence type "${type}"`));
      return true;
  }
}

/** `presence:full`: presence for one resource of a local account (§8.5.3). */
export function inboundFull(ctx: ImContext, event: StanzaEvent): boolean {
  const type = event.stanza.attrs.type;
  const session = ctx.sessions.get(event.to.full);
  switch (presenceKind(type)) {
    case "available":
    case "unavailable":
    case "error":
      // §8.5.3.1 deliver; §8.5.3.2.2 no such resource: silently ignored.
      if (!session) return true;
      // §4.6.1: an entity that sends unavailable presence to the user leaves the directed-presence list.
      if (type === "unavailable") peekImState(session)?.directed.delete(event.from.full);
      session.send(event.stanza);
      return true;
    case "subscription":
      // §3.1.3 / §8.5.3.2.2: a subscribe to a full JID is handled as to the bare JID; the other types only when
      // the resource exists (§8.5.3.1), otherwise ignored.
      if (type === "subscribe" || session) inboundSubscription(ctx, event, type as SubscriptionType);
      return true;
    case "probe":
      answerProbeEvent(ctx, event);
      return true;
    case "invalid":
      ctx.bounce(event, new StanzaError("bad-request", `unknown presence type "${type}"`));
      return true;
  }
}

/** §4.3.2 (bare or full JID probed) and §4.6.6: answer a probe for a local account. */
function answerProbeEvent(ctx: ImContext, event: StanzaEvent): void {
  const requester = event.from;
  const target = event.to;
  const owner = target.toBare();
  const id = event.stanza.attrs.id;
  const answer = async () => {
    const subscribed = requester.bare === owner.bare || (await ctx.store.isSubscriber(owner.bare, requester.bare));
    const a = answerProbe({
      requester, target, subscribed,
      resources: ctx.sessions.resources(owner.bare),
      directed: (s) => imState(s).directed,
    });
    switch (a.kind) {
      case "unsubscribed":
        // Rule 1: from the bare JID (a full JID would leak presence); the probe's id mirrored (§4.3.2.1).
        send(ctx, xml("presence", { type: "unsubscribed", id }), owner, requester);
        return;
      case "unavailable": {
        // Rule 3: from the address probed, mirroring the probe's id (§4.3.2.1), with the time the account
        // last went unavailable when known.
        const p = xml("presence", { type: "unavailable", id });
        const last = await ctx.lastUnavailable.get(owner.bare);
        if (last && typeof last === "object" && !Array.isArray(last) && typeof last.t === "number") addDelay(p, last.t, owner.domain);
        send(ctx, p, target, requester);
        return;
      }
      case "presence":
        for (const s of a.from) {
          // Rule 4: the full XML of the resource's last presence, its own id kept (§4.3.2.1), stamped with
          // when it was sent (XEP-0203 §3, the server being the entity that delayed it). A mere presence
          // (§4.3.2 full-JID probes, §4.6.6) says only that the resource is available.
          const p = a.mere || !s.presence ? xml("presence") : addDelay(clone(s.presence), imState(s).presenceAt, owner.domain);
          send(ctx, p, s.jid, requester);
        }
        return;
    }
  };
  // In the account's queue: an answer never overtakes the account's own broadcasts (or the unavailable time
  // they record).
  ctx.queue.run(owner.bare, answer).catch((err) => ctx.log.error("probe answer failed", { owner: owner.bare, err }));
}
