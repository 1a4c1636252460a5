import { xml } from "@xmpp/xml";
import { clone, type Element } from "ltx";
import { z } from "zod";
import type { StanzaEvent } from "../../src/hooks.js";
import { Jid, parseJid } from "../../src/jid.js";
import { defineModule } from "../../src/modules.js";
import { errorReply, StanzaError } from "../../src/xml/stanza-error.js";
import { entryMatches, isBlocked } from "./match.js";

const NS = "urn:xmpp:blocking";
const NS_ERRORS = "urn:xmpp:blocking:errors";
/** session.data key: the resource asked for the blocklist, so it gets pushes (§3.3). */
const INTERESTED = "blocking";
/** Before everything else that looks at stanzas: a blocked stanza goes no further. */
const PRIORITY = 100;

/**
 * XEP-0191 Blocking Command: each user's blocklist (§3.2-§3.5), pushed to the resources that asked for it, and
 * enforced on every stanza between the user and a blocked address, both ways (§3.3).
 *
 * Enforcement runs on every stanza, so every blocklist is kept in memory (loaded at start, changed in place):
 * stanzas for accounts that are offline (stored messages, subscription requests, IQs the server answers for
 * them) need it as much as those for online ones, and deciding must not wait for storage.
 */
export default defineModule({
  id: "blocking",
  xeps: [{ xep: 191, version: "1.3", status: "complete" }],
  config: z.strictObject({
    /** Most entries in one user's blocklist. */
    maxItems: z.number().int().min(1).default(1000),
  }),
  disco: { features: [NS] },
  // owner: the host; key: the account's bare JID; value: its entries (prepared JIDs).
  storage: { blocklists: "map" },
  async setup(api) {
    const store = api.map("blocklists");
    const lists = new Map<string, Set<string>>();
    for (const host of api.server.hosts) {
      for (const [account, entries] of await store.all(host)) {
        if (Array.isArray(entries) && entries.length > 0) lists.set(account, new Set(entries as string[]));
      }
    }
    /** Error replies this module sends on a user's behalf: they must pass its own check. */
    const replies = new WeakSet<Element>();
    /** Each account's changes, one after the other (the list in memory and the stored one stay equal). */
    const queues = new Map<string, Promise<unknown>>();
    const serialize = <T>(owner: string, fn: () => Promise<T>): Promise<T> => {
      const run = (queues.get(owner) ?? Promise.resolve()).then(fn, fn);
      const tail = run.catch(() => undefined);
      queues.set(owner, tail);
      tail.then(() => { if (queues.get(owner) === tail) queues.delete(owner); });
      return run;
    };

    /** The new list takes effect at once (the next stanza sees it), then is stored; undone if that fails. */
    const persist = async (owner: Jid, list: Set<string>) => {
      const previous = lists.get(owner.bare);
      if (list.size === 0) lists.delete(owner.bare);
      else lists.set(owner.bare, list);
      try {
        if (list.size === 0) await store.delete(owner.domain, owner.bare);
        else await store.set(owner.domain, owner.bare, [...list].sort());
      } catch (err) {
        if (previous) lists.set(owner.bare, previous);
        else lists.delete(owner.bare);
        throw err;
      }
    };

    const itemsOf = (entries: Iterable<string>) => [...entries].map((e) => xml("item", { jid: e }));

    /** §3.3/§3.4: the change, to every resource of the account that retrieved the blocklist. */
    const push = (owner: string, payload: Element) => {
      for (const s of api.sessions.resources(owner)) {
        if (s.data.get(INTERESTED) !== true) continue;
        s.send(xml("iq", { type: "set", id: `block-push-${Math.random().toString(36).slice(2)}`, to: s.jid.full }, clone(payload)));
      }
    };

    /**
     * The addresses among `entries` that may receive the user's presence (RFC 6121: a subscription "from" or
     * "both"): an entry for an account or resource when that account is a subscriber, and for a domain each
     * subscriber it covers.
     */
    const presenceTargets = async (owner: string, entries: Jid[]): Promise<string[]> => {
      if (entries.length === 0) return [];
      const subscribers = (await api.roster.items(owner))
        .filter((i) => i.subscription === "from" || i.subscription === "both")
        .map((i) => parseJid(i.jid))
        .flatMap((r) => (r.ok ? [r.jid] : []));
      const targets = new Set<string>();
      for (const e of entries) {
        for (const c of subscribers) {
          if (e.resource && c.bare === e.bare) targets.add(e.full);
          else if (!e.resource && entryMatches(e, c)) targets.add(c.bare);
        }
      }
      return [...targets];
    };

    /** Presence from each available resource of the account to each target (the current one, or unavailable). */
    const presenceTo = (owner: string, targets: string[], kind: "current" | "unavailable") => {
      for (const s of api.sessions.resources(owner)) {
        if (s.presence === null) continue;
        for (const to of targets) {
          const p = kind === "current" ? clone(s.presence) : xml("presence", { type: "unavailable" });
          p.attrs.from = s.jid.full;
          p.attrs.to = to;
          api.send(p);
        }
      }
    };

    /** Parse the <item jid/> children; an address that is not a JID makes the whole command fail. */
    const parseItems = (payload: Element): { ok: true; jids: Jid[] } | { ok: false; error: StanzaError } => {
      const jids: Jid[] = [];
      for (const item of payload.getChildren("item")) {
        const r = parseJid(item.attrs.jid ?? "");
        if (!r.ok) return { ok: false, error: new StanzaError("jid-malformed", `${item.attrs.jid ?? "(no jid)"}: ${r.error}`) };
        if (!jids.some((j) => j.full === r.jid.full)) jids.push(r.jid);
      }
      return { ok: true, jids };
    };

    const ownOnly = (from: Jid, to: Jid) => from.bare === to.bare ? null : new StanzaError("forbidden", "a blocklist is its owner's only");

    // §3.2: the blocklist; asking for it makes the resource one that gets pushes.
    api.iq("get", NS, "blocklist", ({ from, to, origin }) => {
      const refused = ownOnly(from, to);
      if (refused) return refused;
      if (origin?.kind === "c2s") origin.data.set(INTERESTED, true);
      return xml("blocklist", { xmlns: NS }, itemsOf([...(lists.get(to.bare) ?? [])].sort()));
    }, { to: "bare" });

    // §3.3: block. Presence is withdrawn from the newly blocked before the block takes effect.
    api.iq("set", NS, "block", ({ payload, from, to }) => {
      const refused = ownOnly(from, to);
      if (refused) return refused;
      const parsed = parseItems(payload);
      if (!parsed.ok) return parsed.error;
      if (parsed.jids.length === 0) return new StanzaError("bad-request", "block at least one JID");
      const owner = to.toBare();
      return serialize(owner.bare, async () => {
        const list = new Set(lists.get(owner.bare));
        const added = parsed.jids.filter((j) => !list.has(j.full));
        if (list.size + added.length > api.config.maxItems) {
          return new StanzaError("not-acceptable", `a blocklist holds at most ${api.config.maxItems} entries`);
        }
        presenceTo(owner.bare, await presenceTargets(owner.bare, added), "unavailable");
        for (const j of added) list.add(j.full);
        await persist(owner, list);
        push(owner.bare, xml("block", { xmlns: NS }, itemsOf(parsed.jids.map((j) => j.full))));
        return null;
      });
    }, { to: "bare" });

    // §3.4 unblock, §3.5 unblock everything (no items). The unblocked get the user's current presence.
    api.iq("set", NS, "unblock", ({ payload, from, to }) => {
      const refused = ownOnly(from, to);
      if (refused) return refused;
      const parsed = parseItems(payload);
      if (!parsed.ok) return parsed.error;
      const owner = to.toBare();
      const all = parsed.jids.length === 0;
      return serialize(owner.bare, async () => {
        const list = new Set(lists.get(owner.bare));
        const removed = all ? [...list].map((e) => parseJid(e)).flatMap((r) => (r.ok ? [r.jid] : [])) : parsed.jids.filter((j) => list.has(j.full));
        const targets = await presenceTargets(owner.bare, removed);
        for (const j of removed) list.delete(j.full);
        await persist(owner, list);
        presenceTo(owner.bare, targets, "current");
        push(owner.bare, all ? xml("unblock", { xmlns: NS }) : xml("unblock", { xmlns: NS }, itemsOf(parsed.jids.map((j) => j.full))));
        return null;
      });
    }, { to: "bare" });

    /** §3.3: from a blocked address to the user: the user looks offline. */
    const refuseInbound = (event: StanzaEvent) => {
      const { stanza } = event;
      const type = stanza.attrs.type;
      // Presence of every kind (probes and subscription requests too): nothing, not even an error.
      if (stanza.name === "presence") return;
      // IQ results and errors: dropped; messages of type error: never answered (RFC 6120 §8.3.1).
      if (stanza.name === "iq" && type !== "get" && type !== "set") return;
      answer(event, new StanzaError("service-unavailable"));
    };

    /** §3.3: from the user to a blocked address: not-acceptable with <blocked/>, for the user's own stanzas. */
    const refuseOutbound = (event: StanzaEvent) => {
      // What the server sends on the user's behalf (presence broadcast and probes, stored messages' replies)
      // simply does not go; only a client's own stanza is answered.
      if (!event.origin) return;
      answer(event, new StanzaError("not-acceptable", undefined, "cancel", xml("blocked", { xmlns: NS_ERRORS })));
    };

    const answer = (event: StanzaEvent, error: StanzaError) => {
      const reply = errorReply(event.stanza, error);
      if (!reply) return;
      replies.add(reply);
      if (event.origin) event.origin.send(reply);
      else api.send(reply);
    };

    api.hook("stanza:pre", (event) => {
      if (lists.size === 0) return false;
      const { stanza, from, to } = event;
      // §5 note: never between the resources of one account.
      if (from.bare === to.bare || replies.has(stanza)) return false;
      // The user's own server (the domain itself) is never blocked for them: it answers for the account.
      const inbound = to.local ? lists.get(to.bare) : undefined;
      if (inbound && from.full !== to.domain && isBlocked(inbound, from)) {
        refuseInbound(event);
        return true;
      }
      const outbound = from.local ? lists.get(from.bare) : undefined;
      if (outbound && to.full !== from.domain && isBlocked(outbound, to)) {
        // Ending a subscription is let through: it only takes presence away from the blocked (§4 allows the
        // server itself to cancel subscriptions when blocking).
        const type = stanza.attrs.type;
        if (stanza.name === "presence" && (type === "unsubscribe" || type === "unsubscribed")) return false;
        refuseOutbound(event);
        return true;
      }
      return false;
    }, PRIORITY);

    api.hook("account:deleted", ({ jid }) => {
      lists.delete(jid.bare);
      store.delete(jid.domain, jid.bare).catch((err) => api.log.error("cannot remove blocklist", { err }));
    });
  },
});
