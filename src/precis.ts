/**
 * PRECIS string preparation (RFC 8264) with the profiles XMPP uses (RFC 8265, RFC 7622):
 * UsernameCaseMapped for localparts and SASL usernames, OpaqueString for resourceparts and passwords.
 *
 * The derived property of RFC 8264 §8 is computed from the Unicode data of the running ICU (general categories,
 * binary properties and normalisation), following the algorithm's order exactly. Two inputs are approximated
 * because JavaScript exposes neither Bidi_Class nor Joining_Type:
 *  - the Bidi Rule (RFC 5893 §2) classifies code points by script and category (see `bidiClass`);
 *  - ZERO WIDTH NON-JOINER is accepted only after a virama (RFC 5892 A.1, first clause); its joining-type
 *    clause is not evaluated, so ZWNJ in Persian words is rejected. Both err on the side of rejecting.
 */
export type Prepared = { ok: true; value: string } | { ok: false; error: string };

const ok = (value: string): Prepared => ({ ok: true, value });
const fail = (error: string): Prepared => ({ ok: false, error });

/** RFC 8264 §8 derived property values; ID_DIS and FREE_PVAL are the same value ("FREE_PVAL"). */
export type DerivedProperty = "PVALID" | "FREE_PVAL" | "CONTEXTJ" | "CONTEXTO" | "DISALLOWED" | "UNASSIGNED";

// RFC 5892 §2.6 Exceptions (F), included by RFC 8264 §9.6.
const EXCEPTIONS = new Map<number, DerivedProperty>([
  [0x00df, "PVALID"], [0x03c2, "PVALID"], [0x06fd, "PVALID"], [0x06fe, "PVALID"], [0x0f0b, "PVALID"],
  [0x3007, "PVALID"],
  [0x00b7, "CONTEXTO"], [0x0375, "CONTEXTO"], [0x05f3, "CONTEXTO"], [0x05f4, "CONTEXTO"], [0x30fb, "CONTEXTO"],
  [0x0640, "DISALLOWED"], [0x07fa, "DISALLOWED"], [0x302e, "DISALLOWED"], [0x302f, "DISALLOWED"],
  [0x3031, "DISALLOWED"], [0x3032, "DISALLOWED"], [0x3033, "DISALLOWED"], [0x3034, "DISALLOWED"],
  [0x3035, "DISALLOWED"], [0x303b, "DISALLOWED"],
]);
const isArabicIndicDigit = (cp: number) => cp >= 0x0660 && cp <= 0x0669;
const isExtendedArabicIndicDigit = (cp: number) => cp >= 0x06f0 && cp <= 0x06f9;
// RFC 5892 §2.9 OldHangulJamo (I): Hangul_Syllable_Type L, V or T.
const isOldHangulJamo = (cp: number) =>
  (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97c) || (cp >= 0xd7b0 && cp <= 0xd7c6) ||
  (cp >= 0xd7cb && cp <= 0xd7fb);

const UNASSIGNED = /^\p{Cn}$/u;
const NONCHARACTER = /^\p{Noncharacter_Code_Point}$/u;
const JOIN_CONTROL = /^\p{Join_Control}$/u;
const PRECIS_IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]$/u; // §9.13
const CONTROL = /^\p{Cc}$/u;                                                                  // §9.12
const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;                       // §9.1
const OTHER_LETTER_DIGITS = /^[\p{Lt}\p{Nl}\p{No}\p{Me}]$/u;                                   // §9.18
const SPACES_SYMBOLS_PUNCTUATION = /^[\p{Zs}\p{Sm}\p{Sc}\p{Sk}\p{So}\p{Pc}\p{Pd}\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Po}]$/u; // §9.14-16

/** RFC 8264 §8: the derived property of one code point, in the order the algorithm prescribes. */
export function derivedProperty(cp: number): DerivedProperty {
  const exception = EXCEPTIONS.get(cp);
  if (exception) return exception;
  if (isArabicIndicDigit(cp) || isExtendedArabicIndicDigit(cp)) return "CONTEXTO"; // also RFC 5892 §2.6
  // BackwardCompatible (§9.7) is the empty set.
  const ch = String.fromCodePoint(cp);
  if (UNASSIGNED.test(ch) && !NONCHARACTER.test(ch)) return "UNASSIGNED"; // RFC 5892 §2.10
  if (cp >= 0x21 && cp <= 0x7e) return "PVALID";                         // ASCII7, §9.11
  if (JOIN_CONTROL.test(ch)) return "CONTEXTJ";
  if (isOldHangulJamo(cp)) return "DISALLOWED";
  if (PRECIS_IGNORABLE.test(ch)) return "DISALLOWED";
  if (CONTROL.test(ch)) return "DISALLOWED";
  if (ch.normalize("NFKC") !== ch) return "FREE_PVAL";                  // HasCompat, §9.17
  if (LETTER_DIGITS.test(ch)) return "PVALID";
  if (OTHER_LETTER_DIGITS.test(ch)) return "FREE_PVAL";
  if (SPACES_SYMBOLS_PUNCTUATION.test(ch)) return "FREE_PVAL";
  return "DISALLOWED";
}

