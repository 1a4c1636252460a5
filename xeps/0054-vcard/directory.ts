/**
 * The searchable fields of a vCard (XEP-0054 §3): what a user directory (XEP-0055) matches on. Kept apart
 * from the vCards themselves so a search reads one small record per account.
 */
import type { Element } from "ltx";

export interface DirectoryFields {
  /** FN: the formatted name. */
  fn?: string;
  /** N/GIVEN and N/FAMILY (XEP-0055 "first" and "last"). */
  first?: string;
  last?: string;
  nick?: string;
  /** Every EMAIL/USERID (XEP-0054 §8: addresses are in USERID, not the EMAIL text). */
  emails: string[];
}

const text = (el: Element | undefined) => {
  const t = el?.getText().trim();
  return t ? t : undefined;
};

export function directoryFields(vcard: Element): DirectoryFields {
  const n = vcard.getChild("N");
  const fields: DirectoryFields = { emails: [] };
  const fn = text(vcard.getChild("FN"));
  const first = text(n?.getChild("GIVEN"));
  const last = text(n?.getChild("FAMILY"));
  const nick = text(vcard.getChild("NICKNAME"));
  if (fn) fields.fn = fn;
  if (first) fields.first = first;
  if (last) fields.last = last;
  if (nick) fields.nick = nick;
  for (const email of vcard.getChildren("EMAIL")) {
    // Old clients put the address as EMAIL's text; take it when there is no USERID.
    const address = text(email.getChild("USERID")) ?? text(email);
    if (address) fields.emails.push(address);
  }
  return fields;
}
