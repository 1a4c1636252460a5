import test from "ava";
// ltx/lib's parser: elements of the class the stream parser makes (through @xmpp/xml), as in production.
import parse from "ltx/lib/parse.js";
import { offlineDecision, type OfflineDecision } from "./storable.js";

const cases: [string, string, OfflineDecision][] = [
  ["chat with a body", "<message type='chat'><body>hi</body></message>", "store"],
  ["no type (normal) with a body", "<message><body>hi</body></message>", "store"],
  ["explicit normal with a subject", "<message type='normal'><subject>s</subject></message>", "store"],
  ["OMEMO payload without body", "<message type='chat'><encrypted xmlns='eu.siacs.conversations.axolotl'><payload>x</payload></encrypted></message>", "store"],
  ["delivery receipt only", "<message type='chat'><received xmlns='urn:xmpp:receipts' id='m1'/></message>", "store"],
  ["chat marker only", "<message type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/></message>", "store"],
  ["reaction only", "<message type='chat'><reactions xmlns='urn:xmpp:reactions:0' id='m1'><reaction>👍</reaction></reactions></message>", "store"],
  ["body with a chat state", "<message type='chat'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>", "store"],
  ["chat state only", "<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>", "discard"],
  ["chat state, thread and origin-id only", "<message type='chat'><paused xmlns='http://jabber.org/protocol/chatstates'/><thread>t1</thread><origin-id xmlns='urn:xmpp:sid:0' id='o'/></message>", "discard"],
  ["chat state with a store hint", "<message type='chat'><gone xmlns='http://jabber.org/protocol/chatstates'/><store xmlns='urn:xmpp:hints'/></message>", "store"],
  ["empty message", "<message type='chat'/>", "discard"],
  ["body with no-store", "<message type='chat'><body>otr</body><no-store xmlns='urn:xmpp:hints'/></message>", "refuse"],
  ["body with no-permanent-store (temporary storage allowed)", "<message type='chat'><body>b</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>", "store"],
  ["headline", "<message type='headline'><body>news</body></message>", "discard"],
  ["error", "<message type='error'><body>x</body><error type='cancel'/></message>", "discard"],
  ["groupchat", "<message type='groupchat'><body>room</body></message>", "refuse"],
];

for (const [name, xmlText, expected] of cases) {
  test(`offline decision: ${name} -> ${expected}`, (t) => {
    t.is(offlineDecision(parse(xmlText)), expected);
  });
}
