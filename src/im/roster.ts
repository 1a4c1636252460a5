/**
 * RFC 6121 §2 roster management: roster get (§2.1.3, §2.2) with roster versioning (§2.6), roster set to add
 * or update an item (§2.3, §2.4) and to remove one (§2.5), and roster pushes to interested resources
 * (§2.1.6). Only the account itself may read or change its roster (§2.1.5 security warning, §2.3.3).
 */
import type { Element } from "ltx";
import { xml } from "@xmpp/xml";
import { parseJid, prepResource, type Jid } from "../jid.js";
import type { IqContext, IqResult } from "../modules.js";
import type { ClientSession } from "../session/types.js";
import { StanzaError } from "../xml/stanza-error.js";
import { itemElement, NS_ROSTER, pushToInterested, rosterPush, type ImContext } from "./context.js";
import { RosterStore } from "./roster-store.js";
import { planRosterGet, preferFullRoster } from "./roster-versioning.js";
import { imState } from "./session-state.js";
import { endRelationship, MAX_ROSTER_ITEMS, rosterFull } from "./subscriptions.js";

/** Server-configured limits of §2.3.3 (bytes of UTF-8). */
export const MAX_NAME_BYTES = 1024;
export const MAX_GROUP_BYTES = 1024;
export const MAX_GROUPS_PER_ITEM = 100;

export type RosterSetRequest =
  | { op: "remove"; jid: Jid }
  | { op: "update"; jid: Jid; name: string; groups: string[] };

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

/** Check a roster set (§2.1.5, §2.3.3) from the owner of the roster; returns what to do or the error. */
export function parseRosterSet(query: Element, owner: Jid): { ok: true; request: RosterSetRequest } | { ok: false; error: StanzaError } {
  const fail = (condition: "bad-request" | "not-acceptable" | "not-allowed" | "jid-malformed", text: string) =>
    ({ ok: false as const, error: new StanzaError(condition, text) });
  const items = query.getChildElements().filter((c) => c.name === "item");
  // §2.1.5 rule 1 / §2.3.3: exactly one item.
  if (items.length !== 1) return fail("bad-request", "a roster set carries exactly one item");
  const item = items[0]!;
  if (item.attrs.jid === undefined) return fail("bad-request", "the item has no jid");
  const parsed = parseJid(item.attrs.jid);
  if (!parsed.ok) return fail("jid-malformed", parsed.error);
  const jid = parsed.jid;
  // Subscriptions, and so roster items, are between bare JIDs (§3.1.1).
  if (jid.resource) return fail("bad-request", "a roster item is a bare JID");
  // §2.1.2.5: in a roster set, only subscription='remove' means anything.
  if (item.attrs.subscription === "remove") return { ok: true, request: { op: "remove", jid } };
  // §2.3.3 interoperability note: the user is implicitly subscribed to itself (§4.2.2); no item for it.
  if (jid.bare === owner.bare) return fail("not-allowed", "the account's own JID cannot be a roster item");
  // §2.4.1 implementation note: an empty name is no name.
  const name = item.attrs.name ?? "";
  if (bytes(name) > MAX_NAME_BYTES) return fail("not-acceptable", `the name is longer than ${MAX_NAME_BYTES} bytes`);
  const groups = item.getChildElements().filter((c) => c.name === "group").map((g) => g.getText());
  if (groups.length > MAX_GROUPS_PER_ITEM) return fail("not-acceptable", `more than ${MAX_GROUPS_PER_ITEM} groups`);
  const seen = new Set<string>();
  for (const g of groups) {
    if (g.length === 0) return fail("not-acceptable", "a group name is empty");
    if (bytes(g) > MAX_GROUP_BYTES) return fail("not-acceptable", `a group name is longer than ${MAX_GROUP_BYTES} bytes`);
    // §2.3.3: duplicates compared as XMPP resourceparts are compared (RFC 7622 §3.4 OpaqueString).
    const p = prepResource(g);
    const key = p.ok ? p.value : g;
    if (seen.has(key)) return fail("bad-request", "duplicate group");
    seen.add(key);
  }
  return { ok: true, request: { op: "update", jid, name, groups } };
}

/** The session that sent a request, when it is a local client session of the sender. */
function requester(ctx: IqContext): ClientSession | null {
  const o = ctx.origin;
  return o && o.kind === "c2s" && o.jid.full === ctx.from.full ? o : null;
}

/** Resolves once the router has written the IQ result, so pushes that follow it arrive after it. */
const afterReply = () => new Promise<void>((r) => setImmediate(r));

/**
 * Run `task` in the owner's queue; it calls `reply` with the IQ's result, and may go on afterwards (pushes):
 * the router replies as soon as `reply` is called.
 */
