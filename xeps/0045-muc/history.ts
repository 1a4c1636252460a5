/**
 * Discussion history (XEP-0045 §7.2.13, §7.2.14): the last messages a room keeps to send on entering, and the
 * choice of what to send given the <history/> a client asks for and the room's limit.
 */
import type { Element } from "ltx";

/** §7.2.14 "History Management Attributes"; absent ones do not limit. */
export interface HistoryRequest {
  maxchars?: number;
  maxstanzas?: number;
  seconds?: number;
  /** ms since the epoch (XEP-0082 DateTime in the request). */
  since?: number;
}

const XEP0082 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The <history/> of a join presence's <x xmlns='http://jabber.org/protocol/muc'/>; attributes that are not valid are ignored. */
export function parseHistoryRequest(history: Element | undefined): HistoryRequest {
  const req: HistoryRequest = {};
  if (!history) return req;
  for (const key of ["maxchars", "maxstanzas", "seconds"] as const) {
    const v = history.attrs[key];
    if (typeof v !== "string" || !/^\d+$/.test(v.trim())) continue;
    req[key] = Number(v.trim());
  }
  const since = history.attrs.since;
  if (typeof since === "string" && XEP0082.test(since.trim())) {
    const t = Date.parse(since.trim());
    if (!Number.isNaN(t)) req.since = t;
  }
  return req;
}

export interface HistoryCandidate {
  /** When the room received the message (ms). */
  when: number;
  /** Characters of the complete stanza as it will be sent (§7.2.14 maxchars counts "the complete XML stanzas"). */
  chars: number;
}

/**
 * §7.2.14: "the smallest amount of traffic that meets any combination of the above criteria, taking into
 * account service-level and room-level defaults": every limit applies, the room's `limit` caps the number of
 * messages, and maxchars takes the largest number of complete, most recent stanzas whose characters fit.
 * `entries` are oldest first; so is the result (a suffix of them).
 */
export function selectHistory<T extends HistoryCandidate>(entries: readonly T[], req: HistoryRequest, now: number, limit: number): T[] {
  const count = Math.min(limit, req.maxstanzas ?? limit);
  if (count <= 0 || req.maxchars === 0) return [];
  let start = Math.max(0, entries.length - count);
  // "seconds": received in the last X seconds; "since": received after that moment. Entries are in time order.
  const from = req.seconds !== undefined ? now - req.seconds * 1000 : undefined;
  const wanted = (e: T) => (req.since === undefined || e.when > req.since) && (from === undefined || e.when >= from);
  while (start < entries.length && !wanted(entries[start]!)) start++;
  if (req.maxchars !== undefined) {
    let chars = 0;
    let i = entries.length;
    while (i > start && chars + entries[i - 1]!.chars <= req.maxchars) chars += entries[--i]!.chars;
    start = i;
  }
  return entries.slice(start);
}

/** The messages a room keeps for history, oldest first, at most `capacity`. */
export class HistoryBuffer<T extends { id: string }> {
  private items: T[] = [];
  constructor(private capacity: number) {}

  get size(): number { return this.items.length; }

  all(): readonly T[] { return this.items; }

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Replace the item with this id (a moderated retraction leaves a tombstone); false when it is not kept. */
  replace(id: string, item: T): boolean {
    const i = this.items.findIndex((x) => x.id === id);
    if (i === -1) return false;
    this.items[i] = item;
    return true;
  }

  find(id: string): T | undefined {
    return this.items.find((x) => x.id === id);
  }

  resize(capacity: number): void {
    this.capacity = capacity;
    if (this.items.length > capacity) this.items.splice(0, this.items.length - capacity);
  }

  clear(): void {
    this.items = [];
  }
}
