import test from "ava";
import { parseJid } from "../../src/jid.js";

const full = (s: string) => {
  const r = parseJid(s);
  return r.ok ? r.jid.full : `!${r.error}`;
};

// RFC 7622 §3.5 Table 1: legal JIDs, in their prepared form.
test("RFC 7622 §3.5 legal examples", (t) => {
  t.is(full("juliet@example.com"), "juliet@example.com");
  t.is(full("juliet@example.com/foo"), "juliet@example.com/foo");
  t.is(full("juliet@example.com/foo bar"), "juliet@example.com/foo bar");
  t.is(full("juliet@example.com/foo@bar"), "juliet@example.com/foo@bar");
  t.is(full("foo\\20bar@example.com"), "foo\\20bar@example.com");
  t.is(full("fussball@example.com"), "fussball@example.com");
  t.is(full("fu\u00dfball@example.com"), "fu\u00dfball@example.com");
  t.is(full("\u03c0@example.com"), "\u03c0@example.com");
  t.is(full("\u03a3@example.com/foo"), "\u03c3@example.com/foo");
  t.is(full("\u03c3@example.com/foo"), "\u03c3@example.com/foo");
  t.is(full("\u03c2@example.com/foo"), "\u03c2@example.com/foo");
  t.is(full("king@example.com/\u265a"), "king@example.com/\u265a");
  t.is(full("example.com"), "example.com");
  t.is(full("example.com/foobar"), "example.com/foobar");
  t.is(full("a.example.com/b@example.net"), "a.example.com/b@example.net");
});

// RFC 7622 §3.5 Table 2 (example 18, a leading space in the resourcepart, is left out: OpaqueString allows it).
test("RFC 7622 §3.5 illegal examples", (t) => {
  for (const s of ["\"juliet\"@example.com", "foo bar@example.com", "@example.com/", "henry\u2163@example.com",
    "\u265a@example.com", "juliet@", "/foobar"]) {
    t.false(parseJid(s).ok, s);
  }
});

test("case folding and width mapping of the localpart; the resourcepart keeps its case", (t) => {
  t.is(full("JULIET@EXAMPLE.COM/Balcony"), "juliet@example.com/Balcony");
  t.is(full("\uff2a\uff35\uff2c\uff29\uff25\uff34@example.com"), "juliet@example.com");
});

test("forbidden localpart characters (RFC 7622 §3.3.1)", (t) => {
  for (const ch of ["\"", "&", "'", ":", "<", ">"]) t.false(parseJid(`a${ch}b@example.com`).ok, ch);
  // "/" and "@" cannot reach the localpart: they end it, or start the resourcepart.
  t.is(full("a/b@example.com"), "a/b@example.com");
});

test("IDN domainparts are kept in lower-case U-label form", (t) => {
  t.is(full("juliet@B\u00dcCHER.example"), "juliet@b\u00fccher.example");
  t.is(full("juliet@xn--bcher-kva.example"), "juliet@b\u00fccher.example");
  t.is(full("juliet@example.com."), "juliet@example.com");
});

test("resourceparts: spaces kept, non-ASCII spaces mapped, controls refused", (t) => {
  t.is(full("juliet@example.com/a\u00a0b"), "juliet@example.com/a b");
  t.false(parseJid("juliet@example.com/a\u0007b").ok);
  t.false(parseJid("juliet@example.com/").ok);
});

test("parts longer than 1023 bytes are refused (RFC 7622 §3.2-3.4)", (t) => {
  t.true(parseJid(`${"a".repeat(1023)}@example.com`).ok);
  t.false(parseJid(`${"a".repeat(1024)}@example.com`).ok);
  t.false(parseJid(`${"\u00e9".repeat(512)}@example.com`).ok, "bytes, not characters");
  t.false(parseJid(`juliet@example.com/${"r".repeat(1024)}`).ok);
});

test("domainparts: IP literals must be IPv6 addresses; labels follow RFC 1035 (non-empty, 63 octets, no edge hyphen)", (t) => {
  t.true(parseJid("a@[::1]").ok);
  t.true(parseJid("a@127.0.0.1").ok);
  for (const bad of ["juliet@[nonsense]", "a@example..com", "a@-x.com", "a@x-.com", `a@${"x".repeat(64)}.com`]) {
    t.false(parseJid(bad).ok, bad);
  }
});
