/**
 * Instant messaging with xmpp.js (@xmpp/client) between two accounts, one of them on two devices:
 * the subscription handshake both ways (RFC 6121 §3), presence seen by the other side (§4), a chat message
 * to a bare JID (§8.5.2), a message stored while the recipient is offline and delivered at login with a
 * XEP-0203 delay (XEP-0160), and carbons to the second device (XEP-0280). Prints one JSON line; exit 0 when
 * every step worked.
 *
 *   NODE_EXTRA_CA_CERTS=certs/localhost.crt node xmppjs_im.mjs --service xmpp://localhost:5222 \
 *     --domain localhost --alice alice:pw --bob bob:pw
 */
import { parseArgs } from "node:util";
import { client, xml } from "@xmpp/client";

const { values: args } = parseArgs({
  options: {
    service: { type: "string" },
    domain: { type: "string", default: "localhost" },
    alice: { type: "string" },
    bob: { type: "string" },
    timeout: { type: "string", default: "30" },
  },
});

const report = { ok: false, steps: {}, error: null };
const step = (name, value = true) => { report.steps[name] = value; };
const finish = (code) => process.stdout.write(JSON.stringify(report) + "\n", () => process.exit(code));
setTimeout(() => { report.error ??= "timed out"; finish(1); }, Number(args.timeout) * 1000);

const [aliceUser, alicePass] = args.alice.split(":");
const [bobUser, bobPass] = args.bob.split(":");
const alice = `${aliceUser}@${args.domain}`;
const bob = `${bobUser}@${args.domain}`;

function connect(username, password, resource) {
  const x = client({ service: args.service, domain: args.domain, username, password, resource });
  x.reconnect.stop();
  x.on("error", (err) => { report.error ??= `${username}/${resource}: ${err.condition ?? err.name}: ${err.message}`; });
  return x;
}

/** Resolve with the first stanza matching `pred` (registered before the action that causes it). */
function waitFor(x, pred, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what}`)), 10_000);
    const on = (stanza) => { if (pred(stanza)) { clearTimeout(timer); x.off("stanza", on); resolve(stanza); } };
    x.on("stanza", on);
  });
}

const bareOf = (jid) => (jid ?? "").split("/")[0];

async function run() {
  const a1 = connect(aliceUser, alicePass, "phone");
  const b1 = connect(bobUser, bobPass, "desktop");
  await a1.start();
  await b1.start();
  // Like every IM client, fetch the roster before going online: that makes the resource "interested" in
  // roster pushes (RFC 6121 §2.1.6).
  await a1.iqCaller.request(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })));
  await b1.iqCaller.request(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })));
  await a1.send(xml("presence"));
  await b1.send(xml("presence"));

  // Bob approves whatever subscription request arrives, and asks back.
  b1.on("stanza", (s) => {
    if (s.is("presence") && s.attrs.type === "subscribe" && bareOf(s.attrs.from) === alice) {
      b1.send(xml("presence", { to: alice, type: "subscribed" }));
      b1.send(xml("presence", { to: alice, type: "subscribe" }));
    }
  });
  a1.on("stanza", (s) => {
    if (s.is("presence") && s.attrs.type === "subscribe" && bareOf(s.attrs.from) === bob) {
      a1.send(xml("presence", { to: bob, type: "subscribed" }));
    }
  });

  const pushSeen = waitFor(a1, (s) => s.is("iq") && s.attrs.type === "set" && s.getChild("query", "jabber:iq:roster"), "roster push");
  await a1.iqCaller.request(xml("iq", { type: "set" }, xml("query", { xmlns: "jabber:iq:roster" }, xml("item", { jid: bob, name: "Bob" }))));
  await pushSeen;
  step("rosterSet");

  const aliceSeesBob = waitFor(a1, (s) => s.is("presence") && !s.attrs.type && bareOf(s.attrs.from) === bob, "bob's presence at alice");
  const bobSeesAlice = waitFor(b1, (s) => s.is("presence") && !s.attrs.type && bareOf(s.attrs.from) === alice, "alice's presence at bob");
  await a1.send(xml("presence", { to: bob, type: "subscribe" }));
  await Promise.all([aliceSeesBob, bobSeesAlice]);
  step("mutualPresence");

  const roster = await a1.iqCaller.request(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })));
  const item = roster.getChild("query").getChildren("item").find((i) => i.attrs.jid === bob);
  step("subscription", item?.attrs.subscription ?? null);

  // Alice's second device enables carbons.
  const a2 = connect(aliceUser, alicePass, "laptop");
  await a2.start();
  await a2.send(xml("presence", null, xml("priority", null, "-1")));
  await a2.iqCaller.request(xml("iq", { type: "set" }, xml("enable", { xmlns: "urn:xmpp:carbons:2" })));

  const bobGets = waitFor(b1, (s) => s.is("message") && s.getChildText("body") === "hello bob", "message at bob");
  const carbon = waitFor(a2, (s) => s.is("message") && s.getChild("sent", "urn:xmpp:carbons:2"), "sent carbon at alice's laptop");
  await a1.send(xml("message", { to: bob, type: "chat", id: "m1" }, xml("body", null, "hello bob")));
  const got = await bobGets;
  step("chat", bareOf(got.attrs.from) === alice);
  const sent = (await carbon).getChild("sent").getChild("forwarded", "urn:xmpp:forward:0").getChild("message");
  step("carbonSent", sent?.getChildText("body") === "hello bob");

  // Bob goes offline; a message waits for him and arrives with a delay stamp when he is back.
  const bobGone = waitFor(a1, (s) => s.is("presence") && s.attrs.type === "unavailable" && bareOf(s.attrs.from) === bob, "bob unavailable");
  await b1.stop();
  await bobGone;
  step("unavailableSeen");
  await a1.send(xml("message", { to: bob, type: "chat", id: "m2" }, xml("body", null, "while you were away")));
  await new Promise((r) => setTimeout(r, 300));
  const b2 = connect(bobUser, bobPass, "desktop");
  await b2.start();
  const offline = waitFor(b2, (s) => s.is("message") && s.getChildText("body") === "while you were away", "offline message");
  await b2.send(xml("presence"));
  const stored = await offline;
  step("offlineDelay", stored.getChild("delay", "urn:xmpp:delay")?.attrs.stamp ?? null);

  await Promise.all([a1.stop(), a2.stop(), b2.stop()]);
  report.ok = true;
}

run().then(() => finish(0), (err) => { report.error ??= err.message; finish(1); });
