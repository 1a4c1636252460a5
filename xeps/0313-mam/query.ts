/**
 * Running a XEP-0313 query against one archive (§4, §4.2) and the archive metadata (§5), independent of whose archive
 * it is: the mam module uses it for accounts, a MUC service can use it for rooms (§3: a room's archive is queried at
 * the room's bare JID) with its own `with` semantics and rendering.
 *
 * Results are sent one message each, in chronological order (or reversed within the page with <flip-page/>), before
 * the IQ result that carries <fin/> (§4: "the server MUST send the IQ result after the last query result").
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { parseJid, type Jid } from "../../src/jid.js";
import type { Logger } from "../../src/log.js";
import type { ArchiveItem, ArchiveQuery, ArchiveStore } from "../../src/storage/types.js";
import { xmppDateTime } from "../../src/xml/delay.js";
import { parseXml } from "../../src/xml/element.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import type { MamQuery } from "./form.js";
import { NS_DELAY, NS_FORWARD, NS_MAM, NS_RSM } from "./ns.js";

/** Most ids one `ids` filter may list (each is looked up); more is a policy violation. */
export const MAX_IDS = 1000;
/** Items read per step when results are filtered after reading (a full-JID `with`). */
const REFINE_CHUNK = 200;

/**
 * How a `with` JID selects items: the store's `with` value to match exactly, and optionally a finer test on each
 * such item (with the message it holds, parsed once). §4.1.1 for user archives: a bare JID matches every item of
 * that correspondent (stored as its bare JID); a full JID only messages to or from exactly that JID.
 */
export interface WithFilter {
  with: string;
  refine?: (item: ArchiveItem, message: Element | null) => boolean;
}

export interface ArchiveQueryTarget {
  store: ArchiveStore;
  /** The archive's owner in the store: an account's or a room's bare JID. */
  owner: string;
  /** Results per page when the client gives no <max/>, and the most a page may have (larger requests are capped). */
  pageSize: number;
  maxPageSize: number;
  /** `from` of the result messages: the address the query was sent to; absent when the client sent it to no one. */
  from?: string;
  /** The requester's full JID (`to` of the result messages). */
  to: string;
  /** Sends one result message (to the requesting session, or through the router). */
  send(stanza: Element): void;
  log: Logger;
  /** `with` semantics; default: a user archive's (`userWith`). */
  withFilter?: (w: Jid, owner: string) => WithFilter;
  /**
   * The <message/> to forward for an item (with xmlns='jabber:client', XEP-0297 §3.2); default: the stored message
   * (`storedMessage`). Null sends the result without a message (§3.1: a message removed from the archive).
   */
  render?: (item: ArchiveItem, parsed: Element | null) => Element | null;
}

/** The message an item holds: its value is the serialised <message/>. Null when it cannot be read. */
export function storedMessage(item: ArchiveItem): Element | null {
  if (typeof item.value !== "string") return null;
  const el = parseXml(item.value);
  if (el !== null) el.attrs.xmlns = "jabber:client";
  return el;
}

/** Whether an address attribute names `full` (attributes a client wrote may be unprepared). */
function names(attr: string | undefined, full: string): boolean {
  if (attr === undefined) return false;
  if (attr === full) return true;
  const parsed = parseJid(attr);
  return parsed.ok && parsed.jid.full === full;
}

/**
 * §4.1.1 for user archives. Items are stored with the other party's bare JID, and a message to or from the owner's
 * own account with the owner's JID: so `with` = the account JID selects exactly the messages whose to and from are
 * both the account (the §4.1.1 rule for messages to oneself).
 */
export function userWith(w: Jid): WithFilter {
  if (w.resource === "") return { with: w.bare };
  return { with: w.bare, refine: (_item, m) => m !== null && (names(m.attrs.from, w.full) || names(m.attrs.to, w.full)) };
}

interface Page {
  items: ArchiveItem[];
  /** Parsed messages of the items, when parsing was needed to select them. */
  parsed: Map<ArchiveItem, Element | null>;
  complete: boolean;
  /** Undefined when counting would mean reading every candidate. */
  count?: number;
}

/**
 * One page when items are tested after reading: read in chunks in the paging direction until one match more than
 * `limit` (which says the page is not complete) or the end. Cost in proportion to the candidates read.
 */
async function refinedPage(
  t: ArchiveQueryTarget, base: ArchiveQuery, q: MamQuery, limit: number, refine: NonNullable<WithFilter["refine"]>,
): Promise<Page | StanzaError> {
  const backward = q.before !== undefined;
  let after = q.after;
  let before = q.before;
  const kept: ArchiveItem[] = [];
  const parsed = new Map<ArchiveItem, Element | null>();
  let more = false;
  reading: for (;;) {
    const page = await t.store.query(t.owner, { ...base, after, before, limit: REFINE_CHUNK });
    if (!page.ok) return new StanzaError(page.error);
    const nearestFirst = backward ? [...page.items].reverse() : page.items;
    for (const item of nearestFirst) {
      const message = storedMessage(item);
      if (!refine(item, message)) continue;
      if (kept.length === limit) {
        more = true;
        break reading;
      }
      kept.push(item);
      parsed.set(item, message);
    }
    if (page.complete || page.items.length === 0) break;
    if (backward) before = page.items[0]!.id;
    else after = page.items.at(-1)!.id;
  }
  if (backward) kept.reverse();
  const whole = !more && q.after === undefined && (q.before === undefined || q.before === "");
  return { items: kept, parsed, complete: !more, count: whole ? kept.length : undefined };
}

