/**
 * XEP-0313 Message Archive Management for user accounts, with XEP-0441 preferences and XEP-0431 full-text search.
 *
 * What is kept (§5.1.1, should-archive.ts): each account's one-to-one messages, both directions, once per archive:
 * - incoming: on `message:bare` / `message:full` just below the stanza-id module (-950), so the id the stanza-id module
 *   stamped (or ours when it stamped none) is the archive id, and the copies made after (carbons at -990, offline
 *   storage, delivery at -1000) all carry it (§3.2). A message the account does not archive loses the id: an id
 *   `by` the account is on a message exactly when the archive holds it. The hooks fire once per routed message
 *   whatever the number of resources, so forking and carbons never archive twice (§5.1.1);
 * - outgoing: on `stanza:pre` for what a client sends. Before the carbons module copies the message to the sender's
 *   other resources (-1000) it gets the sender's stanza-id, so the <sent/> copies tell them the archive id (§3.2:
 *   "SHOULD include the element as a child of the forwarded message when using XEP-0280"); after the copies and
 *   before routing the id is removed again, since the recipient has no access to that archive (§3.2, MUST NOT).
 *   A message to one's own account is archived once, as received.
 * The archive item: id = stanza-id, when = routing time, with = the other party's bare JID (the account's own for
 * notes to self), value = the message as routed (without our stanza-id) serialised once, text = its bodies for
 * full-text search. writer.ts explains when appends are durable.
 *
 * Preferences decide synchronously: every account's non-default preferences are in memory (loaded at start), and the
 * rosters of accounts with the roster default (roster-cache.ts) once loaded. A message whose decision needs a roster
 * not yet loaded keeps its stanza-id and is archived when the lookup answers yes.
 */
import type { Element } from "ltx";
import { z } from "zod";
import type { StanzaEvent } from "../../src/hooks.js";
import { decideFullMessage, messageType } from "../../src/im/delivery.js";
import type { Jid } from "../../src/jid.js";
import { defineModule, type IqContext } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { NS_SID, STAMP_PRIORITY, stampStanzaId, stripStanzaIds } from "../0359-stanza-id/index.js";
import { parseQuery, queryForm } from "./form.js";
import { NS_FULLTEXT, NS_MAM, NS_MAM_EXTENDED, NS_MAM_GROUPCHAT_FIELD } from "./ns.js";
import {
  DEFAULT_POLICIES, defaultPrefs, isDefaultPrefs, parsePrefs, prefsElement, prefsFromJson, PrefsMatcher, prefsToJson,
  type DefaultPolicy, type Prefs,
} from "./prefs.js";
import { archiveMetadata, runArchiveQuery } from "./query.js";
import { parseRetention } from "./retention.js";
import { RosterCache } from "./roster-cache.js";
import { archivable, otherParty, type Direction } from "./should-archive.js";
import { ArchiveWriter } from "./writer.js";

export { archivable, shouldArchive, type Direction } from "./should-archive.js";
export { parseQuery, queryForm, type MamQuery } from "./form.js";
export {
  archiveMetadata, finElement, resultMessage, runArchiveQuery, storedMessage, userWith,
  type ArchiveQueryTarget, type WithFilter,
} from "./query.js";
export { NS_MAM, NS_MAM_EXTENDED } from "./ns.js";

/** Incoming messages: right after the stanza-id module stamped them, before carbons (-990) and delivery (-1000). */
const INCOMING_PRIORITY = STAMP_PRIORITY - 10;
/** Outgoing: the id before the carbons module's <sent/> copies (stanza:pre -1000), the archiving after them. */
const OUTGOING_STAMP_PRIORITY = -990;
const OUTGOING_ARCHIVE_PRIORITY = -1001;

const retention = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = parseRetention(v);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: 'a number of days, or e.g. "365d", "12w", "1y", "48h"; 0 or "forever" keeps everything' });
    return z.NEVER;
  }
  return ms;
});

