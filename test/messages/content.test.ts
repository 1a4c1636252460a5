/**
 * What a message carries on its way between two users: the recipient's XEP-0359 stanza-id (forged ones
 * removed), and IM payloads the server must not touch (XEP-0085, 0184, 0333, 0308, 0444).
 */
import test from "ava";
import type { Element } from "ltx";
import parse from "ltx/lib/parse.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { barrier, childrenXml, connect, features, nextMessage, stop } from "./util.js";

const SID = "urn:xmpp:sid:0";

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer();
  for (const u of ["alice", "bob", "carol", "dave"]) await srv.addUser(`${u}@localhost`, "pw");
});
test.after.always(() => srv && stop(srv));

async function pair(from: string, to: string) {
  const sender = await connect(srv, from, "pc");
  const recipient = await connect(srv, to, "phone");
  recipient.send("<presence/>");
  await barrier(recipient);
  return { sender, recipient };
}

test("stanza-id: the recipient's id is stamped, forged ones in its or the sender's name removed, others kept", async (t) => {
  const { sender: alice, recipient: bob } = await pair("alice", "bob");
  t.true((await features(bob, "bob@localhost")).includes(SID), "account feature (§5)");
  alice.send(`<message to='bob@localhost' type='chat' id='f1'><body>hi</body>` +
    `<stanza-id xmlns='${SID}' id='forged' by='bob@localhost'/>` +
    `<stanza-id xmlns='${SID}' id='forged-sender' by='alice@localhost'/>` +
    `<stanza-id xmlns='${SID}' id='room' by='room@conference.example'/>` +
    `<origin-id xmlns='${SID}' id='client-chosen'/></message>`);
  const m = await nextMessage(bob);
  const ids = m.getChildren("stanza-id", SID);
  t.deepEqual(ids.map((e) => e.attrs.by), ["room@conference.example", "bob@localhost"]);
  const mine = ids[1]!.attrs.id as string;
  t.regex(mine, /^[A-Za-z0-9_-]{16,}$/, "an opaque URL-safe id of at least 96 bits");
  t.not(mine, "forged");
  t.is(m.getChild("origin-id", SID)?.attrs.id, "client-chosen", "§2.2: origin-id preserved");

  // To the full JID too; each message gets its own id. A chat state alone gets none (nothing to archive).
  alice.send("<message to='bob@localhost/phone' type='chat' id='f2'><body>again</body></message>");
  alice.send(`<message to='bob@localhost/phone' type='chat' id='f3'><gone xmlns='http://jabber.org/protocol/chatstates'/><stanza-id xmlns='${SID}' id='forged' by='bob@localhost'/></message>`);
  const second = await nextMessage(bob);
  t.is(second.attrs.id, "f2");
  const id2 = second.getChild("stanza-id", SID)?.attrs.id;
  t.truthy(id2);
  t.not(id2, mine);
  const state = await nextMessage(bob);
  t.is(state.attrs.id, "f3");
  t.deepEqual(state.getChildren("stanza-id", SID), [], "a forged id is removed even when none is added (§3 rule 2)");
});

/** Payloads the server passes through untouched, each as a client sends it. */
const PAYLOADS: [string, string][] = [
  ["XEP-0085 chat state", "<message to='%TO%' type='chat' id='cs1'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>"],
  ["XEP-0085 state with a body and thread", "<message to='%TO%' type='chat' id='cs2'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/><thread parent='p1'>t1</thread></message>"],
  ["XEP-0184 receipt request", "<message to='%TO%' type='chat' id='rr1'><body>ack me</body><request xmlns='urn:xmpp:receipts'/></message>"],
  ["XEP-0184 receipt", "<message to='%TO%' id='rr2'><received xmlns='urn:xmpp:receipts' id='rr1'/></message>"],
  ["XEP-0333 markable", "<message to='%TO%' type='chat' id='mk1'><body>mark me</body><markable xmlns='urn:xmpp:chat-markers:0'/></message>"],
  ["XEP-0333 displayed marker", "<message to='%TO%' type='chat' id='mk2'><displayed xmlns='urn:xmpp:chat-markers:0' id='mk1'/></message>"],
  ["XEP-0308 correction", "<message to='%TO%' type='chat' id='lc2'><body>fixed text</body><replace xmlns='urn:xmpp:message-correct:0' id='lc1'/></message>"],
  ["XEP-0444 reactions", "<message to='%TO%' type='chat' id='re1'><reactions xmlns='urn:xmpp:reactions:0' id='mk1'><reaction>👍</reaction><reaction>&lt;3</reaction></reactions><store xmlns='urn:xmpp:hints'/></message>"],
];

test("IM payloads arrive element for element as sent, to the bare and to the full JID", async (t) => {
  const { sender: carol, recipient: dave } = await pair("carol", "dave");
  for (const to of ["dave@localhost", "dave@localhost/phone"]) {
    for (const [name, template] of PAYLOADS) {
      const text = template.replace("%TO%", to);
      carol.send(text);
      const sent = parse(text) as Element;
      const got = await nextMessage(dave);
      t.is(got.attrs.id, sent.attrs.id, name);
      t.is(got.attrs.from, "carol@localhost/pc", name);
      t.is(got.attrs.to, to, name);
      t.is(got.attrs.type, sent.attrs.type, name);
      // Everything the sender wrote, in order and unchanged; the only addition may be Dave's own stanza-id.
      const added = got.getChildElements().filter((c) => c.name === "stanza-id" && c.attrs.xmlns === SID && c.attrs.by === "dave@localhost");
      const rest = got.getChildElements().filter((c) => !added.includes(c)).map((c) => c.toString());
      t.deepEqual(rest, childrenXml(sent), name);
      t.true(added.length <= 1, name);
    }
  }
});
