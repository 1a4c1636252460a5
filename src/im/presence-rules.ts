/**
 * RFC 6121 §4 presence decisions, pure: what kind of presence a stanza is, who receives a broadcast and
 * who is probed, who must learn of unavailability after directed presence, and how a probe is answered.
 */
import type { Element } from "ltx";
import type { Jid } from "../jid.js";
import type { Subscription } from "../modules.js";
import type { ClientSession } from "../session/types.js";
import { isSubscriptionType } from "./subscription-states.js";

export type PresenceKind = "available" | "unavailable" | "subscription" | "probe" | "error" | "invalid";

/** §4.7.1: no 'type' is availability; anything outside the defined values is invalid (bad-request). */
export function presenceKind(type: string | undefined): PresenceKind {
  if (type === undefined) return "available";
  if (type === "unavailable" || type === "probe" || type === "error") return type;
  return isSubscriptionType(type) ? "subscription" : "invalid";
}

/** §4.7.2.3: priority is an integer from -128 to 127, 0 when absent or invalid. */
export function presencePriority(presence: Element): number {
  const text = presence.getChildText("priority");
  if (text === null) return 0;
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= -128 && n <= 127 ? n : 0;
}

export const isAvailable = (s: ClientSession): boolean => s.presence !== null;

export interface BroadcastPlan {
  /** Contacts with a subscription to the user (from/both): they get the user's broadcast (§4.2.2, §4.4.2, §4.5.2). */
  subscribers: string[];
  /** Contacts the user is subscribed to (to/both): probed at initial presence (§4.2.2, §4.3.1). */
  probes: string[];
  /** Contacts the user asked for a subscription and that have not answered ("Pending Out", §3.1.2). */
  pendingOut: string[];
}

export function broadcastPlan(items: readonly { jid: string; subscription: Subscription; ask?: "subscribe" }[]): BroadcastPlan {
  const subscribers: string[] = [];
  const probes: string[] = [];
  const pendingOut: string[] = [];
  for (const i of items) {
    if (i.subscription === "from" || i.subscription === "both") subscribers.push(i.jid);
    if (i.subscription === "to" || i.subscription === "both") probes.push(i.jid);
    if (i.ask === "subscribe") pendingOut.push(i.jid);
  }
  return { subscribers, probes, pendingOut };
}

/** Directed presence entries kept per session, so a client cannot make the server hold unbounded state. */
export const MAX_DIRECTED = 1000;

/**
 * §4.6.1 / §4.6.3: note outbound directed presence. Available presence adds the entity (whatever the
 * subscription: a subscriber also in the list gets one unavailable, see directedUnavailableTargets);
 * unavailable presence removes it. Presence to the user's own account is not directed presence.
 */
export function noteDirected(directed: Set<string>, owner: Jid, to: Jid, available: boolean): void {
  if (to.bare === owner.bare) return;
  if (!available) directed.delete(to.full);
  else if (directed.size < MAX_DIRECTED) directed.add(to.full);
}

/**
 * §4.6.3 rule 2: when the resource becomes unavailable, every entity that got directed presence from it and
 * no unavailable since gets unavailable presence, except bare JIDs that the broadcast to subscribers reaches.
 */
export function directedUnavailableTargets(directed: Iterable<string>, broadcastTo: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const j of directed) if (!broadcastTo.has(j)) out.push(j);
  return out;
}

/** Whether a session sent directed presence to `entity` (as a full JID, or to its bare JID). */
export function sentDirectedTo(directed: ReadonlySet<string>, entity: Jid): boolean {
  return directed.has(entity.full) || directed.has(entity.bare);
}

export type ProbeAnswer =
  /** §4.3.2 rule 1: not subscribed (or no such account): presence of type "unsubscribed" from the bare JID. */
  | { kind: "unsubscribed" }
  /** §4.3.2 rule 3: no available resource: "unavailable" from the probed address, with the last one's time. */
  | { kind: "unavailable" }
  /**
   * §4.3.2 rule 4: the last presence of each of these resources. `mere` (a probe to a full JID, §4.3.2, or an
   * answer on the strength of directed presence, §4.6.6): only the fact of availability, no child elements.
   */
  | { kind: "presence"; from: readonly ClientSession[]; mere: boolean };

export interface ProbeInput {
  /** Who probes (the probe's 'from'). */
  requester: Jid;
  /** What is probed (the probe's 'to'): an account's bare JID or one resource's full JID. */
  target: Jid;
  /** Whether the requester's bare JID has a subscription (from/both) on the target account's roster. */
  subscribed: boolean;
  /** The target account's bound sessions. */
  resources: readonly ClientSession[];
  /** The directed-presence list of a session. */
  directed(session: ClientSession): ReadonlySet<string>;
}

/** §4.3.2 (with §4.6.6 for entities that got directed presence): how the server answers a probe. */
export function answerProbe(p: ProbeInput): ProbeAnswer {
  // An entity is implicitly subscribed to its own presence (§4.2.2).
  const subscribed = p.subscribed || p.requester.bare === p.target.bare;
  if (p.target.isFull()) {
    const session = p.resources.find((s) => s.jid.full === p.target.full);
    if (subscribed) return session && isAvailable(session) ? { kind: "presence", from: [session], mere: true } : { kind: "unavailable" };
    if (session && sentDirectedTo(p.directed(session), p.requester)) return { kind: "presence", from: [session], mere: true };
    return { kind: "unsubscribed" };
  }
  if (subscribed) {
    const available = p.resources.filter(isAvailable);
    return available.length ? { kind: "presence", from: available, mere: false } : { kind: "unavailable" };
  }
  const directed = p.resources.filter((s) => sentDirectedTo(p.directed(s), p.requester));
  return directed.length ? { kind: "presence", from: directed, mere: true } : { kind: "unsubscribed" };
}
