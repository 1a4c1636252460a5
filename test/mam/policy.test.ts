/**
 * XEP-0313 with the rest of the server: carbons and several resources (each message archived once per archive, the
 * right ids on every copy), offline delivery, XEP-0441 preferences (also after a restart), removal with the account,
 * and retention.
 */
import test from "ava";
import { catalog } from "../../xeps/index.js";
import { Server } from "../../src/server.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../helpers/server.js";
import { RawClient } from "../helpers/raw-client.js";
import { barrier, connect, iq, nextMessage, stop } from "../messages/util.js";
import { eventually, NS_MAM, query, stanzaIdBy, walk } from "./util.js";

const NS_CARBONS = "urn:xmpp:carbons:2";
const archiveOf = (srv: TestServer) => srv.server.storage.archive("mam/archive");

/** The message a carbon wraps. */
const carbonInner = (m: import("ltx").Element, kind: "sent" | "received") =>
  m.getChild(kind, NS_CARBONS)!.getChild("forwarded", "urn:xmpp:forward:0")!.getChild("message")!;

test("carbons and several resources: once per archive, the sender's id on <sent/> copies only, the recipient's on what it gets", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  for (const u of ["alice", "bob"]) await srv.addUser(`${u}@localhost`, "pw");
  const [pc, tablet, phone, laptop] = await Promise.all([
    connect(srv, "alice", "pc"), connect(srv, "alice", "tablet"), connect(srv, "bob", "phone"), connect(srv, "bob", "laptop")]);
  for (const c of [pc, tablet, phone, laptop]) {
    t.is((await iq(c, "set", `<enable xmlns='${NS_CARBONS}'/>`)).attrs.type, "result");
    c.send("<presence/>");
    await barrier(c);
  }

  pc.send("<message to='bob@localhost' type='chat' id='one'><body>one</body></message>");
  const sent = carbonInner(await nextMessage(tablet), "sent");
  const x = stanzaIdBy(sent, "alice@localhost");
  t.truthy(x, "§3.2: the <sent/> copy tells the other resources the sender's archive id");
  const [toPhone, toLaptop] = [await nextMessage(phone), await nextMessage(laptop)];
  const y = stanzaIdBy(toPhone, "bob@localhost");
  t.truthy(y);
  t.is(stanzaIdBy(toLaptop, "bob@localhost"), y, "both resources got the one archived message");
  t.is(stanzaIdBy(toPhone, "alice@localhost"), undefined, "§3.2: never the sender's id to the recipient");

  phone.send("<message to='alice@localhost/pc' type='chat' id='two'><body>two</body></message>");
  const z = stanzaIdBy(await nextMessage(pc), "alice@localhost");
  t.is(stanzaIdBy(carbonInner(await nextMessage(tablet), "received"), "alice@localhost"), z, "the received carbon has the same id");
  const w = stanzaIdBy(carbonInner(await nextMessage(laptop), "sent"), "bob@localhost");
  t.truthy(w);

  pc.send("<message to='alice@localhost/tablet' type='chat' id='three'><body>three</body></message>");
  const v = stanzaIdBy(await nextMessage(tablet), "alice@localhost");
  t.truthy(v);

  const aliceArchive = await walk(pc, { max: 50 }, "forward");
  t.deepEqual(aliceArchive.bodies, ["one", "two", "three"], "a note to self is archived once");
  t.deepEqual(aliceArchive.ids, [x, z, v]);
  const bobArchive = await walk(phone, { max: 50 }, "forward");
  t.deepEqual(bobArchive.bodies, ["one", "two"]);
  t.deepEqual(bobArchive.ids, [y, w]);
  t.deepEqual((await query(pc, { fields: { with: "alice@localhost" } })).bodies, ["three"], "with = the account: messages to oneself");
});

