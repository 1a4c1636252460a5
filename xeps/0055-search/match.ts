/**
 * XEP-0055 searching, as pure functions: what a directory entry is, which entries match a query, in which order.
 * The XEP leaves matching to the service; here every field given must match (all of them, not any), a field
 * matches when it contains the value given, compared case-insensitively after NFKC normalisation, and a
 * trailing "*" (a wildcard some clients add) is ignored.
 */

export interface Entry {
  /** The account's bare JID. */
  jid: string;
  /** Its localpart. */
  username: string;
  fn?: string;
  first?: string;
  last?: string;
  nick?: string;
  emails: readonly string[];
}

/** The search fields: the four of §2 (and of the jabber:iq:search FORM_TYPE, §3), plus two form-only ones. */
export interface Query {
  first?: string;
  last?: string;
  /** The vCard nickname, or else the username. */
  nick?: string;
  email?: string;
  /** Form field x-username: the account's username. */
  username?: string;
  /** Form field x-fn: the vCard's full name. */
  fn?: string;
}

const fold = (s: string) => s.normalize("NFKC").toLowerCase();

/** A query with every value folded and trimmed, and empty values left out; null when nothing is asked. */
export function normalizeQuery(q: Query): Query | null {
  const out: Query = {};
  for (const [k, v] of Object.entries(q) as [keyof Query, string | undefined][]) {
    const value = v === undefined ? "" : fold(v.trim().replace(/\*+$/, "").trim());
    if (value !== "") out[k] = value;
  }
  return Object.keys(out).length > 0 ? out : null;
}

const has = (field: string | undefined, value: string) => field !== undefined && fold(field).includes(value);

/** Whether an entry matches a normalised query (every field of it). */
export function matches(e: Entry, q: Query): boolean {
  return (q.first === undefined || has(e.first, q.first))
    && (q.last === undefined || has(e.last, q.last))
    && (q.nick === undefined || has(e.nick, q.nick) || has(e.username, q.nick))
    && (q.email === undefined || e.emails.some((m) => has(m, q.email!)))
    && (q.username === undefined || has(e.username, q.username))
    && (q.fn === undefined || has(e.fn, q.fn));
}

/** The entries that match, by JID, at most `limit` of them; `truncated` when there were more. */
export function search(entries: Iterable<Entry>, q: Query, limit: number): { results: Entry[]; truncated: boolean } {
  const all = [...entries].filter((e) => matches(e, q)).sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0));
  return { results: all.slice(0, limit), truncated: all.length > limit };
}
