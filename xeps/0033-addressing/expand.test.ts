import test from "ava";
// ltx/lib's parser: elements of the class the stream parser makes (through @xmpp/xml), as in production.
import parse from "ltx/lib/parse.js";
import type { StanzaCondition } from "../../src/xml/stanza-error.js";
import { expandAddresses, NS_ADDRESS } from "./expand.js";

const A = `xmlns='${NS_ADDRESS}'`;
const msg = (addresses: string) => parse(`<message from='a@header1.org/work' to='header1.org' id='m1'><addresses ${A}>${addresses}</addresses><body>Hello, World!</body></message>`);

/** The addresses a copy shows, as "type jid [delivered]". */
const shown = (el: ReturnType<typeof parse>) =>
  el.getChild("addresses", NS_ADDRESS)!.getChildElements().map((a) => `${a.attrs.type} ${a.attrs.jid ?? "-"}${a.attrs.delivered === "true" ? " delivered" : ""}`);

test("§7 example: one copy per to/cc/bcc, delivered marks, bcc hidden except from its own recipient", (t) => {
  const r = expandAddresses(msg(
    "<address type='to' jid='to@header1.org'/><address type='cc' jid='cc@header1.org'/><address type='bcc' jid='bcc@header1.org'/>" +
    "<address type='to' jid='to@noheader.org'/><address type='bcc' jid='bcc@noheader.org'/>"), 50);
  if (!r.ok) return t.fail(r.error.condition);
  t.deepEqual(r.copies.map((c) => c.to.full), ["to@header1.org", "cc@header1.org", "bcc@header1.org", "to@noheader.org", "bcc@noheader.org"]);
  const common = ["to to@header1.org delivered", "cc cc@header1.org delivered", "to to@noheader.org delivered"];
  t.deepEqual(shown(r.copies[0]!.stanza), common);
  t.deepEqual(shown(r.copies[1]!.stanza), common);
  t.deepEqual(shown(r.copies[2]!.stanza), ["to to@header1.org delivered", "cc cc@header1.org delivered", "bcc bcc@header1.org", "to to@noheader.org delivered"]);
  t.deepEqual(shown(r.copies[4]!.stanza), [...common, "bcc bcc@noheader.org"]);
  for (const c of r.copies) {
    t.is(c.stanza.attrs.to, c.to.full);
    t.is(c.stanza.attrs.from, "a@header1.org/work", "§3: from unchanged");
    t.is(c.stanza.attrs.id, "m1");
    t.is(c.stanza.getChildText("body"), "Hello, World!");
  }
});

test("addresses already delivered are not delivered again; informational types stay; duplicates get one copy", (t) => {
  const r = expandAddresses(msg(
    "<address type='to' jid='done@header2.org' delivered='true'/><address type='replyto' jid='list@header1.org'/>" +
    "<address type='noreply'/><address type='to' jid='x@header1.org'/><address type='cc' jid='X@Header1.org'/>"), 50);
  if (!r.ok) return t.fail(r.error.condition);
  t.deepEqual(r.copies.map((c) => c.to.full), ["x@header1.org"]);
  t.deepEqual(shown(r.copies[0]!.stanza), ["to done@header2.org delivered", "replyto list@header1.org", "noreply -", "to x@header1.org delivered", "cc X@Header1.org delivered"]);
});

const errors: [string, string, StanzaCondition][] = [
  ["no type", "<address jid='a@b.org'/>", "bad-request"],
  ["no jid, uri, node or desc", "<address type='to'/>", "bad-request"],
  ["jid and uri", "<address type='to' jid='a@b.org' uri='sip:a@b.org'/>", "bad-request"],
  ["uri and node", "<address type='to' uri='sip:a@b.org' node='n'/>", "bad-request"],
  ["a uri (no scheme supported)", "<address type='to' uri='sip:a@b.org'/>", "jid-malformed"],
  ["a malformed jid", "<address type='to' jid='a@@b'/>", "jid-malformed"],
  ["a replyto without jid", "<address type='replyto' desc='list'/>", "bad-request"],
  ["nothing left to deliver", "<address type='to' jid='a@b.org' delivered='true'/><address type='noreply'/>", "bad-request"],
];
for (const [name, addresses, condition] of errors) {
  test(`refused: ${name} -> ${condition}`, (t) => {
    const r = expandAddresses(msg(addresses), 50);
    t.false(r.ok);
    if (!r.ok) t.is(r.error.condition, condition);
  });
}

test("more recipients than the limit is not-acceptable (§9); the limit itself passes", (t) => {
  const addrs = (n: number) => Array.from({ length: n }, (_, i) => `<address type='bcc' jid='u${i}@h.org'/>`).join("");
  const over = expandAddresses(msg(addrs(21)), 20);
  t.false(over.ok);
  if (!over.ok) t.is(over.error.condition, "not-acceptable");
  const at = expandAddresses(msg(addrs(20)), 20);
  t.true(at.ok);
  if (at.ok) t.is(at.copies.length, 20);
});

test("two address headers are a bad request", (t) => {
  const m = parse(`<message to='h.org'><addresses ${A}><address type='to' jid='a@h.org'/></addresses><addresses ${A}/></message>`);
  const r = expandAddresses(m, 50);
  t.false(r.ok);
  if (!r.ok) t.is(r.error.condition, "bad-request");
});
