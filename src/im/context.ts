/**
 * What the parts of the IM core (roster, subscriptions, presence) share: the server's services, the roster
 * store, the per-account queue, and the small sending helpers several of them need.
 */
import { clone, type Element } from "ltx";
import { xml } from "@xmpp/xml";
import { randomBytes } from "node:crypto";
import type { HookBus, StanzaEvent } from "../hooks.js";
import { Jid, type BareJid } from "../jid.js";
import type { Logger } from "../log.js";
import type { ServerInfo, SessionView } from "../modules.js";
import type { ClientSession } from "../session/types.js";
import type { AccountStore, KeyValStore } from "../storage/types.js";
import type { StanzaError } from "../xml/stanza-error.js";
import type { KeyedQueue } from "../keyed-queue.js";
import { isAvailable } from "./presence-rules.js";
import type { RosterEntry, RosterStore } from "./roster-store.js";
import { isInterested } from "./session-state.js";

export const NS_ROSTER = "jabber:iq:roster";

export interface ImContext {
  readonly hooks: HookBus;
  readonly log: Logger;
  readonly server: ServerInfo;
  readonly sessions: SessionView;
  readonly accounts: AccountStore;
  readonly store: RosterStore;
  /** Per account: the last time it went unavailable (for probe answers, §4.3.2 rule 3). */
  readonly lastUnavailable: KeyValStore;
  /** Serialises each account's roster changes and presence broadcasts. */
  readonly queue: KeyedQueue;
  /** Route a stanza the server generates or forwards (origin null): local delivery, or s2s for remote domains. */
  route(stanza: Element, from: Jid, to: Jid): void;
  /** Answer a stanza with an error. */
  bounce(event: StanzaEvent, error: StanzaError): void;
}

/** A prepared bare JID string (a roster key) as a Jid. */
export function bareJid(prepared: string): BareJid {
  const at = prepared.indexOf("@");
  return (at === -1 ? Jid.ofPrepared("", prepared) : Jid.ofPrepared(prepared.slice(0, at), prepared.slice(at + 1))) as BareJid;
}

/** Route a stanza built by the server, taking its addresses from its attributes. */
export function send(ctx: ImContext, stanza: Element, from: Jid, to: Jid): void {
  stanza.attrs.from = from.full;
  stanza.attrs.to = to.full;
  ctx.route(stanza, from, to);
}

let pushSeq = 0;
const pushPrefix = randomBytes(4).toString("hex");
const pushId = () => `push-${pushPrefix}-${(++pushSeq).toString(36)}`;

/** The <item/> of a roster result or push (§2.1.2). */
export function itemElement(entry: RosterEntry): Element {
  if (entry.subscription === "remove") return xml("item", { jid: entry.jid, subscription: "remove" });
  return xml("item", {
    jid: entry.jid,
    name: entry.name || undefined,
    subscription: entry.subscription,
    ask: entry.ask,
    approved: entry.approved ? "true" : undefined,
  }, entry.groups.map((g) => xml("group", null, g)));
}

/** A roster push (§2.1.6) of one entry, to one session. */
export function rosterPush(session: ClientSession, entry: RosterEntry, version: string): Element {
  return xml("iq", { type: "set", id: pushId(), to: session.jid.full },
    xml("query", { xmlns: NS_ROSTER, ver: version }, itemElement(entry)));
}

/** Push a changed entry to every interested resource of the account (§2.1.6, §2.2). */
export function pushToInterested(ctx: ImContext, owner: string, entry: RosterEntry, version: string): void {
  for (const s of ctx.sessions.resources(owner)) if (isInterested(s)) s.send(rosterPush(s, entry, version));
}

/** Deliver a stanza to the account's interested resources (subscription notifications, §3.1.6, §3.2.3, §3.3.3). */
export function deliverToInterested(ctx: ImContext, owner: string, stanza: Element): void {
  for (const s of ctx.sessions.resources(owner)) if (isInterested(s)) s.send(stanza);
}

/** Deliver a stanza to the account's available resources (§8.5.2.1.2). */
export function deliverToAvailable(ctx: ImContext, owner: string, stanza: Element): void {
  for (const s of ctx.sessions.resources(owner)) if (isAvailable(s)) s.send(stanza);
}

/**
 * Send `contact` the current presence of each of the owner's available resources (§3.1.5: after approving a
 * subscription), or unavailable presence from each of them (§3.2.2, §3.3.3: before a subscription ends).
 */
export function presenceFromResources(ctx: ImContext, owner: string, contact: Jid, kind: "available" | "unavailable"): void {
  for (const s of ctx.sessions.resources(owner)) {
    if (!isAvailable(s)) continue;
    const p = kind === "available" ? clone(s.presence!) : xml("presence", { type: "unavailable" });
    send(ctx, p, s.jid, contact);
  }
}
