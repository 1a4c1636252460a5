/**
 * XEP-0191 against a live server with three accounts: the blocklist and its pushes, enforcement both ways,
 * presence withdrawn and restored, entry forms, and a block that holds while the user is offline.
 *
 * That something did NOT arrive is checked after a barrier, never after a delay: the receiver pings the
 * server once the sender's own stanzas have been processed, and the ping's answer is written after
 * anything routed to it before.
 */
import test from "ava";
import type { Element } from "ltx";
import { RawClient } from "../../test/helpers/raw-client.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../../test/helpers/server.js";

const NS = "urn:xmpp:blocking";
let srv: TestServer;
let seq = 0;

/** A client that keeps what it receives, so a test waits for one stanza without losing the others. */
class Client {
  readonly inbox: Element[] = [];
  private waiters: { pred: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];
  private constructor(readonly raw: RawClient, readonly jid: string) { void this.pump(); }

  static async login(user: string, resource: string, presence = true): Promise<Client> {
    const raw = await RawClient.connect(srv.ports.plain);
    const c = new Client(raw, await raw.login(user, "pw", resource));
    await c.iq("<iq type='get'><query xmlns='jabber:iq:roster'/></iq>");
    if (presence) c.send("<presence/>");
    return c;
  }

  private async pump(): Promise<void> {
    for (;;) {
      let el: Element | null;
      try { el = await this.raw.next(60_000); } catch { continue; }
      if (!el) return;
      const i = this.waiters.findIndex((w) => w.pred(el!));
      if (i === -1) this.inbox.push(el);
      else this.waiters.splice(i, 1)[0]!.resolve(el);
    }
  }

  send(data: string): void { this.raw.send(data); }

