/**
 * RFC 6121 Appendix A: the presence subscription state machine, as a pure function of the current state of
 * one roster relationship and one subscription stanza. Server processing of outbound stanzas (the user sends
 * them, A.2) and of inbound ones (a contact sends them to the user, A.3), with the pre-approval rules of §3.4
 * and the auto-replies of A.3.1 / A.3.2. The caller stores the new state, routes or delivers, pushes the
 * roster and sends the replies; this file decides.
 */
import type { Subscription } from "../modules.js";

export type SubscriptionType = "subscribe" | "subscribed" | "unsubscribe" | "unsubscribed";

export const SUBSCRIPTION_TYPES: ReadonlySet<string> = new Set<SubscriptionType>(["subscribe", "subscribed", "unsubscribe", "unsubscribed"]);

export function isSubscriptionType(type: string | undefined): type is SubscriptionType {
  return type !== undefined && SUBSCRIPTION_TYPES.has(type);
}

/**
 * One relationship from the user's side (A.1). `subscription` and `ask` ("Pending Out") are shown in the
 * roster; `pendingIn` is the stored inbound request (§3.1.3), never shown and possibly without a roster item;
 * `approved` is a pre-approval (§3.4), shown as approved='true'.
 */
export interface SubState {
  readonly subscription: Subscription;
  readonly ask: boolean;
  readonly pendingIn: boolean;
  readonly approved: boolean;
}

export const NONE: SubState = Object.freeze({ subscription: "none", ask: false, pendingIn: false, approved: false });

export interface Transition {
  readonly state: SubState;
  /** Outbound: route the stanza to the contact. Inbound: deliver it to the user. */
  readonly forward: boolean;
  /** The part of the state a roster item shows changed: store the item and push it (§2.1.6). */
  readonly push: boolean;
  /** Inbound only: what the user's server sends the contact on the user's behalf (A.3.1 [2], A.3.2 [1], §3.4). */
  readonly autoReply: "subscribed" | "unsubscribed" | null;
  /**
   * Presence the user's server sends from each of the user's available resources to the contact: "unavailable"
   * before the stanza or reply when the contact loses its subscription (§3.2.2, §3.3.3 step 3), "available"
   * after it when the contact gains one (§3.1.5).
   */
  readonly presence: "available" | "unavailable" | null;
}

/** The nine states of A.1 by name (for logs and tests). */
export type StateName =
  | "None" | "None + Pending Out" | "None + Pending In" | "None + Pending Out+In"
  | "To" | "To + Pending In" | "From" | "From + Pending Out" | "Both";

export function stateName(s: SubState): StateName {
  switch (s.subscription) {
    case "none":
      if (s.ask && s.pendingIn) return "None + Pending Out+In";
      if (s.ask) return "None + Pending Out";
      return s.pendingIn ? "None + Pending In" : "None";
    case "to":
      return s.pendingIn ? "To + Pending In" : "To";
    case "from":
      return s.ask ? "From + Pending Out" : "From";
    case "both":
      return "Both";
  }
}

const hasTo = (s: Subscription) => s === "to" || s === "both";
const hasFrom = (s: Subscription) => s === "from" || s === "both";

function compose(to: boolean, from: boolean): Subscription {
  if (to && from) return "both";
  if (to) return "to";
  return from ? "from" : "none";
}

/**
 * Build a state keeping A.1's invariants: "Pending Out" only without a subscription to the contact, "Pending
 * In" only without one from the contact, and a pre-approval only while the contact has neither a subscription
 * nor a pending request (once approved for real, it has served its purpose: §3.4.2 implementation note).
 */
function make(to: boolean, from: boolean, ask: boolean, pendingIn: boolean, approved: boolean): SubState {
  return {
    subscription: compose(to, from),
    ask: ask && !to,
    pendingIn: pendingIn && !from,
    approved: approved && !from && !pendingIn,
  };
}

function transition(before: SubState, state: SubState, forward: boolean, extra: Partial<Pick<Transition, "autoReply" | "presence">> = {}): Transition {
  const push = state.subscription !== before.subscription || state.ask !== before.ask || state.approved !== before.approved;
  return { state, forward, push, autoReply: extra.autoReply ?? null, presence: extra.presence ?? null };
}

/** A.2: the user sends a subscription stanza to the contact. */
export function outbound(s: SubState, type: SubscriptionType): Transition {
  const to = hasTo(s.subscription);
  const from = hasFrom(s.subscription);
  switch (type) {
    // A.2.1 (Table 2): always routed; a request "pending out" unless already subscribed to the contact.
    case "subscribe":
      return transition(s, make(to, from, true, s.pendingIn, s.approved), true);
    // A.2.2 (Table 3): always routed; the subscription to the contact and any pending request end.
    case "unsubscribe":
      return transition(s, make(false, from, false, s.pendingIn, s.approved), true);
    // A.2.3 (Table 4) with §3.4.2.
    case "subscribed":
      if (s.pendingIn) {
        // Approving a pending request: routed, the contact gets our presence (§3.1.5).
        return transition(s, make(to, true, s.ask, false, false), true, { presence: "available" });
      }
      if (from) return transition(s, s, false); // nothing to approve: MUST NOT route
      // §3.4.2 rules 3 and 4: a pre-approval, noted but not routed.
      return transition(s, make(to, from, s.ask, false, true), false);
    // A.2.4 (Table 5) with §3.2.2.
    case "unsubscribed":
      if (s.pendingIn) return transition(s, make(to, from, s.ask, false, false), true); // denying a request
      if (from) {
        // Cancelling the contact's subscription: it sees us go unavailable first (§3.2.2).
        return transition(s, make(to, false, s.ask, false, false), true, { presence: "unavailable" });
      }
      // §3.2.2 rules 1 and 2: not routed; a pre-approval, if any, is withdrawn.
      return transition(s, make(to, from, s.ask, false, false), false);
  }
}

/** A.3: the contact sends the user a subscription stanza. */
export function inbound(s: SubState, type: SubscriptionType): Transition {
  const to = hasTo(s.subscription);
  const from = hasFrom(s.subscription);
  switch (type) {
    // A.3.1 (Table 6).
    case "subscribe":
      if (from) {
        // [2]: already subscribed; answer for the user (and let the contact have our presence again).
        return transition(s, s, false, { autoReply: "subscribed", presence: "available" });
      }
      if (s.pendingIn) return transition(s, s, false); // one stored request per contact (§3.1.3 rule 4)
      if (s.approved) {
        // [1] and §3.4.2: pre-approved, so approved now on the user's behalf and not delivered.
        return transition(s, make(to, true, s.ask, false, false), false, { autoReply: "subscribed", presence: "available" });
      }
      return transition(s, make(to, from, s.ask, true, false), true);
    // A.3.2 (Table 7): delivered, with an auto-reply, only when the state changes.
    case "unsubscribe":
      if (!from && !s.pendingIn) return transition(s, s, false);
      return transition(s, make(to, false, s.ask, false, s.approved), true, {
        autoReply: "unsubscribed",
        presence: from ? "unavailable" : null, // §3.3.3 step 3
      });
    // A.3.3 (Table 8): only an answer to our pending request counts.
    case "subscribed":
      if (!s.ask || to) return transition(s, s, false);
      return transition(s, make(true, from, false, s.pendingIn, s.approved), true);
    // A.3.4 (Table 9): ends our subscription or our pending request. A pre-approval stays (§4.3.2 rule 1).
    case "unsubscribed":
      if (!s.ask && !to) return transition(s, s, false);
      return transition(s, make(false, from, false, s.pendingIn, s.approved), true);
  }
}
