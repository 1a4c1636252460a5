/**
 * PRECIS string preparation (RFC 8264) with the profiles XMPP uses (RFC 8265, RFC 7622):
 * UsernameCaseMapped for localparts and SASL usernames, OpaqueString for resourceparts and passwords.
 * Implemented with Unicode property escapes; the derived-property table of RFC 8264 §9 is approximated by
 * general categories, which covers every character class a real client sends.
 */
export type Prepared = { ok: true; value: string } | { ok: false; error: string };

const ok = (value: string): Prepared => ({ ok: true, value });
const fail = (error: string): Prepared => ({ ok: false, error });

// RFC 8264 §9.1/§9.12: LetterDigits (Ll Lu Lo Nd Lm Mn Mc) and ASCII7 (printable ASCII, no space) are PVALID.
const IDENTIFIER_VALID = /^(?:[\x21-\x7E]|[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}])$/u;
// RFC 8264 §9.11/§9.13-14: FreeformClass additionally allows spaces, symbols and punctuation, but never
// controls, default-ignorable code points, unassigned code points or surrogates.
const FREEFORM_INVALID = /[\p{Cc}\p{Cs}\p{Cn}\p{Co}\p{Default_Ignorable_Code_Point}]/u;
const NON_ASCII_SPACE = /[\p{Zs}]/gu;
// Fullwidth and halfwidth forms (RFC 8264 §9.16 width mapping applies to these).
const WIDE_OR_NARROW = /[\u{FF01}-\u{FFEE}]/u;

function widthMap(s: string): string {
  if (!WIDE_OR_NARROW.test(s)) return s;
  let out = "";
  for (const ch of s) out += WIDE_OR_NARROW.test(ch) ? ch.normalize("NFKC") : ch;
  return out;
}

/** RFC 8265 §3.3 UsernameCaseMapped: width map, lower case, NFC, then the IdentifierClass check. */
export function usernameCaseMapped(input: string): Prepared {
  const s = widthMap(input).toLowerCase().normalize("NFC");
  if (s.length === 0) return fail("empty");
  for (const ch of s) {
    if (!IDENTIFIER_VALID.test(ch)) return fail(`character U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} not allowed`);
    // HasCompat (RFC 8264 §9.17) is disallowed in the IdentifierClass.
    if (ch.normalize("NFKC") !== ch) return fail(`compatibility character U+${ch.codePointAt(0)!.toString(16).toUpperCase()} not allowed`);
  }
  return ok(s);
}

/** RFC 8265 §4.2 OpaqueString: non-ASCII spaces to U+0020, NFC, then the FreeformClass check. */
export function opaqueString(input: string): Prepared {
  const s = input.replace(NON_ASCII_SPACE, " ").normalize("NFC");
  if (s.length === 0) return fail("empty");
  if (FREEFORM_INVALID.test(s)) return fail("control or ignorable character not allowed");
  return ok(s);
}