  expect(pred: (el: Element) => boolean): Promise<Element> {
    const i = this.inbox.findIndex(pred);
    if (i !== -1) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  async iq(body: string): Promise<Element> {
    const id = `b${++seq}`;
    this.send(body.replace(/^<iq\b/, `<iq id='${id}'`));
    return this.expect((el) => el.name === "iq" && el.attrs.id === id && (el.attrs.type === "result" || el.attrs.type === "error"));
  }

  /** Everything routed to this client so far has arrived once this returns (see the header). */
  async barrier(): Promise<void> {
    await this.iq("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
  }

  taken(pred: (el: Element) => boolean): Element[] {
    const out = this.inbox.filter(pred);
    for (const el of out) this.inbox.splice(this.inbox.indexOf(el), 1);
    return out;
  }

  close(): void { this.raw.destroy(); }
}

const isPresence = (from: string, type?: string) => (el: Element) =>
  el.name === "presence" && el.attrs.from === from && el.attrs.type === type;
const isMessage = (from: string, type?: string) => (el: Element) => el.name === "message" && el.attrs.from?.startsWith(from) && el.attrs.type === type;
const isPush = (name: string) => (el: Element) => el.name === "iq" && el.attrs.type === "set" && !!el.getChild(name, NS);
const condition = (el: Element) => el.getChild("error")?.getChildElements().filter((c) => c.name !== "text").map((c) => `${c.getNS()}:${c.name}`) ?? [];
const jids = (el: Element) => el.getChildren("item").map((i) => i.attrs.jid);

let home: Client, work: Client, bob: Client;

/** a subscribes to b's presence, b approves. */
async function subscribe(a: Client, b: Client): Promise<void> {
  a.send(`<presence type='subscribe' to='${b.jid.split("/")[0]}'/>`);
  await b.expect((el) => el.name === "presence" && el.attrs.type === "subscribe");
  b.send(`<presence type='subscribed' to='${a.jid.split("/")[0]}'/>`);
  await a.expect((el) => el.name === "presence" && el.attrs.type === "subscribed");
}

test.before(async () => {
  srv = await startTestServer({ modules: { ...DEFAULT_MODULES, blocking: null, vcard: null } });
  for (const u of ["alice", "bob", "carol", "dave"]) await srv.addUser(`${u}@localhost`, "pw");
  home = await Client.login("alice", "home");
  work = await Client.login("alice", "work");
  bob = await Client.login("bob", "phone");
  await subscribe(home, bob);
  await subscribe(bob, home);
  // Start from empty inboxes: what the subscriptions brought (presence, roster pushes) has all arrived.
  for (const c of [home, work, bob]) {
    await c.iq("<iq type='get'><query xmlns='jabber:iq:roster'/></iq>");
    await c.barrier();
    c.taken(() => true);
  }
});

test.after.always(async () => {
  for (const c of [home, work, bob]) c?.close();
  await srv?.stop();
});

test.serial("§3.2-§3.3: the list starts empty; blocking answers, pushes to each resource that asked, and withdraws presence", async (t) => {
  const list = await home.iq(`<iq type='get'><blocklist xmlns='${NS}'/></iq>`);
  t.is(list.attrs.type, "result");
  t.deepEqual(jids(list.getChild("blocklist", NS)!), []);
  await work.iq(`<iq type='get'><blocklist xmlns='${NS}'/></iq>`);
  bob.taken(() => true);

  const r = await home.iq(`<iq type='set'><block xmlns='${NS}'><item jid='Bob@LocalHost'/></block></iq>`);
  t.is(r.attrs.type, "result");
  for (const c of [home, work]) t.deepEqual(jids((await c.expect(isPush("block"))).getChild("block", NS)!), ["bob@localhost"]);
  // Both of alice's resources are available: bob gets unavailable presence from each (§3.3).
  await bob.expect(isPresence("alice@localhost/home", "unavailable"));
  await bob.expect(isPresence("alice@localhost/work", "unavailable"));
  t.deepEqual(jids((await home.iq(`<iq type='get'><blocklist xmlns='${NS}'/></iq>`)).getChild("blocklist", NS)!), ["bob@localhost"]);
});

test.serial("§3.3: the blocked user's messages and IQs are refused with service-unavailable; the user's to them with <blocked/>", async (t) => {
  bob.send("<message to='alice@localhost' id='m1' type='chat'><body>hello?</body></message>");
  const bounced = await bob.expect((el) => el.name === "message" && el.attrs.id === "m1");
  t.is(bounced.attrs.type, "error");
  t.deepEqual(condition(bounced), ["urn:ietf:params:xml:ns:xmpp-stanzas:service-unavailable"]);

  // An IQ the server would answer for alice (her vCard) is refused too.
  const vcard = await bob.iq("<iq type='get' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>");
  t.deepEqual(condition(vcard), ["urn:ietf:params:xml:ns:xmpp-stanzas:service-unavailable"]);

  home.send("<message to='bob@localhost' id='m2' type='chat'><body>go away</body></message>");
  const refused = await home.expect((el) => el.name === "message" && el.attrs.id === "m2");
  t.is(refused.attrs.type, "error");
  t.is(refused.attrs.from, "bob@localhost");
  t.is(refused.getChild("error")!.attrs.type, "cancel");
  t.deepEqual(condition(refused), ["urn:ietf:params:xml:ns:xmpp-stanzas:not-acceptable", "urn:xmpp:blocking:errors:blocked"]);

  await home.barrier();
  await work.barrier();
  t.deepEqual([...home.taken(isMessage("bob@localhost", "chat")), ...work.taken(isMessage("bob@localhost", "chat"))], []);
  await bob.barrier();
  t.deepEqual(bob.taken(isMessage("alice@localhost", "chat")), []);
});

test.serial("§3.3: presence from the blocked user, probes included, reaches nobody and is not answered", async (t) => {
  bob.send("<presence><status>still here</status></presence>");
  bob.send("<presence type='probe' to='alice@localhost'/>");
  await bob.iq("<iq type='get'><query xmlns='jabber:iq:roster'/></iq>"); // bob's broadcast has been routed
  await home.barrier();
  t.deepEqual(home.taken((el) => el.name === "presence" && el.attrs.from?.startsWith("bob@localhost")), []);
  await bob.barrier();
  t.deepEqual(bob.taken((el) => el.name === "presence" && el.attrs.from?.startsWith("alice@localhost")), []);
});

test.serial("§3.4: unblocking pushes, sends the user's current presence, and messages flow again", async (t) => {
  const r = await work.iq(`<iq type='set'><unblock xmlns='${NS}'><item jid='bob@localhost'/></unblock></iq>`);
  t.is(r.attrs.type, "result");
  for (const c of [home, work]) t.deepEqual(jids((await c.expect(isPush("unblock"))).getChild("unblock", NS)!), ["bob@localhost"]);
  await bob.expect(isPresence("alice@localhost/home"));
  await bob.expect(isPresence("alice@localhost/work"));
  bob.send("<message to='alice@localhost/home' type='chat'><body>back</body></message>");
  t.is((await home.expect(isMessage("bob@localhost", "chat"))).getChildText("body"), "back");
});

test.serial("entry forms (§6): a full JID blocks one resource only; unblock-all (§3.5) clears everything with one push", async (t) => {
  const carolPc = await Client.login("carol", "pc", false);
  const carolTab = await Client.login("carol", "tablet", false);
  t.teardown(() => { carolPc.close(); carolTab.close(); });
  t.is((await home.iq(`<iq type='set'><block xmlns='${NS}'><item jid='carol@localhost/pc'/><item jid='example.net'/></block></iq>`)).attrs.type, "result");
  await home.expect(isPush("block"));
  await work.expect(isPush("block"));

  carolPc.send("<message to='alice@localhost/home' id='c1' type='chat'><body>from pc</body></message>");
  t.deepEqual(condition(await carolPc.expect((el) => el.attrs.id === "c1")), ["urn:ietf:params:xml:ns:xmpp-stanzas:service-unavailable"]);
  carolTab.send("<message to='alice@localhost/home' type='chat'><body>from tablet</body></message>");
  t.is((await home.expect(isMessage("carol@localhost/tablet", "chat"))).getChildText("body"), "from tablet");
  // A domain entry covers every address at that domain.
  home.send("<message to='someone@example.net' id='c2'><body>x</body></message>");
  t.deepEqual(condition(await home.expect((el) => el.attrs.id === "c2")), ["urn:ietf:params:xml:ns:xmpp-stanzas:not-acceptable", "urn:xmpp:blocking:errors:blocked"]);

  t.is((await home.iq(`<iq type='set'><unblock xmlns='${NS}'/></iq>`)).attrs.type, "result");
  for (const c of [home, work]) t.deepEqual(jids((await c.expect(isPush("unblock"))).getChild("unblock", NS)!), []);
  t.deepEqual(jids((await home.iq(`<iq type='get'><blocklist xmlns='${NS}'/></iq>`)).getChild("blocklist", NS)!), []);
  carolPc.send("<message to='alice@localhost/home' type='chat'><body>pc again</body></message>");
  t.is((await home.expect(isMessage("carol@localhost/pc", "chat"))).getChildText("body"), "pc again");
});

test.serial("a block holds while the user is offline: the blocked user's message is refused, not stored", async (t) => {
  const carol = await Client.login("carol", "laptop");
  t.is((await carol.iq(`<iq type='set'><block xmlns='${NS}'><item jid='dave@localhost'/></block></iq>`)).attrs.type, "result");
  carol.close();
  await carol.raw.closed;
  const dave = await Client.login("dave", "pc", false);
  t.teardown(() => dave.close());
  dave.send("<message to='carol@localhost' id='d1' type='chat'><body>are you there?</body></message>");
  t.deepEqual(condition(await dave.expect((el) => el.attrs.id === "d1")), ["urn:ietf:params:xml:ns:xmpp-stanzas:service-unavailable"]);
});

test.serial("malformed commands: no item, a bad JID, another user's list", async (t) => {
  t.deepEqual(condition(await home.iq(`<iq type='set'><block xmlns='${NS}'/></iq>`)), ["urn:ietf:params:xml:ns:xmpp-stanzas:bad-request"]);
  t.deepEqual(condition(await home.iq(`<iq type='set'><block xmlns='${NS}'><item jid='a@@b'/></block></iq>`)), ["urn:ietf:params:xml:ns:xmpp-stanzas:jid-malformed"]);
  t.deepEqual(condition(await home.iq(`<iq type='get' to='bob@localhost'><blocklist xmlns='${NS}'/></iq>`)), ["urn:ietf:params:xml:ns:xmpp-stanzas:forbidden"]);
  t.deepEqual(jids((await home.iq(`<iq type='get'><blocklist xmlns='${NS}'/></iq>`)).getChild("blocklist", NS)!), []);
});
