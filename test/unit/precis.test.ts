import test from "ava";
import { derivedProperty, opaqueString, usernameCaseMapped } from "../../src/precis.js";

const value = (r: { ok: true; value: string } | { ok: false; error: string }) => (r.ok ? r.value : `!${r.error}`);
const accepted = (r: { ok: boolean }) => r.ok;

test("RFC 8264 §8 derived properties, in the algorithm's order", (t) => {
  t.is(derivedProperty(0x61), "PVALID");           // ASCII7
  t.is(derivedProperty(0x20), "FREE_PVAL");        // SPACE is in Spaces, not ASCII7
  t.is(derivedProperty(0x00df), "PVALID");         // Exceptions: sharp s
  t.is(derivedProperty(0x03c2), "PVALID");         // Exceptions: final sigma
  t.is(derivedProperty(0x0640), "DISALLOWED");     // Exceptions: ARABIC TATWEEL, a letter otherwise
  t.is(derivedProperty(0x00b7), "CONTEXTO");       // MIDDLE DOT
  t.is(derivedProperty(0x0663), "CONTEXTO");       // ARABIC-INDIC DIGIT THREE
  t.is(derivedProperty(0x200d), "CONTEXTJ");       // ZERO WIDTH JOINER
  t.is(derivedProperty(0x1100), "DISALLOWED");     // OldHangulJamo
  t.is(derivedProperty(0x00ad), "DISALLOWED");     // SOFT HYPHEN, default ignorable
  t.is(derivedProperty(0xfdd0), "DISALLOWED");     // noncharacter
  t.is(derivedProperty(0x0007), "DISALLOWED");     // control
  t.is(derivedProperty(0x2163), "FREE_PVAL");      // ROMAN NUMERAL FOUR, HasCompat
  t.is(derivedProperty(0x265a), "FREE_PVAL");      // BLACK CHESS KING, symbol
  t.is(derivedProperty(0x01c5), "FREE_PVAL");      // Dz with caron, titlecase
  t.is(derivedProperty(0xe000), "DISALLOWED");     // private use
  t.is(derivedProperty(0x2028), "DISALLOWED");     // LINE SEPARATOR (Zl)
  t.is(derivedProperty(0x0378), "UNASSIGNED");
});

test("UsernameCaseMapped: width mapping, lower case, NFC", (t) => {
  t.is(value(usernameCaseMapped("Juliet")), "juliet");
  t.is(value(usernameCaseMapped("\uff2a\uff55\uff4c\uff49\uff45\uff54")), "juliet"); // fullwidth ＪＵＬＩＥＴ
  t.is(value(usernameCaseMapped("\uff76\uff9e")), "\u30ac");                      // halfwidth ｶﾞ -> ガ
  t.is(value(usernameCaseMapped("\u03a3")), "\u03c3");                             // Σ -> σ (RFC 7622 ex. 9)
  t.is(value(usernameCaseMapped("\u03c2")), "\u03c2");                             // ς stays (ex. 11)
  t.is(value(usernameCaseMapped("fu\u00dfball")), "fu\u00dfball");                // ß stays (ex. 7)
  t.is(value(usernameCaseMapped("Cafe\u0301")), "caf\u00e9");                      // NFC
});

test("UsernameCaseMapped rejects what the IdentifierClass excludes", (t) => {
  for (const bad of ["", "foo bar", "henry\u2163", "\u265a", "a\u00adb", "a\u200db", "tab\t", "\u01c5", "a\u3000b", "\ue000"]) {
    t.false(accepted(usernameCaseMapped(bad)), JSON.stringify(bad));
  }
});

test("contextual rules (RFC 5892 Appendix A)", (t) => {
  t.true(accepted(usernameCaseMapped("l\u00b7l")));             // Catalan l·l
  t.false(accepted(usernameCaseMapped("a\u00b7b")));
  t.true(accepted(usernameCaseMapped("\u0375\u03b1")));         // keraia before Greek
  t.false(accepted(usernameCaseMapped("\u0375a")));
  t.true(accepted(usernameCaseMapped("\u05d0\u05f3")));         // geresh after Hebrew
  t.false(accepted(usernameCaseMapped("a\u05f3")));
  t.true(accepted(usernameCaseMapped("\u30a2\u30fb\u30a4")));   // katakana middle dot among katakana
  t.false(accepted(usernameCaseMapped("a\u30fbb")));
  t.true(accepted(usernameCaseMapped("\u0915\u094d\u200d")));   // ZWJ after a virama
  t.false(accepted(usernameCaseMapped("\u0915\u200d")));
  t.true(accepted(usernameCaseMapped("\u0628\u0661\u0662")));   // Arabic-Indic digits together
  t.false(accepted(usernameCaseMapped("\u0628\u0661\u06f2")));  // mixed with extended ones
});

test("Bidi Rule for right-to-left usernames (RFC 8265 §3.3.1 rule 5, RFC 5893 §2)", (t) => {
  t.true(accepted(usernameCaseMapped("\u05d9\u05d5\u05dc\u05d9\u05d4")));   // Hebrew
  t.true(accepted(usernameCaseMapped("\u05d0\u05d1 1")) === false);         // space is not in the IdentifierClass
  t.true(accepted(usernameCaseMapped("\u05d0\u05d11")));                    // may end with a European digit
  t.false(accepted(usernameCaseMapped("1\u05d0")));                        // must start with an RTL letter
  t.false(accepted(usernameCaseMapped("abc\u05d0")));                      // no LTR letters
  t.false(accepted(usernameCaseMapped("\u05d0abc")));
  t.false(accepted(usernameCaseMapped("\u05d0-")));                        // may not end with a neutral
  t.true(accepted(usernameCaseMapped("\u05d0-\u05d1")));
});

test("OpaqueString: spaces kept or mapped, no case mapping, NFC, FreeformClass", (t) => {
  t.is(value(opaqueString("Correct Horse")), "Correct Horse");
  t.is(value(opaqueString("a\u00a0b\u2003c")), "a b c");                 // non-ASCII spaces -> U+0020
  t.is(value(opaqueString("\u265a king")), "\u265a king");               // symbols allowed
  t.is(value(opaqueString("\u2163")), "\u2163");                         // compatibility characters allowed
  t.is(value(opaqueString("\uff21")), "\uff21");                         // no width mapping
  t.is(value(opaqueString("e\u0301")), "\u00e9");
  for (const bad of ["", "a\u0000b", "tab\t", "zero\u200bwidth", "a\u2028b", "\ue000", "\ufdd0", "a\u200db"]) {
    t.false(accepted(opaqueString(bad)), JSON.stringify(bad));
  }
});

test("preparation is idempotent on what it accepts", (t) => {
  for (const s of ["Juliet", "\uff2a\uff55", "\u03a3\u03a3", "Cafe\u0301", "\u05d0\u05d1", "I\u0307"]) {
    const once = usernameCaseMapped(s);
    if (!once.ok) continue;
    t.is(value(usernameCaseMapped(once.value)), once.value);
  }
  for (const s of ["a\u00a0b", "e\u0301"]) {
    const once = opaqueString(s);
    t.true(once.ok);
    if (once.ok) t.is(value(opaqueString(once.value)), once.value);
  }
});
