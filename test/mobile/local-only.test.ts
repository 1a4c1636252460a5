/**
 * Upload slots, TURN credentials and push registrations are for the server's own users: an external component
 * (XEP-0114), which may send as any address at its domain, is refused each of them.
 */
import test from "ava";
import type { Element } from "ltx";
import { handshakeDigest } from "../../src/component/handshake.js";
import { FED_MODULES, startFederated, type FedServer } from "../s2s/helpers.js";
import { RawPeer } from "../s2s/raw-peer.js";

const SECRET = "component secret";
let srv: FedServer;
let bot: RawPeer;
let seq = 0;

async function iq(type: string, to: string, inner: string): Promise<Element> {
  const id = `c${++seq}`;
  bot.send(`<iq type='${type}' id='${id}' from='bot@bot.a.test/x' to='${to}'>${inner}</iq>`);
  for (;;) {
    const el = await bot.next();
    if (!el) throw new Error("the component's stream closed");
    if (el.name === "iq" && el.attrs.id === id) return el;
  }
}
const condition = (r: Element) => r.getChild("error")?.getChildElements().find((e) => e.name !== "text")?.name;

test.before(async () => {
  srv = await startFederated({
    domain: "a.test",
    components: { "bot.a.test": { secret: SECRET } },
    modules: {
      ...FED_MODULES, upload: null, push: null,
      "external-services": { services: [{ type: "turn", host: "turn.a.test", port: 3478, secret: "s" }] },
    },
  });
  await srv.addUser("alice");
  bot = await RawPeer.connect("127.0.0.1", srv.ports.component!);
  bot.send("<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='bot.a.test'>");
  const header = await bot.nextHeader();
  bot.send(`<handshake>${handshakeDigest(header!.id!, SECRET)}</handshake>`);
  if ((await bot.next())?.name !== "handshake") throw new Error("component handshake failed");
});

test.after.always(async () => {
  bot?.destroy();
  await srv?.stop();
});

test.serial("a component gets no upload slot (XEP-0363 §5 forbidden)", async (t) => {
  const r = await iq("get", "upload.a.test", "<request xmlns='urn:xmpp:http:upload:0' filename='a.txt' size='10'/>");
  t.is(condition(r), "forbidden");
  const info = await iq("get", "upload.a.test", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  t.is(info.attrs.type, "result", "discovery is open to anyone");
});

test.serial("a component gets no external services or credentials (XEP-0215 §2 forbidden)", async (t) => {
  t.is(condition(await iq("get", "a.test", "<services xmlns='urn:xmpp:extdisco:2'/>")), "forbidden");
  t.is(condition(await iq("get", "a.test", "<credentials xmlns='urn:xmpp:extdisco:2'><service host='turn.a.test' type='turn'/></credentials>")), "forbidden");
});

test.serial("a component cannot enable push notifications for a user", async (t) => {
  const r = await iq("set", "alice@a.test", "<enable xmlns='urn:xmpp:push:0' jid='push.bot.a.test' node='n'/>");
  t.is(condition(r), "forbidden");
  t.deepEqual([...(await srv.server.storage.map("push/registrations").all("alice@a.test")).keys()], []);
});