test("a message stored offline is archived when it arrives and delivered later with the same id; a missing account gets no archive", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  for (const u of ["alice", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  const alice = await connect(srv, "alice", "pc");
  alice.send("<message to='carol@localhost' type='chat' id='away'><body>while you were away</body></message>");
  alice.send("<message to='nobody@localhost' type='chat' id='ghost'><body>anyone?</body></message>");
  t.is((await alice.until((el) => el.attrs.id === "ghost")).attrs.type, "error");
  const carol = await connect(srv, "carol", "phone");
  carol.send("<presence/>");
  const delivered = await carol.until((el) => el.name === "message" && el.attrs.id === "away");
  const page = await query(carol);
  t.deepEqual(page.bodies, ["while you were away"]);
  t.is(stanzaIdBy(delivered, "carol@localhost"), page.ids[0]);
  t.like(await archiveOf(srv).query("nobody@localhost", { limit: 0 }), { ok: true, count: 0 }, "no archive for a missing account");
  t.deepEqual((await query(alice)).bodies, ["while you were away", "anyone?"], "the sender keeps what it sent");
});

/** A server restarted on the same directory (same database), with new ports. */
async function restart(srv: TestServer, clients: RawClient[]): Promise<TestServer> {
  for (const c of clients) c.destroy();
  await srv.server.stop();
  const server = await Server.start({ config: srv.server.config, dir: srv.dir, catalog });
  const port = (i: number) => server.listeners[i]!.port;
  return { ...srv, server, ports: { starttls: port(0), directTls: port(1), plain: port(2) }, stop: async () => { await server.stop(); await srv.stop().catch(() => undefined); } };
}

test("XEP-0441 preferences: never, roster (kept current with the roster), always lists; applied when archiving, kept across a restart", async (t) => {
  let srv = await startTestServer();
  t.teardown(() => stop(srv));
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  let [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((u) => connect(srv, u, "r"))) as [RawClient, RawClient, RawClient];
  for (const c of [alice, bob, carol]) { c.send("<presence/>"); await barrier(c); }
  const prefs = async (xml?: string) => {
    const r = await iq(alice, xml ? "set" : "get", xml ?? `<prefs xmlns='${NS_MAM}'/>`);
    t.is(r.attrs.type, "result", r.toString());
    return r.getChild("prefs", NS_MAM)!.toString();
  };
  /** `from` writes to Alice; returns the stanza-id by Alice on what she got. */
  const say = async (from: RawClient, body: string) => {
    from.send(`<message to='alice@localhost/r' type='chat'><body>${body}</body></message>`);
    const m = await alice.until((el) => el.name === "message" && el.getChildText("body") === body);
    return stanzaIdBy(m, "alice@localhost");
  };
  const tell = async (to: string, body: string) => {
    alice.send(`<message to='${to}' type='chat'><body>${body}</body></message>`);
    await barrier(alice);
  };

  t.is(await prefs(), `<prefs xmlns="${NS_MAM}" default="always"><always/><never/></prefs>`);
  t.is(await prefs(`<prefs xmlns='${NS_MAM}' default='never'/>`), `<prefs xmlns="${NS_MAM}" default="never"><always/><never/></prefs>`);
  t.is(await say(bob, "n1"), undefined, "not archived: no stanza-id of the account");
  await tell("bob@localhost", "n2");
  t.deepEqual((await query(bob)).bodies, ["n1", "n2"], "Bob's own default still archives both directions");

  await iq(alice, "set", "<query xmlns='jabber:iq:roster'><item jid='carol@localhost'/></query>");
  await prefs(`<prefs xmlns='${NS_MAM}' default='roster'/>`);
  t.is(await say(bob, "r1"), undefined);
  t.truthy(await say(carol, "r2"), "a contact");
  await tell("carol@localhost", "r3");
  await tell("bob@localhost", "r4");
  await iq(alice, "set", "<query xmlns='jabber:iq:roster'><item jid='bob@localhost'/></query>");
  t.truthy(await say(bob, "r5"), "on the roster since");
  await iq(alice, "set", "<query xmlns='jabber:iq:roster'><item jid='bob@localhost' subscription='remove'/></query>");
  t.is(await say(bob, "r6"), undefined, "removed again");

  t.is(await prefs(`<prefs xmlns='${NS_MAM}' default='never'><always><jid>Bob@LocalHost</jid></always><never/></prefs>`),
    `<prefs xmlns="${NS_MAM}" default="never"><always><jid>bob@localhost</jid></always><never/></prefs>`);
  t.truthy(await say(bob, "a1"));
  t.is(await say(carol, "a2"), undefined);
  t.deepEqual((await walk(alice, { max: 50 }, "forward")).bodies, ["r2", "r3", "r5", "a1"]);

  srv = await restart(srv, [alice, bob, carol]);
  [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((u) => connect(srv, u, "r"))) as [RawClient, RawClient, RawClient];
  for (const c of [alice, bob, carol]) { c.send("<presence/>"); await barrier(c); }
  t.is(await prefs(), `<prefs xmlns="${NS_MAM}" default="never"><always><jid>bob@localhost</jid></always><never/></prefs>`);
  t.truthy(await say(bob, "after restart"));
  t.is(await say(carol, "not kept"), undefined);
  t.deepEqual((await walk(alice, { max: 50 }, "forward")).bodies, ["r2", "r3", "r5", "a1", "after restart"]);
  t.is(await prefs(`<prefs xmlns='${NS_MAM}' default='always'><always/><never/></prefs>`), `<prefs xmlns="${NS_MAM}" default="always"><always/><never/></prefs>`);
  t.deepEqual([...await srv.server.storage.map("mam/prefs").all("localhost")], [], "the server default is not stored");
  for (const bad of [`<prefs xmlns='${NS_MAM}' default='sometimes'/>`, `<prefs xmlns='${NS_MAM}'/>`]) {
    const r = await iq(alice, "set", bad);
    t.is(r.getChild("error")!.getChildElements()[0]!.name, "bad-request");
  }
});

test("removing an account removes its archive and preferences, not its contacts' archives", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  for (const u of ["dave", "erin"]) await srv.addUser(`${u}@localhost`, "pw");
  const dave = await connect(srv, "dave", "pc");
  const erin = await connect(srv, "erin", "pc");
  t.is((await iq(erin, "set", `<prefs xmlns='${NS_MAM}' default='always'><always/><never><jid>spam@example.org</jid></never></prefs>`)).attrs.type, "result");
  for (let i = 0; i < 3; i++) dave.send(`<message to='erin@localhost' type='chat'><body>hello ${i}</body></message>`);
  erin.send("<message to='dave@localhost' type='chat'><body>bye</body></message>");
  await barrier(dave);
  await barrier(erin);
  t.is((await query(erin, { max: 0 })).count, 4);
  t.is((await iq(erin, "set", "<query xmlns='jabber:iq:register'><remove/></query>")).attrs.type, "result");
  await erin.closed;
  await eventually(async () => {
    const p = await archiveOf(srv).query("erin@localhost", { limit: 0 });
    return p.ok && p.count === 0;
  }, "erin's archive removed");
  t.deepEqual([...await srv.server.storage.map("mam/prefs").all("localhost")], []);
  t.is((await query(dave, { max: 0 })).count, 4, "Dave keeps his side of the conversation");
  await srv.addUser("erin@localhost", "pw");
  const again = await connect(srv, "erin", "pc");
  dave.send("<message to='erin@localhost' type='chat'><body>welcome back</body></message>");
  await barrier(dave);
  t.deepEqual((await query(again)).bodies, ["welcome back"], "a new account of the same name starts with an empty archive");
});

