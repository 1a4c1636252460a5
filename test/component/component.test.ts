/**
 * External components (XEP-0114): an xmpp.js component (@xmpp/component) connects with its shared secret, gets
 * the stanzas for its domain, answers a user from an address at that domain and pings the server; a wrong
 * secret is refused; the server lists the component in disco#items; while it is away its stanzas bounce; a
 * component cannot send as another domain.
 */
import test from "ava";
import { join } from "node:path";
import { CLIENTS_DIR, runClient } from "../helpers/clients.js";
import { handshakeDigest } from "../../src/component/handshake.js";
import { startFederated, type FedServer } from "../s2s/helpers.js";
import { RawPeer } from "../s2s/raw-peer.js";

const SECRET = "component secret";

interface ComponentReport {
  ok: boolean;
  online: boolean;
  received: { from: string; to: string; body: string }[];
  pingFromServer: string | null;
  error: string | null;
}

function runComponent(srv: FedServer, password: string) {
  const args = [join(CLIENTS_DIR, "xmppjs_component.mjs"), "--service", `xmpp://127.0.0.1:${srv.ports.component}`,
    "--domain", "echo.a.test", "--password", password, "--notify", "alice@a.test", "--count", "1"];
  return runClient<ComponentReport>(process.execPath, args);
}

let srv: FedServer;

test.before(async () => {
  srv = await startFederated({ domain: "a.test", components: { "echo.a.test": { secret: SECRET, name: "Echo bot" } } });
  await srv.addUser("alice");
});

test.after.always(() => srv?.stop());

test.serial("an xmpp.js component exchanges stanzas with a user, then its domain bounces while it is away", async (t) => {
  const alice = await srv.login("alice");
  t.teardown(() => alice.destroy());
  alice.send("<presence/>");
  await alice.until((el) => el.name === "presence");
  const run = runComponent(srv, SECRET);
  const online = await alice.until((el) => el.name === "message" && el.getChildText("body") === "online", 20_000);
  t.is(online.attrs.from, "echo.a.test");
  alice.send("<message to='echo.a.test' type='chat'><body>hi bot</body></message>");
  const echo = await alice.until((el) => el.name === "message" && el.getChildText("body") === "echo: hi bot", 20_000);
  t.is(echo.attrs.from, "bot@echo.a.test");
  const { code, report } = await run;
  t.is(code, 0, report.error ?? "");
  t.deepEqual(report.received, [{ from: "alice@a.test/res", to: "echo.a.test", body: "hi bot" }]);
  t.is(report.pingFromServer, "result");

  alice.send("<message to='echo.a.test' type='chat' id='away'><body>anyone?</body></message>");
  const bounced = await alice.until((el) => el.name === "message" && el.attrs.id === "away");
  t.is(bounced.attrs.type, "error");
  t.truthy(bounced.getChild("error")?.getChild("service-unavailable"));
});

test.serial("a wrong secret is refused with not-authorized", async (t) => {
  const { code, report } = await runComponent(srv, "not the secret");
  t.is(code, 1);
  t.false(report.online);
  t.regex(report.error ?? "", /not-authorized/);
});

test.serial("the server lists the component in its disco#items", async (t) => {
  const alice = await srv.login("alice", "disco");
  t.teardown(() => alice.destroy());
  alice.send("<iq type='get' id='items' to='a.test'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  const items = await alice.until((el) => el.name === "iq" && el.attrs.id === "items");
  const item = items.getChild("query")?.getChildren("item").find((i) => i.attrs.jid === "echo.a.test");
  t.is(item?.attrs.name, "Echo bot");
});

test.serial("a raw component: unknown domain, a second connection, and a foreign 'from' are refused", async (t) => {
  const header = (to: string) => `<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${to}'>`;
  const unknown = await RawPeer.connect("127.0.0.1", srv.ports.component!);
  unknown.send(header("nobody.a.test"));
  t.is(await unknown.streamError(), "host-unknown");

  const handshaken = async () => {
    const c = await RawPeer.connect("127.0.0.1", srv.ports.component!);
    c.send(header("echo.a.test"));
    const h = await c.nextHeader();
    c.send(`<handshake>${handshakeDigest(h!.id!, SECRET)}</handshake>`);
    return c;
  };
  const first = await handshaken();
  t.is((await first.next())?.name, "handshake");
  const second = await handshaken();
  t.is(await second.streamError(), "conflict");

  first.send("<message from='mallory@a.test' to='alice@a.test'><body>forged</body></message>");
  t.is(await first.streamError(), "invalid-from");
});

test("a component's stanzas reach another server, authenticated by dialback for the component's domain", async (t) => {
  const { startPair } = await import("../s2s/helpers.js");
  const [a, b] = await startPair({ domain: "a.test", components: { "echo.a.test": { secret: SECRET } } }, { domain: "b.test" });
  t.teardown(async () => { await a.stop(); await b.stop(); });
  await b.addUser("bob");
  const bob = await b.login("bob");
  t.teardown(() => bob.destroy());
  bob.send("<presence/>");
  await bob.until((el) => el.name === "presence");
  const c = await RawPeer.connect("127.0.0.1", a.ports.component!);
  c.send("<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='echo.a.test'>");
  const h = await c.nextHeader();
  c.send(`<handshake>${handshakeDigest(h!.id!, SECRET)}</handshake>`);
  t.is((await c.next())?.name, "handshake");
  c.send("<message from='bot@echo.a.test' to='bob@b.test' type='chat'><body>from a component</body></message>");
  const m = await bob.until((el) => el.name === "message", 20_000);
  t.is(m.attrs.from, "bot@echo.a.test");
  // And bob's answer goes back over federation to the component.
  bob.send("<message to='bot@echo.a.test' type='chat'><body>hello component</body></message>");
  const back = await c.until((el) => el.name === "message", 20_000);
  t.is(back.attrs.from, "bob@b.test/res");
  t.is(back.getChildText("body"), "hello component");
  c.destroy();
});
