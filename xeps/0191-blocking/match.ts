/**
 * XEP-0191 §6 JID matching (as in XEP-0016): which blocklist entries cover an address.
 *   user@domain/resource  only that resource
 *   user@domain           the account, any resource
 *   domain/resource       only that resource of the domain itself
 *   domain                the domain itself, and every user@domain and domain/resource
 */
import type { Jid } from "../../src/jid.js";

/** The entries that would cover `jid`: its full JID, its bare JID and its domain (duplicates removed). */
export function coveringEntries(jid: Jid): string[] {
  const out = [jid.full];
  if (jid.bare !== jid.full) out.push(jid.bare);
  if (jid.domain !== jid.bare) out.push(jid.domain);
  return out;
}

/** Whether one blocklist entry covers `jid`. */
export function entryMatches(entry: Jid, jid: Jid): boolean {
  return coveringEntries(jid).includes(entry.full);
}

/** Whether a blocklist (entries as prepared JID strings) covers `jid`: three set lookups at most. */
export function isBlocked(list: ReadonlySet<string>, jid: Jid): boolean {
  if (list.has(jid.full)) return true;
  if (jid.bare !== jid.full && list.has(jid.bare)) return true;
  return jid.domain !== jid.bare && list.has(jid.domain);
}