const configSchema = z.strictObject({
  /** XEP-0441 default for accounts that never set preferences: always, roster (contacts only) or never. */
  defaultPolicy: z.enum(DEFAULT_POLICIES as [DefaultPolicy, ...DefaultPolicy[]]).default("always"),
  /** Results per page when a client does not say (RSM <max/>). */
  pageSize: z.number().int().min(1).default(50),
  /** Most results per page; larger requests get this many. */
  maxPageSize: z.number().int().min(1).default(250),
  /** How long messages are kept, in milliseconds once parsed; 0 keeps them forever. */
  retention: retention.default(0),
  /** Seconds between removals of expired messages. */
  expiryInterval: z.number().min(1).default(3600),
}).refine((c) => c.pageSize <= c.maxPageSize, { message: "pageSize must not be larger than maxPageSize", path: ["pageSize"] });

/** The id `by` the account on a message, if it carries one. */
function ownStanzaId(stanza: Element, owner: string): Element | undefined {
  for (const child of stanza.children) {
    if (typeof child !== "string" && child.name === "stanza-id" && child.attrs.by === owner && child.attrs.xmlns === NS_SID) {
      return child;
    }
  }
  return undefined;
}

/** Whether a message carries any XEP-0359 <stanza-id/>. */
function hasStanzaId(stanza: Element): boolean {
  for (const child of stanza.children) {
    if (typeof child !== "string" && child.name === "stanza-id" && child.attrs.xmlns === NS_SID) return true;
  }
  return false;
}

/** The message as it is stored: serialised once, without `omit` (the archive's own stanza-id, implied by the item id). */
function serialise(stanza: Element, omit: Element | undefined): string {
  if (omit === undefined) return stanza.toString();
  const i = stanza.children.indexOf(omit);
  stanza.children.splice(i, 1);
  try {
    return stanza.toString();
  } finally {
    stanza.children.splice(i, 0, omit);
  }
}

/** Full-text input: the message's bodies. */
function bodyText(stanza: Element): string | undefined {
  let text: string | undefined;
  for (const child of stanza.children) {
    if (typeof child !== "string" && child.name === "body") text = text === undefined ? child.getText() : `${text}\n${child.getText()}`;
  }
  return text;
}

