import test from "ava";
// ltx/lib's parser: elements of the class the stream parser makes (through @xmpp/xml), as in production.
import parse from "ltx/lib/parse.js";
import { NS_SID, newStanzaId, shouldStamp, stampStanzaId, stripStanzaIds } from "./stamp.js";

const BY = "juliet@capulet.example";

test("new ids are 96-bit base64url strings and do not repeat", (t) => {
  const ids = new Set(Array.from({ length: 1000 }, newStanzaId));
  t.is(ids.size, 1000);
  for (const id of ids) t.regex(id, /^[A-Za-z0-9_-]{16}$/);
});

test("stamping removes a forged id of the same entity (also written unnormalised) and keeps others and origin-id", (t) => {
  const m = parse(`<message to='${BY}' type='chat'><body>hi</body>` +
    `<stanza-id xmlns='${NS_SID}' id='forged' by='${BY}'/>` +
    `<stanza-id xmlns='${NS_SID}' id='forged2' by='Juliet@Capulet.Example'/>` +
    `<stanza-id xmlns='${NS_SID}' id='room-id' by='room@muc.example'/>` +
    `<origin-id xmlns='${NS_SID}' id='client-id'/></message>`);
  const id = stampStanzaId(m, BY);
  const ids = m.getChildren("stanza-id", NS_SID).map((e) => `${e.attrs.by}=${e.attrs.id}`);
  t.deepEqual(ids, [`room@muc.example=room-id`, `${BY}=${id}`]);
  t.is(m.getChild("origin-id", NS_SID)?.attrs.id, "client-id");
  t.is(m.getChildText("body"), "hi");
});

test("stripping alone removes only ids in the entity's name", (t) => {
  const m = parse(`<message><stanza-id xmlns='${NS_SID}' id='x' by='${BY}'/><stanza-id xmlns='${NS_SID}' id='y' by='other@example'/></message>`);
  t.is(stripStanzaIds(m, BY), 1);
  t.deepEqual(m.getChildren("stanza-id", NS_SID).map((e) => e.attrs.id), ["y"]);
});

const stampCases: [string, string, boolean][] = [
  ["chat with a body", "<message type='chat'><body>a</body></message>", true],
  ["no type (normal) with a body", "<message><body>a</body></message>", true],
  ["normal with a receipt only", "<message type='normal'><received xmlns='urn:xmpp:receipts' id='1'/></message>", true],
  ["chat with a marker only", "<message type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='1'/></message>", true],
  ["chat state only", "<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/><thread>t</thread></message>", false],
  ["chat state with a store hint", "<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/><store xmlns='urn:xmpp:hints'/></message>", true],
  ["body with no-store", "<message type='chat'><body>a</body><no-store xmlns='urn:xmpp:hints'/></message>", false],
  ["body with no-permanent-store", "<message type='chat'><body>a</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>", false],
  ["groupchat", "<message type='groupchat'><body>a</body></message>", false],
  ["headline", "<message type='headline'><body>a</body></message>", false],
  ["error", "<message type='error'><body>a</body><error type='cancel'/></message>", false],
  ["empty", "<message type='chat'/>", false],
  ["presence", "<presence/>", false],
];
for (const [name, xmlText, expected] of stampCases) {
  test(`shouldStamp: ${name} -> ${expected}`, (t) => {
    t.is(shouldStamp(parse(xmlText)), expected);
  });
}
