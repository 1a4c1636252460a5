/**
 * XEP-0060 §4.1 affiliations and §4.5 access models as pure decisions: who may retrieve items and subscribe
 * (§6.1.3, §6.5.1), who may publish (§7.1.3.1). The facts about the requester (its affiliation, its presence
 * subscription and roster groups) are looked up by the caller.
 */
import type { StanzaError } from "../../src/xml/stanza-error.js";
import type { NodeConfig } from "./config.js";
import { pubsubError } from "./ns.js";

/** §4.1 (publish-only is not offered: PEP has a single publisher). */
export const AFFILIATIONS = ["owner", "publisher", "member", "none", "outcast"] as const;
export type Affiliation = (typeof AFFILIATIONS)[number];

/** What an access decision needs to know about the requesting entity (a bare JID). */
export interface Relation {
  affiliation: Affiliation;
  /** A presence subscription to the owner: "from" or "both" on the owner's roster (RFC 6121 §2.1.2.5). */
  presenceSubscribed: boolean;
  /** The requester's groups on the owner's roster (empty when it is not on it). */
  groups: readonly string[];
}

export type Denial = "outcast" | "presence-subscription-required" | "not-in-roster-group" | "closed-node";
export type AccessDecision = { ok: true } | { ok: false; reason: Denial };

/**
 * May this entity retrieve items from (and subscribe to) the node? §4.1: owners, publishers and members may,
 * outcasts never; otherwise the access model decides (§4.5, §6.5.1).
 */
export function accessDecision(config: Pick<NodeConfig, "access_model" | "roster_groups_allowed">, r: Relation): AccessDecision {
  switch (r.affiliation) {
    case "owner": case "publisher": case "member": return { ok: true };
    case "outcast": return { ok: false, reason: "outcast" };
    case "none": break;
  }
  switch (config.access_model) {
    case "open":
      return { ok: true };
    case "presence":
      return r.presenceSubscribed ? { ok: true } : { ok: false, reason: "presence-subscription-required" };
    case "roster":
      // §6.5.1: "subscribed to the owner's presence and contained in the relevant roster group(s)".
      if (!r.presenceSubscribed) return { ok: false, reason: "presence-subscription-required" };
      return r.groups.some((g) => config.roster_groups_allowed.includes(g)) ? { ok: true } : { ok: false, reason: "not-in-roster-group" };
    case "whitelist":
      return { ok: false, reason: "closed-node" };
  }
}

/** The error §6.1.3 / §6.5.9 prescribes for each denial. */
export function denialError(reason: Denial): StanzaError {
  switch (reason) {
    case "outcast": return pubsubError("forbidden");
    case "presence-subscription-required": return pubsubError("not-authorized", "presence-subscription-required");
    case "not-in-roster-group": return pubsubError("not-authorized", "not-in-roster-group");
    case "closed-node": return pubsubError("not-allowed", "closed-node");
  }
}

/** §4.1 and pubsub#publish_model: may an entity with this affiliation publish (and retract its items)? */
export function mayPublish(config: Pick<NodeConfig, "publish_model" | "access_model" | "roster_groups_allowed">, r: Relation): boolean {
  if (r.affiliation === "owner" || r.affiliation === "publisher") return true;
  if (r.affiliation === "outcast") return false;
  switch (config.publish_model) {
    case "publishers": return false;
    case "subscribers": return accessDecision(config, r).ok;
    case "open": return true;
  }
}
