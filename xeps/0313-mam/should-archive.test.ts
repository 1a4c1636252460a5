import test from "ava";
// ltx/lib's parser: elements of the class the stream parser makes (through @xmpp/xml), as in production.
import parse from "ltx/lib/parse.js";
import { jid } from "../../src/jid.js";
import { defaultPrefs, normalisePrefs, PrefsMatcher, type Prefs } from "./prefs.js";
import { archivable, shouldArchive, type Direction } from "./should-archive.js";

const contentCases: [string, string, boolean][] = [
  ["chat with a body", "<message type='chat'><body>hi</body></message>", true],
  ["no type (normal) with a body", "<message><body>hi</body></message>", true],
  ["normal with a subject only", "<message type='normal'><subject>s</subject></message>", true],
  ["unknown type is not normal here", "<message type='bogus'><body>hi</body></message>", false],
  ["chat with a chat marker", "<message type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='1'/></message>", true],
  ["chat with a reaction", "<message type='chat'><reactions xmlns='urn:xmpp:reactions:0' id='1'><reaction>👍</reaction></reactions></message>", true],
  ["an OMEMO payload without body", "<message type='chat'><encrypted xmlns='urn:xmpp:omemo:2'><payload>x</payload></encrypted></message>", true],
  ["a direct invitation", "<message><x xmlns='jabber:x:conference' jid='room@muc.example'/></message>", true],
  ["chat state only", "<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/><thread>t</thread></message>", false],
  ["receipt only", "<message type='chat'><received xmlns='urn:xmpp:receipts' id='1'/></message>", false],
  ["body with a receipt request", "<message type='chat'><body>a</body><request xmlns='urn:xmpp:receipts'/></message>", true],
  ["chat state with a store hint", "<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/><store xmlns='urn:xmpp:hints'/></message>", true],
  ["body with no-store", "<message type='chat'><body>a</body><no-store xmlns='urn:xmpp:hints'/></message>", false],
  ["body with no-permanent-store", "<message type='chat'><body>a</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>", false],
  ["no-store beats store", "<message type='chat'><body>a</body><store xmlns='urn:xmpp:hints'/><no-store xmlns='urn:xmpp:hints'/></message>", false],
  ["body with no-copy (a carbons hint only)", "<message type='chat'><body>a</body><no-copy xmlns='urn:xmpp:hints'/></message>", true],
  ["groupchat", "<message type='groupchat'><body>a</body></message>", false],
  ["headline", "<message type='headline'><body>a</body></message>", false],
  ["error", "<message type='error'><body>a</body><error type='cancel'/></message>", false],
  ["error with a store hint", "<message type='error'><body>a</body><store xmlns='urn:xmpp:hints'/></message>", false],
  ["empty", "<message type='chat'/>", false],
  ["thread only", "<message type='chat'><thread>t</thread></message>", false],
  ["a carbon copy", "<message><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message><body>a</body></message></forwarded></sent></message>", false],
  ["an archive query result", "<message><result xmlns='urn:xmpp:mam:2' id='x'><forwarded xmlns='urn:xmpp:forward:0'/></result></message>", false],
  ["a pubsub notification", "<message><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'/></event></message>", false],
  ["presence", "<presence/>", false],
];
for (const [name, xmlText, expected] of contentCases) {
  test(`archivable: ${name} -> ${expected}`, (t) => {
    t.is(archivable(parse(xmlText)), expected);
  });
}

const ALICE = jid("alice@example.org/phone");
const BOB = jid("bob@example.org/laptop");
const CAROL = jid("carol@example.org/pc");
const CHAT = parse("<message type='chat'><body>hi</body></message>");
const STATE = parse("<message type='chat'><gone xmlns='http://jabber.org/protocol/chatstates'/></message>");

const prefs = (p: Prefs) => new PrefsMatcher(p);
const always = prefs(defaultPrefs("always"));
const never = prefs(defaultPrefs("never"));
const roster = prefs(defaultPrefs("roster"));
// Alice's roster holds Bob only.
const aliceRoster = (bare: string) => bare === "bob@example.org";

/** [case, direction, from, to, prefs, expected] from Alice's point of view (her archive). */
const policyCases: [string, Direction, typeof ALICE, typeof ALICE, PrefsMatcher, boolean][] = [
  ["always: received from a stranger", "incoming", CAROL, ALICE, always, true],
  ["never: sent to a contact", "outgoing", ALICE, BOB, never, false],
  ["roster: received from a contact", "incoming", BOB, ALICE, roster, true],
  ["roster: sent to a contact's other resource", "outgoing", ALICE, jid("bob@example.org/other"), roster, true],
  ["roster: received from a stranger", "incoming", CAROL, ALICE, roster, false],
  ["roster: sent to a stranger (the to decides)", "outgoing", ALICE, CAROL, roster, false],
  ["roster: a note to self", "incoming", jid("alice@example.org/tablet"), ALICE, roster, true],
  ["never + always list (bare): any resource", "incoming", CAROL, ALICE, prefs(normalisePrefs("never", ["carol@example.org"], [])), true],
  ["always + never list (bare)", "outgoing", ALICE, BOB, prefs(normalisePrefs("always", [], ["bob@example.org"])), false],
  ["never list with a full JID: that resource", "incoming", BOB, ALICE, prefs(normalisePrefs("always", [], ["bob@example.org/laptop"])), false],
  ["never list with a full JID: another resource", "incoming", jid("bob@example.org/phone"), ALICE, prefs(normalisePrefs("always", [], ["bob@example.org/laptop"])), true],
  ["a full-JID always entry beats a bare never entry", "incoming", BOB, ALICE, prefs(normalisePrefs("always", ["bob@example.org/laptop"], ["bob@example.org"])), true],
  ["roster + never list for a contact", "incoming", BOB, ALICE, prefs(normalisePrefs("roster", [], ["bob@example.org"])), false],
  ["roster + always list for a stranger", "outgoing", ALICE, CAROL, prefs(normalisePrefs("roster", ["carol@example.org"], [])), true],
  ["the server (a domain JID) under roster", "incoming", jid("example.org"), ALICE, roster, false],
];
for (const [name, direction, from, to, matcher, expected] of policyCases) {
  test(`shouldArchive: ${name} -> ${expected}`, (t) => {
    t.is(shouldArchive(CHAT, direction, from, to, matcher, aliceRoster), expected);
  });
}

test("shouldArchive: content comes first, whatever the preferences", (t) => {
  t.false(shouldArchive(STATE, "incoming", BOB, ALICE, prefs(normalisePrefs("always", ["bob@example.org"], [])), aliceRoster));
});

test("shouldArchive: the roster is only asked for the roster default", (t) => {
  let asked = 0;
  const ask = () => { asked++; return true; };
  shouldArchive(CHAT, "incoming", BOB, ALICE, always, ask);
  shouldArchive(CHAT, "incoming", BOB, ALICE, prefs(normalisePrefs("roster", ["bob@example.org"], [])), ask);
  t.is(asked, 0);
  shouldArchive(CHAT, "incoming", BOB, ALICE, roster, ask);
  t.is(asked, 1);
});
