/**
 * Two Palaver servers federating over loopback (each its own domain, address and certificate, static routes to
 * each other): dialback between self-signed servers, SASL EXTERNAL between servers whose certificates a test CA
 * issued, Direct TLS; subscriptions, presence, chat and IQs across; queued stanzas in order; failures bounce.
 */
import test from "ava";
import net from "node:net";
import type { Element } from "ltx";
import type { RawClient } from "../helpers/raw-client.js";
import { freePort, loopback, makeCa, startFederated, startPair, type FedServer } from "./helpers.js";

interface Users { alice: RawClient; bob: RawClient }

/** alice@a and bob@b, logged in, roster fetched, available. */
async function users(a: FedServer, b: FedServer): Promise<Users> {
  await a.addUser("alice");
  await b.addUser("bob");
  const alice = await a.login("alice");
  const bob = await b.login("bob");
  for (const c of [alice, bob]) {
    c.send("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
    await c.until((el) => el.name === "iq" && el.attrs.id === "roster");
    c.send("<presence/>");
    await c.until((el) => el.name === "presence");
  }
  return { alice, bob };
}

/** RFC 6121 §3.1: `from` asks `to` (another server's user), `to` approves; returns once `from` sees `to`'s presence. */
async function subscribe(from: RawClient, fromJid: string, to: RawClient, toJid: string): Promise<void> {
  from.send(`<presence to='${toJid}' type='subscribe'/>`);
  await to.until((el) => el.name === "presence" && el.attrs.type === "subscribe" && el.attrs.from === fromJid, 15_000);
  to.send(`<presence to='${fromJid}' type='subscribed'/>`);
  await from.until((el) => el.name === "presence" && el.attrs.type === undefined && el.attrs.from?.startsWith(`${toJid}/`) === true, 15_000);
}

async function chat(from: RawClient, to: RawClient, toJid: string, body: string): Promise<Element> {
  from.send(`<message to='${toJid}' type='chat' id='${body}'><body>${body}</body></message>`);
  return to.until((el) => el.name === "message" && el.getChildText("body") === body, 15_000);
}

async function iq(c: RawClient, to: string, id: string, payload: string): Promise<Element> {
  c.send(`<iq type='get' id='${id}' to='${to}'>${payload}</iq>`);
  return c.until((el) => el.name === "iq" && el.attrs.id === id, 15_000);
}

const mechanisms = (s: FedServer) => {
  const st = s.server.s2s!.status();
  return { out: st.links.filter((l) => l.ready).map((l) => `${l.remote}:${l.mechanism}`), in: st.inbound.flatMap((i) => Object.entries(i.mechanisms).map(([d, m]) => `${d}:${m}`)) };
};

test("dialback between self-signed servers: subscriptions both ways, presence, chat both ways, IQs across", async (t) => {
  const [a, b] = await startPair({ domain: "a.test" }, { domain: "b.test" });
  t.teardown(async () => { await a.stop(); await b.stop(); });
  const authenticated: string[] = [];
  for (const s of [a, b]) s.server.hooks.on("s2s:authenticated", (e) => { authenticated.push(`${e.direction}:${e.local}<-${e.remote}:${e.mechanism}`); });
  const { alice, bob } = await users(a, b);

  await subscribe(alice, "alice@a.test", bob, "bob@b.test");
  await subscribe(bob, "bob@b.test", alice, "alice@a.test");
  // The approvals leave both rosters at "both" (pushes from each user's own server).
  alice.send("<iq type='get' id='r2'><query xmlns='jabber:iq:roster'/></iq>");
  const ra = await alice.until((el) => el.name === "iq" && el.attrs.id === "r2");
  t.is(ra.getChild("query")!.getChild("item")!.attrs.subscription, "both");
  bob.send("<iq type='get' id='r2'><query xmlns='jabber:iq:roster'/></iq>");
  const rb = await bob.until((el) => el.name === "iq" && el.attrs.id === "r2");
  t.is(rb.getChild("query")!.getChild("item")!.attrs.subscription, "both");

  // A presence update reaches the remote subscriber.
  alice.send("<presence><status>away for lunch</status></presence>");
  const p = await bob.until((el) => el.name === "presence" && el.getChildText("status") === "away for lunch", 15_000);
  t.is(p.attrs.from, "alice@a.test/res");

  t.is((await chat(alice, bob, "bob@b.test", "hello-bob")).attrs.from, "alice@a.test/res");
  t.is((await chat(bob, alice, "alice@a.test/res", "hello-alice")).attrs.from, "bob@b.test/res");

  // IQs to the remote server and to a remote user's account are answered by b; the results come back.
  t.is((await iq(alice, "b.test", "ping1", "<ping xmlns='urn:xmpp:ping'/>")).attrs.type, "result");
  const version = await iq(alice, "b.test", "v1", "<query xmlns='jabber:iq:version'/>");
  t.is(version.getChild("query")?.getChildText("name"), "Palaver");
  t.is((await iq(alice, "bob@b.test", "ping2", "<ping xmlns='urn:xmpp:ping'/>")).attrs.type, "result");
  // An IQ to bob's full JID reaches bob's client, and its answer reaches alice.
  alice.send("<iq type='get' id='v2' to='bob@b.test/res'><query xmlns='jabber:iq:version'/></iq>");
  const asked = await bob.until((el) => el.name === "iq" && el.attrs.id === "v2");
  t.is(asked.attrs.from, "alice@a.test/res");
  bob.send("<iq type='result' id='v2' to='alice@a.test/res'><query xmlns='jabber:iq:version'><name>raw</name><version>1</version></query></iq>");
  const answered = await alice.until((el) => el.name === "iq" && el.attrs.id === "v2");
  t.is(answered.attrs.type, "result");
  t.is(answered.getChild("query")?.getChildText("name"), "raw");
  // An IQ to a resource that does not exist gets the remote server's error.
  const missing = await iq(alice, "bob@b.test/nowhere", "v3", "<query xmlns='jabber:iq:version'/>");
  t.is(missing.attrs.type, "error");
  t.truthy(missing.getChild("error")?.getChild("service-unavailable"));

  t.true(authenticated.includes("in:b.test<-a.test:dialback"), authenticated.join(" "));
  t.true(authenticated.includes("in:a.test<-b.test:dialback"), authenticated.join(" "));
  t.deepEqual(mechanisms(a).out, ["b.test:dialback"]);
  alice.destroy();
  bob.destroy();
});

test("SASL EXTERNAL between servers with certificates from a trusted CA (valid certificates required)", async (t) => {
  const ca = makeCa();
  const [a, b] = await startPair(
    { domain: "a.test", tls: ca.issue(["a.test", "*.a.test"]), trust: [ca.cert], s2s: { requireValidCertificates: true } },
    { domain: "b.test", tls: ca.issue(["b.test"]), trust: [ca.cert], s2s: { requireValidCertificates: true } },
  );
  t.teardown(async () => { await a.stop(); await b.stop(); });
  const { alice, bob } = await users(a, b);
  t.is((await chat(alice, bob, "bob@b.test", "over-external")).attrs.from, "alice@a.test/res");
  t.is((await chat(bob, alice, "alice@a.test", "and-back")).attrs.from, "bob@b.test/res");
  t.deepEqual(mechanisms(a).out, ["b.test:EXTERNAL"]);
  t.true(mechanisms(b).in.includes("a.test:EXTERNAL"));
  alice.destroy();
  bob.destroy();
});

test("a server requiring valid certificates refuses a self-signed peer: the stanza bounces", async (t) => {
  const ca = makeCa();
  const [a, b] = await startPair(
    { domain: "a.test" },
    { domain: "b.test", tls: ca.issue(["b.test"]), trust: [ca.cert], s2s: { requireValidCertificates: true } },
  );
  t.teardown(async () => { await a.stop(); await b.stop(); });
  const { alice } = await users(a, b);
  alice.send("<message to='bob@b.test' type='chat' id='refused'><body>x</body></message>");
  const error = await alice.until((el) => el.name === "message" && el.attrs.id === "refused", 20_000);
  t.is(error.attrs.type, "error");
  t.truthy(error.getChild("error")?.getChild("remote-server-not-found"));
  alice.destroy();
});

test("Direct TLS (XEP-0368) listeners and routes; stanzas queued during set-up arrive in order", async (t) => {
  const [a, b] = await startPair({ domain: "a.test", directTls: true }, { domain: "b.test", directTls: true });
  t.teardown(async () => { await a.stop(); await b.stop(); });
  const { alice, bob } = await users(a, b);
  const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
  for (const body of bodies) alice.send(`<message to='bob@b.test' type='chat'><body>${body}</body></message>`);
  const got: string[] = [];
  while (got.length < bodies.length) {
    const m = await bob.until((el) => el.name === "message", 15_000);
    got.push(m.getChildText("body") ?? "");
  }
  t.deepEqual(got, bodies);
  t.deepEqual(mechanisms(a).out, ["b.test:dialback"]);
  alice.destroy();
  bob.destroy();
});

test("the peer going down: what is sent to it afterwards bounces remote-server-not-found; it is reached again when back", async (t) => {
  const addrB = loopback();
  const portB = await freePort(addrB);
  const a = await startFederated({ domain: "a.test", routes: { "b.test": { host: addrB, port: portB } } });
  const bOptions = { domain: "b.test", address: addrB, s2sPort: portB, routes: { "a.test": { host: a.address, port: a.ports.s2s } } };
  let b = await startFederated(bOptions);
  t.teardown(async () => { await a.stop(); await b.stop(); });
  const { alice, bob } = await users(a, b);
  await chat(alice, bob, "bob@b.test", "before");
  bob.destroy();
  await b.stop();
  alice.send("<message to='bob@b.test' type='chat' id='lost'><body>after</body></message>");
  const bounced = await alice.until((el) => el.name === "message" && el.attrs.id === "lost", 20_000);
  t.is(bounced.attrs.type, "error");
  t.is(bounced.attrs.from, "bob@b.test");
  t.truthy(bounced.getChild("error")?.getChild("remote-server-not-found"));
  // An IQ bounces too, and the local session is unaffected.
  const ping = await iq(alice, "b.test", "p-down", "<ping xmlns='urn:xmpp:ping'/>");
  t.is(ping.attrs.type, "error");
  t.is((await iq(alice, "a.test", "p-local", "<ping xmlns='urn:xmpp:ping'/>")).attrs.type, "result");
  // Reconnect on demand once the peer is back.
  b = await startFederated(bOptions);
  await b.addUser("bob");
  const bob2 = await b.login("bob");
  bob2.send("<presence/>");
  await bob2.until((el) => el.name === "presence");
  t.is((await chat(alice, bob2, "bob@b.test", "back-again")).attrs.from, "alice@a.test/res");
  alice.destroy();
  bob2.destroy();
});

test("a domain with no route and no DNS: remote-server-not-found", async (t) => {
  const a = await startFederated({ domain: "a.test" });
  t.teardown(() => a.stop());
  await a.addUser("alice");
  const alice = await a.login("alice");
  alice.send("<message to='someone@nowhere.test' type='chat' id='m1'><body>x</body></message>");
  const m = await alice.until((el) => el.name === "message" && el.attrs.id === "m1", 20_000);
  t.truthy(m.getChild("error")?.getChild("remote-server-not-found"));
  t.is(m.attrs.from, "someone@nowhere.test");
  const q = await iq(alice, "nowhere.test", "q1", "<query xmlns='jabber:iq:version'/>");
  t.truthy(q.getChild("error")?.getChild("remote-server-not-found"));
  alice.destroy();
});

test("a peer that accepts the connection and never answers: remote-server-timeout after the budget", async (t) => {
  const address = loopback();
  const sockets: net.Socket[] = [];
  const hole = net.createServer((s) => { sockets.push(s); s.on("error", () => {}); });
  await new Promise<void>((r) => hole.listen(0, address, r));
  const a = await startFederated({
    domain: "a.test", routes: { "silent.test": { host: address, port: (hole.address() as net.AddressInfo).port } }, s2s: { connectTimeout: 1 },
  });
  t.teardown(async () => { await a.stop(); for (const s of sockets) s.destroy(); hole.close(); });
  await a.addUser("alice");
  const alice = await a.login("alice");
  alice.send("<message to='someone@silent.test' type='chat' id='m1'><body>x</body></message>");
  const m = await alice.until((el) => el.name === "message" && el.attrs.id === "m1", 20_000);
  t.truthy(m.getChild("error")?.getChild("remote-server-timeout"), m.toString());
  alice.destroy();
});

test("idle connections close, and are opened again on demand", async (t) => {
  const [a, b] = await startPair({ domain: "a.test", s2s: { idleTimeout: 0.5 } }, { domain: "b.test", s2s: { idleTimeout: 0.5 } });
  t.teardown(async () => { await a.stop(); await b.stop(); });
  const { alice, bob } = await users(a, b);
  await chat(alice, bob, "bob@b.test", "first");
  // Wait (without asserting on time) until both servers have closed every server-to-server stream.
  const quiet = () => [a, b].every((s) => { const st = s.server.s2s!.status(); return st.links.length === 0 && st.inbound.length === 0; });
  while (!quiet()) await new Promise((r) => setTimeout(r, 100));
  t.is((await chat(alice, bob, "bob@b.test", "second")).getChildText("body"), "second");
  t.is((await chat(bob, alice, "alice@a.test", "third")).getChildText("body"), "third");
  alice.destroy();
  bob.destroy();
});