/**
 * Canonical_Combining_Class == Virama (9), found without a data table: canonical reordering (UAX #15) moves a
 * mark after one with a lower class, so the class lies strictly between NUKTA (7) and HEBREW SHEVA (10)
 * exactly when it is 8 (only the two kana voicing marks) or 9.
 */
function isVirama(ch: string): boolean {
  if (ch === "\u093c" || ch === "\u05b0" || ch === "\u3099" || ch === "\u309a") return false;
  if (!/^\p{M}$/u.test(ch) || ch.normalize("NFD") !== ch) return false;
  return (ch + "\u093c").normalize("NFD").startsWith("\u093c") && ("\u05b0" + ch).normalize("NFD").startsWith(ch);
}

const GREEK = /^\p{Script=Greek}$/u;
const HEBREW = /^\p{Script=Hebrew}$/u;
const KANA_OR_HAN = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;

/** RFC 5892 Appendix A contextual rules; `cps` is the whole string, `i` the position being checked. */
function contextAllows(cps: readonly number[], i: number): boolean {
  const cp = cps[i]!;
  const before = i > 0 ? String.fromCodePoint(cps[i - 1]!) : "";
  const after = i + 1 < cps.length ? String.fromCodePoint(cps[i + 1]!) : "";
  switch (cp) {
    case 0x200c: // A.1 ZERO WIDTH NON-JOINER (joining-type clause not evaluated: see the header)
    case 0x200d: // A.2 ZERO WIDTH JOINER
      return before !== "" && isVirama(before);
    case 0x00b7: return before === "l" && after === "l";                     // A.3 MIDDLE DOT
    case 0x0375: return after !== "" && GREEK.test(after);                   // A.4 GREEK KERAIA
    case 0x05f3: case 0x05f4: return before !== "" && HEBREW.test(before);   // A.5, A.6
    case 0x30fb: return cps.some((c) => c !== 0x30fb && KANA_OR_HAN.test(String.fromCodePoint(c))); // A.7
    default:
      if (isArabicIndicDigit(cp)) return !cps.some(isExtendedArabicIndicDigit); // A.8
      if (isExtendedArabicIndicDigit(cp)) return !cps.some(isArabicIndicDigit); // A.9
      return false;
  }
}

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;

/** RFC 8264 §4.2 (IdentifierClass) or §4.3 (FreeformClass) check of a whole string; null when it conforms. */
function classViolation(s: string, freeform: boolean): string | null {
  const cps = Array.from(s, (ch) => ch.codePointAt(0)!);
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    const p = derivedProperty(cp);
    if (p === "PVALID" || (p === "FREE_PVAL" && freeform)) continue;
    if ((p === "CONTEXTJ" || p === "CONTEXTO") && contextAllows(cps, i)) continue;
    return p === "UNASSIGNED" ? `unassigned code point ${hex(cp)}` : `character ${hex(cp)} not allowed`;
  }
  return null;
}

// Right-to-left scripts (Bidi_Class R or AL for their letters and digits).
const RTL_SCRIPT = new RegExp("^[" + [
  "Hebrew", "Arabic", "Syriac", "Thaana", "Nko", "Samaritan", "Mandaic", "Adlam", "Hanifi_Rohingya",
  "Mende_Kikakui", "Imperial_Aramaic", "Phoenician", "Kharoshthi", "Old_South_Arabian", "Old_North_Arabian",
  "Avestan", "Inscriptional_Parthian", "Inscriptional_Pahlavi", "Psalter_Pahlavi", "Old_Turkic", "Cypriot",
  "Lydian", "Nabataean", "Palmyrene", "Hatran", "Manichaean", "Old_Hungarian", "Sogdian", "Old_Sogdian",
  "Elymaic", "Chorasmian", "Yezidi", "Meroitic_Cursive", "Meroitic_Hieroglyphs",
].map((s) => `\\p{Script=${s}}`).join("") + "]$", "u");
// Bidi_Class AN and EN (the code points of these classes that the class checks can let through).
const ARABIC_NUMBER = /^[\u0600-\u0605\u0660-\u0669\u066b\u066c\u06dd\u0890\u0891\u08e2\u{10e60}-\u{10e7e}]$/u;
const EUROPEAN_NUMBER = /^[0-9\u00b2\u00b3\u00b9\u06f0-\u06f9\u2070-\u2079\u2080-\u2089\u2488-\u249b\uff10-\uff19\u{1d7ce}-\u{1d7ff}]$/u;
const NEUTRAL = /^[\p{Zs}\p{S}\p{P}]$/u; // ES, CS, ET, ON: allowed inside an RTL label, never at its end