function queued(ctx: ImContext, owner: string, task: (reply: (r: IqResult) => void) => Promise<void>): Promise<IqResult> {
  return new Promise((resolve, reject) => {
    ctx.queue.run(owner, () => task(resolve)).catch((err) => {
      ctx.log.error("roster request failed", { owner, err });
      reject(err);
    });
  });
}

const forbidden = () => new StanzaError("forbidden", "only the account itself may use its roster");

/** §2.1.3 roster get, §2.6 with a 'ver'. */
export function rosterGet(ctx: ImContext, iq: IqContext): IqResult | Promise<IqResult> {
  if (iq.from.bare !== iq.to.bare) return forbidden();
  // §2.1.3: the query of a roster get MUST NOT contain items.
  if (iq.payload.getChildElements().length > 0) return new StanzaError("bad-request", "a roster get carries no items");
  const session = requester(iq);
  // §2.2: a resource that requested the roster is "interested" and gets every push from now on.
  if (session) imState(session).interested = true;
  const owner = iq.to.bare;
  return queued(ctx, owner, async (reply) => {
    const state = await ctx.store.state(owner);
    const plan = planRosterGet(iq.payload.attrs.ver, state);
    if (plan.kind === "current") return reply(null);
    if (plan.kind === "pushes") {
      const changes = await ctx.store.changesSince(owner, plan.since);
      if (!preferFullRoster(changes.length, state.items)) {
        // §2.6.3: an empty result, then one interim push per changed item, oldest first.
        reply(null);
        await afterReply();
        if (session && ctx.sessions.get(session.jid.full) === session) {
          for (const c of changes) session.send(rosterPush(session, c, RosterStore.versionString(state, c.ver)));
        }
        return;
      }
    }
    // §2.1.4 (and §2.6.3 "the complete roster ... including a 'ver' attribute").
    const items = await ctx.store.items(owner);
    reply(xml("query", { xmlns: NS_ROSTER, ver: RosterStore.versionString(state) }, items.map(itemElement)));
  });
}

/** §2.3 / §2.4 add or update, §2.5 remove. */
export function rosterSet(ctx: ImContext, iq: IqContext): IqResult | Promise<IqResult> {
  // §2.1.5 security warning, §2.3.3: a roster set for another account's roster is refused.
  if (iq.from.bare !== iq.to.bare) return forbidden();
  const parsed = parseRosterSet(iq.payload, iq.to);
  if (!parsed.ok) return parsed.error;
  const request = parsed.request;
  const owner = iq.to.toBare();
  const contact = request.jid.bare;
  return queued(ctx, owner.bare, async (reply) => {
    const [item, pending] = await Promise.all([ctx.store.item(owner.bare, contact), ctx.store.pendingRequest(owner.bare, contact)]);
    if (request.op === "remove") {
      // §2.5.3: removing an item that is not there.
      if (!item) return reply(new StanzaError("item-not-found"));
      const version = (await ctx.store.remove(owner.bare, contact))!;
      if (pending) await ctx.store.removePendingRequest(owner.bare, contact);
      ctx.hooks.fire("roster:changed", { owner, contact: request.jid, removed: true });
      reply(null);
      await afterReply();
      pushToInterested(ctx, owner.bare, { jid: contact, subscription: "remove", ver: 0 }, version);
      // §2.5.2: the subscriptions both ways end with the item.
      endRelationship(ctx, owner, contact, item, pending !== undefined);
      return;
    }
    if (!item && (await ctx.store.state(owner.bare)).items >= MAX_ROSTER_ITEMS) return reply(rosterFull());
    // §2.4.1: the item is updated exactly as given (name and groups); the subscription state is the server's.
    const stored = await ctx.store.put(owner.bare, {
      jid: contact,
      name: request.name || undefined,
      groups: request.groups,
      subscription: item?.subscription ?? "none",
      ask: item?.ask,
      approved: item?.approved,
    });
    ctx.hooks.fire("roster:changed", { owner, contact: request.jid, removed: false });
    reply(null);
    await afterReply();
    // §2.3.2: the push goes to every interested resource, the one that sent the set included.
    pushToInterested(ctx, owner.bare, stored.item, stored.version);
  });
}

/**
 * Roster IQs addressed to a full JID. Roster pushes come from the user's server only (§2.1.6): one a client
 * sends to another resource (of any account) is not delivered, so no client ever sees a forged push. The
 * answer is the one §2.1.6 lets a client give an unauthorised push, <service-unavailable/>.
 */
export function rosterToFullJid(): IqResult {
  return new StanzaError("service-unavailable", "roster requests and pushes are between a client and its server");
}