export default defineModule({
  id: "mam",
  xeps: [
    { xep: 313, version: "1.1.3", status: "complete", note: "user archives of one-to-one messages; #extended; groupchat stays in the rooms' archives" },
    { xep: 441, version: "0.2.0", status: "complete", note: "applied when archiving; the roster default uses the roster" },
    { xep: 431, version: "0.2.0", status: "complete", note: "all words of the field, whole words or word* prefixes, in message bodies" },
    { xep: 59, version: "1.0", status: "complete", note: "paging archive queries by id; <index/> is answered feature-not-implemented" },
  ],
  config: configSchema,
  // §7: features of the archiving JIDs, i.e. every account.
  disco: { accountFeatures: [NS_MAM, NS_MAM_EXTENDED, NS_MAM_GROUPCHAT_FIELD, NS_FULLTEXT] },
  // archive: one per account (owner: its bare JID). prefs: owner the host, key the account's bare JID, only for
  // accounts whose preferences differ from the server default, so all of them are read at start.
  storage: { archive: "archive", prefs: "map" },
  async setup(api) {
    const { config, log } = api;
    const store = api.archive("archive");
    const prefsStore = api.map("prefs");
    const writer = new ArchiveWriter(store, log, api.durability);
    const rosters = new RosterCache(api.roster);
    const serverDefault = new PrefsMatcher(defaultPrefs(config.defaultPolicy));

    /** Accounts with preferences of their own. */
    const prefs = new Map<string, PrefsMatcher>();
    for (const host of api.server.hosts) {
      for (const [account, value] of await prefsStore.all(host)) {
        const p = prefsFromJson(value);
        if (p) prefs.set(account, new PrefsMatcher(p));
        else log.error("stored archiving preferences cannot be read; the server default applies", { account });
      }
    }
    const matcherOf = (owner: string) => prefs.get(owner) ?? serverDefault;
    /** Rosters are kept for accounts that chose the roster default, and for online accounts when it is the server's. */
    const pinned = (owner: string) => prefs.get(owner)?.prefs.default === "roster";
    const wantsRoster = (owner: string) => matcherOf(owner).prefs.default === "roster";
    await Promise.all([...prefs.keys()].filter(pinned).map((owner) => rosters.load(owner)));

    /**
     * XEP-0441 for one message: true, false, or a lookup still to answer (a roster not in memory). The content rules
     * come first, so most messages that are not kept cost no preference lookup.
     */
    const decide = (stanza: Element, direction: Direction, from: Jid, to: Jid): boolean | Promise<boolean> => {
      if (!archivable(stanza)) return false;
      const owner = direction === "outgoing" ? from.bare : to.bare;
      const other = otherParty(direction, from, to);
      const matcher = matcherOf(owner);
      let pending: Promise<boolean> | undefined;
      const allowed = matcher.allows(other, (bare) => {
        if (bare === owner) return true;
        const known = rosters.contains(owner, bare);
        if (known !== undefined) return known;
        pending = api.roster.item(owner, bare).then((item) => item !== undefined);
        // Whoever waits for it sees a failure (the writer logs it); a message dropped before that leaves it unheard.
        pending.catch(() => undefined);
        return true;
      });
      return allowed && pending !== undefined ? pending : allowed;
    };

    /** Archive one message in `owner`'s archive, after `gate` when given (see writer.ts). */
    const archive = (owner: string, id: string, stanza: Element, omit: Element | undefined, other: Jid, gate?: Promise<boolean>) => {
      writer.write(owner, { id, when: Date.now(), with: other.bare, value: serialise(stanza, omit), text: bodyText(stanza) }, gate);
    };

    // ---- incoming (§3.2, §5.1.1) ----
    const incoming = (full: boolean) => ({ stanza, from, to }: StanzaEvent): boolean => {
      const owner = to.bare;
      // RFC 6121 §8.5.3.2.1: a normal message to a resource that is gone is bounced, never accepted.
      const bounced = full && decideFullMessage(messageType(stanza), api.sessions.get(to.full)).action === "bounce";
      const verdict = bounced ? false : decide(stanza, "incoming", from, to);
      if (verdict === false) {
        // No id `by` the account on what its archive does not hold (looked for first: most messages have none).
        if (hasStanzaId(stanza)) stripStanzaIds(stanza, owner);
        return false;
      }
      let sid = ownStanzaId(stanza, owner);
      if (!sid) {
        stampStanzaId(stanza, owner, api.newArchiveId());
        sid = ownStanzaId(stanza, owner)!;
      }
      // An account with no session may not exist (the core bounces the message then): no archive for it.
      const exists = api.sessions.resources(owner).length > 0 ? undefined : api.accounts.exists(to.toBare());
      const gate = verdict === true ? exists : exists === undefined ? verdict : Promise.all([exists, verdict]).then(([a, b]) => a && b);
      archive(owner, sid.attrs.id as string, stanza, sid, from, gate);
      return false;
    };
    api.hook("message:bare", incoming(false), INCOMING_PRIORITY);
    api.hook("message:full", incoming(true), INCOMING_PRIORITY);

    // ---- outgoing (§3.2) ----
    const outgoing = new WeakMap<Element, { id: string; gate?: Promise<boolean> }>();
    api.hook("stanza:pre", ({ origin, stanza, from, to }) => {
      if (origin?.kind !== "c2s" || stanza.name !== "message" || to.bare === from.bare) return false;
      const verdict = decide(stanza, "outgoing", from, to);
      if (verdict === false) return false;
      const id = stampStanzaId(stanza, from.bare, api.newArchiveId());
      outgoing.set(stanza, verdict === true ? { id } : { id, gate: verdict });
      return false;
    }, OUTGOING_STAMP_PRIORITY);
    api.hook("stanza:pre", ({ stanza, from, to }) => {
      const pending = outgoing.get(stanza);
      if (!pending) return false;
      outgoing.delete(stanza);
      stripStanzaIds(stanza, from.bare);
      archive(from.bare, pending.id, stanza, undefined, to, pending.gate);
      return false;
    }, OUTGOING_ARCHIVE_PRIORITY);

    // ---- queries (§4, §5) and preferences (XEP-0441 §2): an account's own only (§6: forbidden for others) ----
    const mine = ({ from, to }: IqContext) => from.bare === to.bare;
    const forbidden = () => new StanzaError("forbidden", "an archive is only open to its own account");

    api.iq("set", NS_MAM, "query", async (ctx) => {
      if (!mine(ctx)) return forbidden();
      const parsed = parseQuery(ctx.payload);
      if (!parsed.ok) return parsed.error;
      const requester = ctx.origin;
      // What was routed before the query is in the archive: the batch being gathered is written first.
      await writer.settled(ctx.to.bare);
      return runArchiveQuery({
        store,
        owner: ctx.to.bare,
        pageSize: config.pageSize,
        maxPageSize: config.maxPageSize,
        from: ctx.stanza.attrs.to as string | undefined,
        to: ctx.from.full,
        send: requester ? (m) => requester.send(m) : (m) => api.send(m),
        log,
      }, parsed.value);
    }, { to: "bare" });

    api.iq("get", NS_MAM, "query", (ctx) => (mine(ctx) ? queryForm() : forbidden()), { to: "bare" });
    api.iq("get", NS_MAM, "metadata", async (ctx) => {
      if (!mine(ctx)) return forbidden();
      await writer.settled(ctx.to.bare);
      return archiveMetadata(store, ctx.to.bare);
    }, { to: "bare" });

    api.iq("get", NS_MAM, "prefs", (ctx) => (mine(ctx) ? prefsElement(matcherOf(ctx.to.bare).prefs) : forbidden()), { to: "bare" });
    api.iq("set", NS_MAM, "prefs", async (ctx) => {
      if (!mine(ctx)) return forbidden();
      const parsed = parsePrefs(ctx.payload);
      if (!parsed.ok) return parsed.error;
      await applyPrefs(ctx.to, parsed.prefs);
      return prefsElement(parsed.prefs);
    }, { to: "bare" });

    /** Store, then apply (the roster first, so the roster default is exact from the first message after the reply). */
    const applyPrefs = async (account: Jid, p: Prefs) => {
      const owner = account.bare;
      if (isDefaultPrefs(p, config.defaultPolicy)) await prefsStore.delete(account.domain, owner);
      else await prefsStore.set(account.domain, owner, prefsToJson(p));
      if (p.default === "roster") await rosters.load(owner);
      if (isDefaultPrefs(p, config.defaultPolicy)) prefs.delete(owner);
      else prefs.set(owner, new PrefsMatcher(p));
      if (!wantsRoster(owner)) rosters.drop(owner);
    };

    // ---- the rosters the roster default needs ----
    api.hook("roster:changed", ({ owner, contact, removed }) => {
      rosters.changed(owner.bare, contact.bare, removed);
    });
    api.hook("session:bound", ({ session }) => {
      const owner = session.bare.full;
      if (wantsRoster(owner) && !rosters.loaded(owner)) {
        rosters.load(owner).catch((err) => log.error("cannot read a roster for archiving preferences", { owner, err }));
      }
    });
    api.hook("session:closed", ({ session }) => {
      const owner = session.bare.full;
      if (!pinned(owner) && api.sessions.resources(owner).length === 0) rosters.drop(owner);
    });

    // ---- removal with the account ----
    api.hook("account:deleted", ({ jid }) => {
      const owner = jid.bare;
      prefs.delete(owner);
      rosters.drop(owner);
      (async () => {
        await writer.settled(owner);
        // Everything archived until now: a new account of the same name may start archiving while this runs.
        const cutoff = Date.now() + 1;
        await prefsStore.delete(jid.domain, owner);
        const removed = await store.delete(owner, cutoff);
        log.info("archive of a deleted account removed", { owner, removed });
      })().catch((err) => log.error("cannot remove the archive of a deleted account", { owner, err }));
    });

    // ---- retention (§3.1: only the oldest messages go) ----
    if (config.retention > 0) {
      let sweeping: Promise<void> | undefined;
      const sweep = () => {
        if (sweeping) return;
        sweeping = store.expire(Date.now() - config.retention)
          .then((removed) => { if (removed > 0) log.info("expired archived messages removed", { removed }); })
          .catch((err) => log.error("cannot remove expired archived messages", { err }))
          .finally(() => { sweeping = undefined; });
      };
      const first = setTimeout(sweep, 0);
      const every = setInterval(sweep, config.expiryInterval * 1000);
      first.unref();
      every.unref();
      api.onUnload(async () => {
        clearTimeout(first);
        clearInterval(every);
        await sweeping;
      });
    }
    api.onUnload(() => writer.settled());
  },
});
