/**
 * What works locally works across servers: message carbons of remote conversations (XEP-0280), the archive of
 * remote conversations (XEP-0313), and PEP notifications from a remote contact (XEP-0163) after the remote
 * server learned the client's interests through entity capabilities (XEP-0115) by a disco#info query that itself
 * crosses the federation both ways.
 */
import test from "ava";
import type { Element } from "ltx";
import { capsVer } from "../../xeps/0115-caps/ver.js";
import type { RawClient } from "../helpers/raw-client.js";
import { startPair } from "./helpers.js";

const NS_CARBONS = "urn:xmpp:carbons:2";
const NS_TUNE = "http://jabber.org/protocol/tune";
const IDENTITY = { category: "client", type: "pc", name: "raw" };
const FEATURES = ["http://jabber.org/protocol/disco#info", NS_TUNE, `${NS_TUNE}+notify`];

async function ready(c: RawClient, presence = "<presence/>"): Promise<void> {
  c.send("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
  await c.until((el) => el.name === "iq" && el.attrs.id === "roster");
  c.send(presence);
}

/** A client's elements kept until a test asks for them, whatever order they arrive in. */
class Inbox {
  private readonly kept: Element[] = [];
  constructor(private readonly client: RawClient) {}
  async take(pred: (el: Element) => boolean, timeoutMs = 15_000): Promise<Element> {
    const i = this.kept.findIndex(pred);
    if (i !== -1) return this.kept.splice(i, 1)[0]!;
    for (;;) {
      const el = await this.client.next(timeoutMs);
      if (!el) throw new Error("connection closed before the expected element");
      if (pred(el)) return el;
      this.kept.push(el);
    }
  }
}

const carbon = (kind: "sent" | "received", body: string) => (el: Element) =>
  el.name === "message" && el.getChild(kind, NS_CARBONS)?.getChild("forwarded")?.getChild("message")?.getChildText("body") === body;

test("carbons, archive and PEP notifications across servers", async (t) => {
  const [a, b] = await startPair({ domain: "a.test" }, { domain: "b.test" });
  t.teardown(async () => { await a.stop(); await b.stop(); });
  await a.addUser("alice");
  await b.addUser("bob");
  const r1 = await a.login("alice", "r1");
  const r2 = await a.login("alice", "r2");
  const bob = await b.login("bob");
  t.teardown(() => { r1.destroy(); r2.destroy(); bob.destroy(); });
  for (const c of [r1, r2]) {
    c.send("<iq type='set' id='carbons'><enable xmlns='urn:xmpp:carbons:2'/></iq>");
    await c.until((el) => el.name === "iq" && el.attrs.id === "carbons");
  }
  // r1 announces its capabilities (it wants tune notifications); r2 is a plain client.
  const ver = capsVer([IDENTITY], FEATURES);
  await ready(r1, `<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://raw.example' ver='${ver}'/></presence>`);
  await ready(r2);
  await ready(bob);
  const inbox1 = new Inbox(r1);

  // A mutual subscription between alice and bob (RFC 6121 §3.1), which PEP and the archive policy rely on.
  r1.send("<presence to='bob@b.test' type='subscribe'/>");
  await bob.until((el) => el.name === "presence" && el.attrs.type === "subscribe", 15_000);
  bob.send("<presence to='alice@a.test' type='subscribed'/><presence to='alice@a.test' type='subscribe'/>");
  await inbox1.take((el) => el.name === "presence" && el.attrs.type === "subscribe");
  r1.send("<presence to='bob@b.test' type='subscribed'/>");

  // Both servers' PEP services ask r1 what it is interested in (XEP-0115 §6.3); b's question and r1's answer cross
  // the federation. Each question is answered.
  const isQuestion = (el: Element) => el.name === "iq" && el.attrs.type === "get" && el.getChild("query", "http://jabber.org/protocol/disco#info") !== undefined;
  const askers: string[] = [];
  while (!askers.includes("b.test")) {
    const question = await inbox1.take(isQuestion);
    askers.push(question.attrs.from!.replace(/^.*@/, "").replace(/\/.*$/, ""));
    const node = question.getChild("query")!.attrs.node;
    r1.send(`<iq type='result' id='${question.attrs.id}' to='${question.attrs.from}'><query xmlns='http://jabber.org/protocol/disco#info'${node ? ` node='${node}'` : ""}>` +
      `<identity category='client' type='pc' name='raw'/>${FEATURES.map((f) => `<feature var='${f}'/>`).join("")}</query></iq>`);
  }
  t.true(askers.includes("b.test"), askers.join(" "));

  // Carbons: a message from bob to r1 is copied to r2; what r1 sends bob is copied to r2 too.
  bob.send("<message to='alice@a.test/r1' type='chat' id='in1'><body>to r1</body></message>");
  await inbox1.take((el) => el.name === "message" && el.getChildText("body") === "to r1");
  const received = await r2.until(carbon("received", "to r1"), 15_000);
  t.is(received.getChild("received")!.getChild("forwarded")!.getChild("message")!.attrs.from, "bob@b.test/res");
  r1.send("<message to='bob@b.test' type='chat' id='out1'><body>from r1</body></message>");
  await bob.until((el) => el.name === "message" && el.getChildText("body") === "from r1", 15_000);
  await r2.until(carbon("sent", "from r1"), 15_000);

  // The archive holds both directions of the remote conversation.
  r2.send("<iq type='set' id='mam'><query xmlns='urn:xmpp:mam:2' queryid='q1'/></iq>");
  const bodies: string[] = [];
  for (;;) {
    const el = await r2.until((e) => (e.name === "message" && e.getChild("result", "urn:xmpp:mam:2") !== undefined) || (e.name === "iq" && e.attrs.id === "mam"));
    if (el.name === "iq") { t.is(el.attrs.type, "result"); break; }
    const m = el.getChild("result")!.getChild("forwarded")!.getChild("message")!;
    if (m.getChildText("body")) bodies.push(`${m.attrs.from?.split("/")[0]}: ${m.getChildText("body")}`);
  }
  t.deepEqual(bodies, ["bob@b.test: to r1", "alice@a.test: from r1"]);

  // PEP: bob publishes his tune; b notifies r1 (interested by its caps) across servers.
  bob.send(`<iq type='set' id='pub'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='${NS_TUNE}'>` +
    `<item id='current'><tune xmlns='${NS_TUNE}'><title>Federated</title></tune></item></publish></pubsub></iq>`);
  t.is((await bob.until((el) => el.name === "iq" && el.attrs.id === "pub")).attrs.type, "result");
  const event = await inbox1.take((el) => el.name === "message" && el.getChild("event", "http://jabber.org/protocol/pubsub#event") !== undefined);
  t.is(event.attrs.from, "bob@b.test");
  const items = event.getChild("event")!.getChild("items")!;
  t.is(items.attrs.node, NS_TUNE);
  t.is(items.getChild("item")!.getChild("tune")!.getChildText("title"), "Federated");
});
