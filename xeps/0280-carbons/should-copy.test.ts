import test from "ava";
// ltx/lib's parser: elements of the class the stream parser makes (through @xmpp/xml), as in production.
import parse from "ltx/lib/parse.js";
import { carbonCopy, forwardable } from "./index.js";
import { shouldCopy, type Direction } from "./should-copy.js";

const PRIVATE = "<private xmlns='urn:xmpp:carbons:2'/>";
const MUC_X = "<x xmlns='http://jabber.org/protocol/muc#user'/>";

/** [case, message, copied when sent, copied when received] */
const table: [string, string, boolean, boolean][] = [
  ["chat with a body", "<message type='chat'><body>hi</body></message>", true, true],
  ["chat without a body (chat state)", "<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>", true, true],
  ["normal with a body", "<message type='normal'><body>hi</body></message>", true, true],
  ["no type (normal) with a body", "<message><body>hi</body></message>", true, true],
  ["unknown type is normal", "<message type='bogus'><body>hi</body></message>", true, true],
  ["normal without body or IM payload", "<message><x xmlns='jabber:x:oob'><url>u</url></x></message>", false, false],
  ["normal with a receipt (XEP-0184)", "<message><received xmlns='urn:xmpp:receipts' id='1'/></message>", true, true],
  ["normal with a chat state (XEP-0085)", "<message><active xmlns='http://jabber.org/protocol/chatstates'/></message>", true, true],
  ["normal with a marker (XEP-0333)", "<message><displayed xmlns='urn:xmpp:chat-markers:0' id='1'/></message>", true, true],
  ["headline with a body", "<message type='headline'><body>news</body></message>", false, false],
  ["groupchat", "<message type='groupchat'><body>all</body></message>", false, false],
  ["chat with <private/>", `<message type='chat'><body>secret</body>${PRIVATE}</message>`, false, false],
  ["chat with <private/> and <no-copy/>", `<message type='chat'><body>s</body>${PRIVATE}<no-copy xmlns='urn:xmpp:hints'/></message>`, false, false],
  ["chat with <no-copy/> only", "<message type='chat'><body>s</body><no-copy xmlns='urn:xmpp:hints'/></message>", false, false],
  ["a carbon itself", "<message type='chat'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'/></received></message>", false, false],
  ["error answering a chat message", "<message type='error'><body>hi</body><error type='cancel'/></message>", true, true],
  ["error answering a receipt", "<message type='error'><received xmlns='urn:xmpp:receipts' id='1'/><error type='cancel'/></message>", true, true],
  ["error without IM content", "<message type='error'><error type='cancel'/></message>", false, false],
  ["MUC private message", `<message type='chat'><body>pm</body>${MUC_X}</message>`, true, false],
  ["MUC mediated invitation", "<message><x xmlns='http://jabber.org/protocol/muc#user'><invite from='a@b'/></x></message>", true, true],
  ["direct MUC invitation (XEP-0249)", "<message><x xmlns='jabber:x:conference' jid='room@muc.example'/></message>", true, true],
  ["presence", "<presence/>", false, false],
];

for (const [name, stanza, sent, received] of table) {
  for (const [direction, expected] of [["sent", sent], ["received", received]] as [Direction, boolean][]) {
    test(`shouldCopy ${direction}: ${name} -> ${expected}`, (t) => {
      t.is(shouldCopy(parse(stanza), direction), expected);
    });
  }
}

test("a carbon wraps a namespaced clone of the original (§7, XEP-0297 §3.2), keeping the type", (t) => {
  const original = parse("<message from='juliet@capulet.example/balcony' to='romeo@montague.example/garden' type='chat'><body>b</body></message>");
  const copy = carbonCopy("received", forwardable(original), "romeo@montague.example", "romeo@montague.example/home");
  t.is(copy.toString(),
    "<message from=\"romeo@montague.example\" to=\"romeo@montague.example/home\" type=\"chat\">" +
    "<received xmlns=\"urn:xmpp:carbons:2\"><forwarded xmlns=\"urn:xmpp:forward:0\">" +
    "<message from=\"juliet@capulet.example/balcony\" to=\"romeo@montague.example/garden\" type=\"chat\" xmlns=\"jabber:client\"><body>b</body></message>" +
    "</forwarded></received></message>");
  t.is(original.attrs.xmlns, undefined, "the original is not changed");
});
