/**
 * XEP-0160 offline messages through a real server: what is stored, delivery at initial presence in order
 * with XEP-0203 delay stamps, deletion after delivery, and the per-user limit.
 */
import test from "ava";
import type { Element } from "ltx";
import { DEFAULT_MODULES, startTestServer } from "../helpers/server.js";
import { barrier, connect, features, iq, nextMessage, stop } from "./util.js";

const XEP82 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Read messages until the one whose body is `last`. */
async function messagesUntil(c: Awaited<ReturnType<typeof connect>>, last: string): Promise<Element[]> {
  const got: Element[] = [];
  for (;;) {
    const m = await nextMessage(c);
    got.push(m);
    if (m.getChildText("body") === last) return got;
  }
}

test("stored while offline, delivered at initial presence in order with delay stamps, then deleted", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  await srv.addUser("alice@localhost", "pw");
  await srv.addUser("bob@localhost", "pw");
  t.true((await features(await connect(srv, "alice", "disco"))).includes("msgoffline"));

  // Bob's phone is connected but has not sent presence: no resource takes messages (RFC 6121 §8.5.2.2).
  const phone = await connect(srv, "bob", "phone");
  const alice = await connect(srv, "alice", "pc");
  alice.send("<message to='bob@localhost' type='chat' id='m1'><body>one</body></message>");
  alice.send("<message to='bob@localhost' type='chat' id='cs'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
  alice.send("<message to='bob@localhost' id='m2'><body>two</body></message>");
  alice.send("<message to='bob@localhost' type='headline' id='h'><body>news</body></message>");
  // To a resource that is not connected: handled as if sent to the bare JID (RFC 6121 §8.5.3.2.1).
  alice.send("<message to='bob@localhost/laptop' type='chat' id='m3'><received xmlns='urn:xmpp:receipts' id='x'/></message>");
  alice.send("<message to='bob@localhost' type='chat' id='m4'><body>three</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>");
  await barrier(alice);

  phone.send("<presence/>");
  const delivered = await messagesUntil(phone, "three");
  t.deepEqual(delivered.map((m) => m.attrs.id), ["m1", "m2", "m3", "m4"], "in order; no chat-state-only message, no headline");
  let previous = "";
  for (const m of delivered) {
    t.is(m.attrs.from, "alice@localhost/pc");
    const delay = m.getChild("delay", "urn:xmpp:delay");
    t.is(delay?.attrs.from, "localhost");
    t.regex(delay?.attrs.stamp ?? "", XEP82);
    t.true(delay!.attrs.stamp >= previous, "stamps follow arrival order");
    previous = delay!.attrs.stamp;
  }
  t.is(delivered[2]!.attrs.to, "bob@localhost/laptop", "a message to a full JID keeps its address");

  // Once delivered they are gone: with Bob wholly offline, a new message is stored (the account exists) and
  // is the first thing his next resource gets.
  phone.send("</stream:stream>");
  await phone.closed;
  alice.send("<message to='bob@localhost' type='chat' id='m5'><body>later</body></message>");
  // A message to an account that does not exist bounces once the lookups queued before it are done.
  alice.send("<message to='ghost@localhost' type='chat' id='ghost'><body>?</body></message>");
  const bounce = await alice.until((el) => el.attrs.id === "ghost");
  t.is(bounce.attrs.type, "error");
  const tablet = await connect(srv, "bob", "tablet");
  tablet.send("<presence/>");
  const second = await nextMessage(tablet);
  t.is(second.attrs.id, "m5");
  t.truthy(second.getChild("delay", "urn:xmpp:delay"));
});

test("a full queue refuses with service-unavailable and loses nothing it accepted; no-store is refused", async (t) => {
  const srv = await startTestServer({ modules: { ...DEFAULT_MODULES, offline: { maxPerUser: 2 } } });
  t.teardown(() => stop(srv));
  await srv.addUser("alice@localhost", "pw");
  await srv.addUser("bob@localhost", "pw");
  const bob = await connect(srv, "bob", "phone");
  const alice = await connect(srv, "alice", "pc");

  alice.send("<message to='bob@localhost' type='chat' id='otr'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>");
  const refused = await alice.until((el) => el.attrs.id === "otr");
  t.is(refused.attrs.type, "error");
  t.truthy(refused.getChild("error")?.getChild("service-unavailable"));

  for (const id of ["k1", "k2", "k3"]) alice.send(`<message to='bob@localhost' type='chat' id='${id}'><body>${id}</body></message>`);
  const full = await alice.until((el) => el.name === "message" && el.attrs.type === "error");
  t.is(full.attrs.id, "k3");
  t.is(full.attrs.from, "bob@localhost");
  t.is(full.getChild("error")?.attrs.type, "cancel");
  t.truthy(full.getChild("error")?.getChild("service-unavailable"));
  t.is(full.getChildText("body"), "k3", "the error carries the refused message");

  bob.send("<presence><priority>1</priority></presence>");
  const delivered = await messagesUntil(bob, "k2");
  t.deepEqual(delivered.map((m) => m.attrs.id), ["k1", "k2"]);
});

test("a resource with negative priority does not take stored messages; the next non-negative one does", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  await srv.addUser("alice@localhost", "pw");
  await srv.addUser("bob@localhost", "pw");
  const bot = await connect(srv, "bob", "bot");
  const alice = await connect(srv, "alice", "pc");
  bot.send("<presence><priority>-1</priority></presence>");
  await barrier(bot);
  alice.send("<message to='bob@localhost' type='chat' id='n1'><body>for a person</body></message>");
  await barrier(alice);
  const phone = await connect(srv, "bob", "phone");
  phone.send("<presence/>");
  const m = await nextMessage(phone);
  t.is(m.attrs.id, "n1");
  t.truthy(m.getChild("delay", "urn:xmpp:delay"));
  // The bot never got it: the next message it sees is a live one sent to it directly.
  alice.send("<message to='bob@localhost/bot' type='chat' id='direct'><body>hi bot</body></message>");
  t.is((await nextMessage(bot)).attrs.id, "direct");
});

test("removing the account removes its stored messages", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  await srv.addUser("alice@localhost", "pw");
  await srv.addUser("bob@localhost", "pw");
  const alice = await connect(srv, "alice", "pc");
  const bob = await connect(srv, "bob", "phone");
  alice.send("<message to='bob@localhost' type='chat' id='old'><body>before removal</body></message>");
  await barrier(alice);
  // XEP-0077 §3.2: Bob removes his account from his client.
  t.is((await iq(bob, "set", "<query xmlns='jabber:iq:register'><remove/></query>")).attrs.type, "result");
  await bob.closed;

  // A new account of the same name starts empty: the first stored message its resource gets is a new one
  // (delivery is in storage order, so a surviving old message would come first).
  await srv.addUser("bob@localhost", "pw");
  const again = await connect(srv, "bob", "phone");
  alice.send("<message to='bob@localhost' type='chat' id='new'><body>after removal</body></message>");
  await barrier(alice);
  again.send("<presence/>");
  t.is((await nextMessage(again)).attrs.id, "new");
});
