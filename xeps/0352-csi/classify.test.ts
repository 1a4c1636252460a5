import test from "ava";
import parse from "ltx/lib/parse.js";
import { classifyForCsi, type CsiClass } from "./classify.js";

const URGENT: CsiClass = { kind: "urgent" };
const HOLD: CsiClass = { kind: "hold" };
const collapse = (key: string): CsiClass => ({ kind: "collapse", key });
const K = (...parts: string[]) => parts.join("\u0000");
const CARBON = (dir: "sent" | "received", inner: string) =>
  `<message type='chat'><${dir} xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>${inner}</forwarded></${dir}></message>`;

const cases: [string, string, CsiClass][] = [
  // IQs and errors: someone waits.
  ["IQ request", "<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>", URGENT],
  ["IQ result", "<iq type='result' id='1'/>", URGENT],
  ["message error", "<message type='error' from='a@x'><error type='cancel'/></message>", URGENT],
  ["presence error", "<presence type='error' from='a@x'/>", URGENT],
  // Presence: subscriptions go through, availability collapses per full JID.
  ["subscription request", "<presence type='subscribe' from='a@x'/>", URGENT],
  ["subscription approval", "<presence type='subscribed' from='a@x'/>", URGENT],
  ["available presence", "<presence from='a@x/phone'><show>away</show></presence>", collapse(K("presence", "a@x/phone"))],
  ["unavailable presence", "<presence type='unavailable' from='a@x/phone'/>", collapse(K("presence", "a@x/phone"))],
  ["occupant presence in a room", "<presence from='room@muc/nick'><x xmlns='http://jabber.org/protocol/muc#user'><item role='participant'/></x></presence>", collapse(K("presence", "room@muc/nick"))],
  ["own presence in a room (join result)", "<presence from='room@muc/me'><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/></x></presence>", URGENT],
  // Messages with content.
  ["chat with a body", "<message type='chat' from='a@x/p'><body>hi</body></message>", URGENT],
  ["normal message with a body", "<message from='a@x/p'><body>hi</body></message>", URGENT],
  ["headline with a body", "<message type='headline' from='x'><body>announcement</body></message>", URGENT],
  ["body with a chat state", "<message type='chat' from='a@x/p'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>", URGENT],
  ["OMEMO without body", "<message type='chat' from='a@x/p'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted></message>", URGENT],
  ["OMEMO 2", "<message type='chat' from='a@x/p'><encrypted xmlns='urn:xmpp:omemo:2'/></message>", URGENT],
  ["OpenPGP for XMPP", "<message type='chat' from='a@x/p'><openpgp xmlns='urn:xmpp:openpgp:0'>x</openpgp></message>", URGENT],
  ["direct invitation", "<message from='a@x/p'><x xmlns='jabber:x:conference' jid='room@muc'/></message>", URGENT],
  ["mediated invitation", "<message from='room@muc'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='a@x'/></x></message>", URGENT],
  ["call proposal", "<message type='chat' from='a@x/p'><propose xmlns='urn:xmpp:jingle-message:0' id='c'/></message>", URGENT],
  ["archive result", "<message><result xmlns='urn:xmpp:mam:2' queryid='q' id='1'/></message>", URGENT],
  // Group chat: a mention or the subject is urgent, the rest of the room's traffic waits.
  ["room subject", "<message type='groupchat' from='room@muc'><subject>topic</subject></message>", URGENT],
  ["group chat mentioning the user", "<message type='groupchat' from='room@muc/a'><body>hey JULIET, look</body></message>", URGENT],
  ["group chat without a mention", "<message type='groupchat' from='room@muc/a'><body>hello all</body></message>", HOLD],
  ["group chat state", "<message type='groupchat' from='room@muc/a'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>", collapse(K("chatstate", "received", "room@muc/a"))],
  // State-only messages.
  ["chat state only", "<message type='chat' from='a@x/p'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>", collapse(K("chatstate", "received", "a@x/p"))],
  ["chat state with a thread", "<message type='chat' from='a@x/p'><paused xmlns='http://jabber.org/protocol/chatstates'/><thread>t</thread></message>", collapse(K("chatstate", "received", "a@x/p"))],
  ["delivery receipt", "<message from='a@x/p'><received xmlns='urn:xmpp:receipts' id='m1'/></message>", HOLD],
  ["chat state with a marker", "<message from='a@x/p'><active xmlns='http://jabber.org/protocol/chatstates'/><displayed xmlns='urn:xmpp:chat-markers:0' id='m'/></message>", HOLD],
  ["empty message", "<message from='a@x/p'/>", HOLD],
  // Carbons: judged by the message they carry.
  ["received carbon with a body", CARBON("received", "<message type='chat' from='a@x/p' to='me@x'><body>hi</body></message>"), URGENT],
  ["sent carbon with a body", CARBON("sent", "<message type='chat' from='me@x/pc' to='a@x'><body>hi</body></message>"), URGENT],
  ["sent carbon of a chat state", CARBON("sent", "<message type='chat' from='me@x/pc' to='a@x'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>"), collapse(K("chatstate", "sent", "a@x"))],
  ["received carbon of a receipt", CARBON("received", "<message from='a@x/p'><received xmlns='urn:xmpp:receipts' id='m'/></message>"), HOLD],
  // PEP: the latest notification per publisher, node and item.
  ["PEP item", "<message type='headline' from='a@x'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='http://jabber.org/protocol/tune'><item id='current'><tune/></item></items></event></message>", collapse(K("pep", "a@x", "http://jabber.org/protocol/tune", "current"))],
  ["PEP retraction", "<message from='me@x'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:bookmarks:1'><retract id='room@muc'/></items></event></message>", collapse(K("pep", "me@x", "urn:xmpp:bookmarks:1", "room@muc"))],
  ["PEP item without id", "<message from='a@x'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'><item/></items></event></message>", collapse(K("pep", "a@x", "n", ""))],
  ["PEP notification of several items", "<message from='a@x'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'><item id='1'/><item id='2'/></items></event></message>", HOLD],
  ["PEP purge", "<message from='a@x'><event xmlns='http://jabber.org/protocol/pubsub#event'><purge node='n'/></event></message>", HOLD],
];

for (const [name, text, expected] of cases) {
  test(`classifyForCsi: ${name} -> ${expected.kind}`, (t) => {
    t.deepEqual(classifyForCsi(parse(text), ["juliet"]), expected);
  });
}

test("classifyForCsi: without names to look for, no group chat message is a mention", (t) => {
  t.deepEqual(classifyForCsi(parse("<message type='groupchat' from='room@muc/a'><body>juliet?</body></message>")), HOLD);
});