test("retention: messages older than the configured age are removed periodically, newer ones stay", async (t) => {
  const srv = await startTestServer({ modules: { ...DEFAULT_MODULES, mam: { retention: "1d", expiryInterval: 1 } } });
  t.teardown(() => stop(srv));
  for (const u of ["alice", "bob"]) await srv.addUser(`${u}@localhost`, "pw");
  const day = 86_400_000;
  for (const age of [3 * day, day + 60_000]) {
    await archiveOf(srv).append("alice@localhost", { when: Date.now() - age, with: "bob@localhost", value: `<message><body>old</body></message>` });
  }
  await archiveOf(srv).append("alice@localhost", { when: Date.now() - day + 600_000, with: "bob@localhost", value: `<message><body>recent</body></message>` });
  const alice = await connect(srv, "alice", "pc");
  const bob = await connect(srv, "bob", "pc");
  bob.send("<message to='alice@localhost' type='chat'><body>new</body></message>");
  await barrier(bob);
  await eventually(async () => (await query(alice, { max: 0 })).count === 2, "old messages expired");
  t.deepEqual((await query(alice)).bodies, ["recent", "new"]);
});

test("the server's default policy roster: decided from the roster for accounts that have not chosen, online or not", async (t) => {
  const srv = await startTestServer({ modules: { ...DEFAULT_MODULES, mam: { defaultPolicy: "roster" } } });
  t.teardown(() => stop(srv));
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  const alice = await connect(srv, "alice", "pc");
  t.is((await iq(alice, "get", `<prefs xmlns='${NS_MAM}'/>`)).getChild("prefs")!.attrs.default, "roster");
  await iq(alice, "set", "<query xmlns='jabber:iq:roster'><item jid='carol@localhost'/></query>");
  alice.destroy();
  await alice.closed;
  const [bob, carol] = await Promise.all([connect(srv, "bob", "pc"), connect(srv, "carol", "pc")]);
  // Alice is offline: her roster is not in memory, so these are decided by a lookup.
  bob.send("<message to='alice@localhost' type='chat'><body>from a stranger</body></message>");
  carol.send("<message to='alice@localhost' type='chat'><body>from a contact</body></message>");
  await barrier(bob);
  await barrier(carol);
  const back = await connect(srv, "alice", "tablet");
  back.send("<presence/>");
  await back.until((el) => el.name === "message" && el.getChildText("body") === "from a contact");
  await eventually(async () => (await query(back, { max: 0 })).count === 1, "the contact's message archived");
  t.deepEqual((await query(back)).bodies, ["from a contact"]);
  // Online now (the roster is loaded at login): a new contact counts at once.
  await iq(back, "set", "<query xmlns='jabber:iq:roster'><item jid='bob@localhost'/></query>");
  bob.send("<message to='alice@localhost' type='chat'><body>now a contact</body></message>");
  const m = await back.until((el) => el.name === "message" && el.getChildText("body") === "now a contact");
  t.deepEqual((await query(back)).ids.slice(1), [stanzaIdBy(m, "alice@localhost")]);
  t.deepEqual((await query(bob)).bodies, [], "Bob's own archive: Alice is not on his roster");
});