type Bidi = "R" | "AN" | "EN" | "NSM" | "N" | "L";

/** Approximate Bidi_Class (UAX #9) from script and general category; see the header. */
function bidiClass(ch: string): Bidi {
  if (/^[\p{Mn}\p{Me}]$/u.test(ch)) return "NSM";
  if (ARABIC_NUMBER.test(ch)) return "AN";
  if (EUROPEAN_NUMBER.test(ch)) return "EN";
  // Letters, digits and most punctuation of these scripts (HEBREW PUNCTUATION GERESH, ARABIC FULL STOP) are R/AL.
  if (RTL_SCRIPT.test(ch)) return "R";
  return NEUTRAL.test(ch) ? "N" : "L";
}

/**
 * RFC 5893 §2 Bidi Rule, applied (RFC 8265 §3.3.1 rule 5) only to strings holding right-to-left code points.
 * Such a string is an RTL label: it starts with R/AL (1), holds no L (2), ends with R/AL/EN/AN then NSMs (3)
 * and never mixes EN with AN (4).
 */
function bidiViolation(s: string): string | null {
  const classes = Array.from(s, bidiClass);
  if (!classes.some((c) => c === "R" || c === "AN")) return null;
  if (classes[0] !== "R") return "right-to-left string must start with a right-to-left letter";
  if (classes.includes("L")) return "right-to-left string mixes in left-to-right characters";
  let last = classes.length - 1;
  while (last > 0 && classes[last] === "NSM") last--;
  if (classes[last] === "N" || classes[last] === "NSM") return "right-to-left string ends with a neutral character";
  if (classes.includes("EN") && classes.includes("AN")) return "right-to-left string mixes European and Arabic digits";
  return null;
}

// RFC 8265 §3.3.1 rule 1: fullwidth and halfwidth code points (UAX #11) map to their decomposition mappings,
// which for these blocks is exactly their NFKC form, one code point at a time.
const WIDE_OR_NARROW = /[\u3000\uff01-\uffee]/gu;
const widthMap = (s: string) => s.replace(WIDE_OR_NARROW, (ch) => ch.normalize("NFKC"));

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const PRINTABLE_ASCII_OR_SPACE = /^[\x20-\x7e]+$/;

/**
 * RFC 8264 §7: mappings are not always idempotent, so apply them until the result is stable, giving up after
 * three further applications.
 */
function applyUntilStable(input: string, rules: (s: string) => string): string | null {
  let current = rules(input);
  for (let i = 0; i < 3; i++) {
    const next = rules(current);
    if (next === current) return current;
    current = next;
  }
  return null;
}

/**
 * RFC 8265 §3.3 UsernameCaseMapped. Preparation (§3.3.2): width map, then the IdentifierClass check; enforcement
 * (§3.3.3): lower case, NFC, the Bidi Rule, and the class check again on the result (RFC 8264 §7 step 6), which
 * must not be empty.
 */
export function usernameCaseMapped(input: string): Prepared {
  // Fast path: printable ASCII is all PVALID (ASCII7), has no width or NFC change and no right-to-left text.
  if (PRINTABLE_ASCII.test(input)) return ok(input.toLowerCase());
  const prepared = widthMap(input);
  const before = classViolation(prepared, false);
  if (before) return fail(before);
  const s = applyUntilStable(prepared, (x) => widthMap(x).toLowerCase().normalize("NFC"));
  if (s === null) return fail("preparation does not stabilise");
  if (s.length === 0) return fail("empty");
  const after = classViolation(s, false) ?? bidiViolation(s);
  return after ? fail(after) : ok(s);
}

const NON_ASCII_SPACE = /[\p{Zs}]/gu;

/**
 * RFC 8265 §4.2 OpaqueString. Preparation (§4.2.1): the FreeformClass check; enforcement (§4.2.2): no width or
 * case mapping, non-ASCII spaces to U+0020, NFC, no directionality rule; then the class check again and the
 * non-empty rule (§4.1).
 */
export function opaqueString(input: string): Prepared {
  if (PRINTABLE_ASCII_OR_SPACE.test(input)) return ok(input); // nothing to map, all PVALID or FREE_PVAL
  const before = classViolation(input, true);
  if (before) return fail(before);
  const s = applyUntilStable(input, (x) => x.replace(NON_ASCII_SPACE, " ").normalize("NFC"));
  if (s === null) return fail("preparation does not stabilise");
  if (s.length === 0) return fail("empty");
  const after = classViolation(s, true);
  return after ? fail(after) : ok(s);
}