/** The <fin/> of a page (§4.2.1, §4.2.2; XEP-0059 §2.1: no <first/>/<last/> on an empty page). */
export function finElement(page: { items: readonly ArchiveItem[]; complete: boolean; count?: number }, firstIsFirstOfSet: boolean): Element {
  const { items } = page;
  const set = xml("set", { xmlns: NS_RSM });
  if (items.length > 0) {
    // XEP-0059 §2.1: the index of the first item, given here only when it is known without counting (0).
    set.cnode(xml("first", firstIsFirstOfSet ? { index: "0" } : {}, items[0]!.id));
    set.cnode(xml("last", {}, items.at(-1)!.id));
  }
  if (page.count !== undefined) set.cnode(xml("count", {}, String(page.count)));
  return xml("fin", { xmlns: NS_MAM, complete: page.complete ? "true" : undefined }, set);
}

/** One result message (§4.1.7): <result/> with the archive id, XEP-0297 <forwarded/> with a XEP-0203 <delay/>. */
export function resultMessage(to: string, from: string | undefined, queryid: string | undefined, item: ArchiveItem, message: Element | null): Element {
  return xml("message", { to, from },
    xml("result", { xmlns: NS_MAM, queryid, id: item.id },
      xml("forwarded", { xmlns: NS_FORWARD },
        xml("delay", { xmlns: NS_DELAY, stamp: xmppDateTime(item.when) }),
        message)));
}

/**
 * Run a parsed query against one archive: check the ids it names (§4.1.3, §4.1.4, §4.2.2: item-not-found when one is
 * not in the archive), read one page (at most `maxPageSize` items), send the results, and return the <fin/> for the
 * IQ result, or the error to answer with (nothing is sent then).
 */
export async function runArchiveQuery(t: ArchiveQueryTarget, q: MamQuery): Promise<Element | StanzaError> {
  const limit = Math.min(q.max ?? t.pageSize, t.maxPageSize);

  let ids: string[] | undefined;
  if (q.ids !== undefined) {
    ids = [...new Set(q.ids)];
    if (ids.length > MAX_IDS) return new StanzaError("policy-violation", `at most ${MAX_IDS} ids per query`);
    if (ids.length > 0) {
      // The store leaves unknown ids out; the XEP wants them reported, so compare the count of those it has.
      const known = await t.store.query(t.owner, { ids, limit: 0 });
      if (!known.ok || known.count !== ids.length) return new StanzaError("item-not-found", "an id of the ids field is not in this archive");
    }
  }

  const filter = q.with === undefined ? undefined : (t.withFilter ?? userWith)(q.with, t.owner);
  const base: ArchiveQuery = {
    with: filter?.with, start: q.start, end: q.end, afterId: q.afterId, beforeId: q.beforeId, ids, fulltext: q.fulltext,
  };

  let page: Page;
  if (filter?.refine) {
    const r = await refinedPage(t, base, q, limit, filter.refine);
    if (r instanceof StanzaError) return r;
    page = r;
  } else {
    const r = await t.store.query(t.owner, { ...base, after: q.after, before: q.before, limit });
    if (!r.ok) return new StanzaError(r.error);
    page = { items: r.items, parsed: new Map(), complete: r.complete, count: r.count };
  }

  const render = t.render ?? ((_item: ArchiveItem, parsed: Element | null) => parsed);
  const order = q.flip ? [...page.items].reverse() : page.items;
  for (const item of order) {
    const parsed = page.parsed.has(item) ? page.parsed.get(item)! : storedMessage(item);
    const message = render(item, parsed);
    if (message === null) t.log.error("archived message cannot be read; sent without it", { owner: t.owner, id: item.id });
    t.send(resultMessage(t.to, t.from, q.queryid, item, message));
  }
  // <first/> and <last/> stay the oldest and newest of the page with <flip-page/> too: they are the RSM keys for the
  // pages before and after it, and flipping changes only the order of transmission (§4.2.4).
  const firstOfSet = q.after === undefined && (q.before === undefined || page.complete);
  return finElement(page, firstOfSet);
}

/** §5: the first and last items of an archive; an empty <metadata/> when it is empty. */
export async function archiveMetadata(store: ArchiveStore, owner: string): Promise<Element> {
  const first = await store.query(owner, { limit: 1 });
  const last = await store.query(owner, { before: "", limit: 1 });
  const meta = xml("metadata", { xmlns: NS_MAM });
  const a = first.ok ? first.items[0] : undefined;
  const b = last.ok ? last.items[0] : undefined;
  if (a && b) {
    meta.cnode(xml("start", { id: a.id, timestamp: xmppDateTime(a.when) }));
    meta.cnode(xml("end", { id: b.id, timestamp: xmppDateTime(b.when) }));
  }
  return meta;
}
