/**
 * RFC 6121 §4 and §8.5 against a live server: several resources and priorities, directed presence and the
 * unavailable presence it owes, unavailable presence when a connection drops, probes answered with XEP-0203
 * delay stamps, the presence:initial hook, and the checks on what a client may send.
 */
import test from "ava";
import type { Element } from "ltx";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { RawClient } from "../helpers/raw-client.js";
import type { ClientSession } from "../../src/session/types.js";
import { ImClient, isPresence, mutual } from "./im-client.js";

let srv: TestServer;
const initial: string[] = [];

test.before(async () => {
  srv = await startTestServer();
  for (const u of ["ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ida", "jon", "kim", "lou", "max"]) await srv.addUser(`${u}@localhost`, "pw");
  srv.server.hooks.on("presence:initial", ({ session }: { session: ClientSession }) => { initial.push(session.jid.full); });
});

test.after.always(async () => {
  ImClient.destroyAll();
  await srv?.stop();
});

const NS_DELAY = "urn:xmpp:delay";
const isMessage = (body: string) => (el: Element) => el.name === "message" && el.getChildText("body") === body;

/** Send `body` from `from` to `to`, then a marker straight to `witness`: once the marker is in, anything routed before it is too. */
async function sendAndMark(from: ImClient, to: string, body: string, type: string, witnesses: ImClient[]): Promise<void> {
  from.send(`<message to='${to}' type='${type}'><body>${body}</body></message>`);
  for (const w of witnesses) {
    from.send(`<message to='${w.jid}' type='chat'><body>mark ${body}</body></message>`);
    await w.expect(isMessage(`mark ${body}`));
  }
}

test("several resources: each sees the others' presence; a bare-JID message goes to the highest priority (§4.2.2, §8.5.2.1.1)", async (t) => {
  const a = await ImClient.login(srv, "ann", "a", { presence: "<presence><priority>5</priority></presence>" });
  const b = await ImClient.login(srv, "ann", "b", { presence: "<presence><priority>1</priority></presence>" });
  const ben = await ImClient.login(srv, "ben", "x");

  // Each resource gets its own presence and the other's (an account is subscribed to itself).
  t.is((await a.presence(undefined, b.jid)).getChildText("priority"), "1");
  t.is((await b.presence(undefined, a.jid)).attrs.to, b.jid);
  await b.presence(undefined, b.jid, "its own presence back");

  await sendAndMark(ben, "ann@localhost", "one", "chat", [a, b]);
  t.is((await a.expect(isMessage("one"))).attrs.to, "ann@localhost", "the 'to' is not rewritten (§8.5.2.1.1)");
  t.deepEqual(b.received(isMessage("one")), []);

  b.send("<presence><priority>10</priority></presence>");
  await a.expect((el) => isPresence(undefined, b.jid)(el) && el.getChildText("priority") === "10");
  await sendAndMark(ben, "ann@localhost", "two", "normal", [a, b]);
  await b.expect(isMessage("two"));
  t.deepEqual(a.received(isMessage("two")), []);

  // Negative priorities: never delivered to those resources (§8.5.2.1.1 "MUST NOT").
  a.send("<presence><priority>-1</priority></presence>");
  b.send("<presence><priority>-5</priority></presence>");
  await a.expect((el) => isPresence(undefined, b.jid)(el) && el.getChildText("priority") === "-5");
  await sendAndMark(ben, "ann@localhost", "three", "chat", [a, b]);
  t.deepEqual([...a.received(isMessage("three")), ...b.received(isMessage("three"))], []);

  // Full JIDs (§8.5.3): a normal message to a resource that is not there is an error; chat goes as to the bare JID.
  b.send("<presence><priority>2</priority></presence>");
  await a.expect((el) => isPresence(undefined, b.jid)(el) && el.getChildText("priority") === "2");
  ben.send("<message to='ann@localhost/gone' id='n1'><body>four</body></message>");
  const error = await ben.expect((el) => el.name === "message" && el.attrs.type === "error" && el.attrs.id === "n1");
  t.is(error.getChild("error")!.getChildElements()[0]!.name, "service-unavailable");
  ben.send("<message to='ann@localhost/gone' type='chat'><body>five</body></message>");
  await b.expect(isMessage("five"));
  await Promise.all([a.close(), b.close(), ben.close()]);
});

test("directed presence: the recipient gets unavailable when the session ends (§4.6.3); a probe from it gets mere presence (§4.6.6)", async (t) => {
  const cat = await ImClient.login(srv, "cat", "home");
  const dan = await ImClient.login(srv, "dan", "home");
  cat.send(`<presence to='${dan.jid}'><status>hi dan</status></presence>`);
  t.is((await dan.presence(undefined, cat.jid)).getChildText("status"), "hi dan");

  dan.send(`<presence to='${cat.jid}' type='probe' id='pr1'/>`);
  const mere = await dan.expect((el) => isPresence(undefined, cat.jid)(el) && el.attrs.id === undefined);
  t.deepEqual(mere.getChildElements(), [], "only the fact of availability");

  await cat.close();
  const gone = await dan.presence("unavailable", cat.jid);
  t.is(gone.attrs.to, dan.jid);
  await dan.close();
});

test("directed presence without initial presence, and directed unavailable, are remembered too (§4.6.3 rules 2-3)", async (t) => {
  const cat = await ImClient.login(srv, "cat", "quiet", { presence: false });
  const dan = await ImClient.login(srv, "dan", "watch");
  const ida = await ImClient.login(srv, "ida", "watch");
  cat.send(`<presence to='${dan.jid}'/>`);
  cat.send(`<presence to='${ida.bare}'/>`);
  await dan.presence(undefined, cat.jid);
  await ida.presence(undefined, cat.jid);
  // ida is told explicitly: she leaves the list, and gets no second unavailable at the end.
  cat.send(`<presence to='${ida.bare}' type='unavailable'/>`);
  await ida.presence("unavailable", cat.jid);
  cat.destroy();
  await dan.presence("unavailable", cat.jid);
  await ida.sync();
  await dan.sync();
  t.deepEqual(ida.received(isPresence("unavailable", cat.jid)), []);
  await Promise.all([dan.close(), ida.close()]);
});

test("a dropped connection (no closing tag) makes the server broadcast unavailable for it (§4.5.2)", async (t) => {
  const eve = await ImClient.login(srv, "eve", "home");
  const fay = await ImClient.login(srv, "fay", "home", { presence: "<presence><status>fay on</status></presence>" });
  await mutual(eve, fay);
  const fay2 = await ImClient.login(srv, "fay", "second");
  fay.destroy();
  const toEve = await eve.presence("unavailable", fay.jid);
  t.deepEqual(toEve.getChildElements(), [], "generated by the server: no details");
  await fay2.presence("unavailable", fay.jid, "the account's other resource is told too");
  await Promise.all([eve.close(), fay2.close()]);
});

test("the client's own unavailable presence is broadcast as sent; its next presence starts a new session (§4.5.2)", async (t) => {
  const before = initial.filter((j) => j.startsWith("jon@")).length;
  const jon = await ImClient.login(srv, "jon", "home");
  const kim = await ImClient.login(srv, "kim", "home");
  await mutual(jon, kim);
  jon.send("<presence type='unavailable'><status>gone fishing</status></presence>");
  t.is((await kim.presence("unavailable", jon.jid)).getChildText("status"), "gone fishing");
  await jon.presence("unavailable", jon.jid, "the sender gets it too");
  jon.send("<presence><status>back</status></presence>");
  await kim.expect((el) => isPresence(undefined, jon.jid)(el) && el.getChildText("status") === "back");
  // Initial presence again, so the server probes kim again for jon (§4.5.2 implementation note).
  await jon.expect((el) => isPresence(undefined, kim.jid)(el) && el.getChild("delay", NS_DELAY) !== undefined);
  jon.send("<presence><status>update</status></presence>");
  await jon.sync();
  t.is(initial.filter((j) => j === jon.jid).length - before, 2, "presence:initial fired at each initial presence, not for updates");
  await Promise.all([jon.close(), kim.close()]);
});

test("probes are answered from the contact's last presence with a XEP-0203 delay, or with unavailable (§4.3.2)", async (t) => {
  const gus = await ImClient.login(srv, "gus", "first");
  const hal = await ImClient.login(srv, "hal", "home", { presence: "<presence id='hp1'><show>chat</show><status>hal here</status></presence>" });
  await mutual(gus, hal);
  await gus.close();

  const sentBefore = Date.now();
  const gus2 = await ImClient.login(srv, "gus", "second");
  const answer = await gus2.expect((el) => isPresence(undefined, hal.jid)(el) && el.getChild("delay", NS_DELAY) !== undefined);
  t.is(answer.getChildText("status"), "hal here");
  t.is(answer.attrs.id, "hp1", "the id of the contact's own presence is kept (§4.3.2.1)");
  const delay = answer.getChild("delay", NS_DELAY)!;
  t.is(delay.attrs.from, "localhost");
  const stamp = Date.parse(delay.attrs.stamp as string);
  t.false(Number.isNaN(stamp));
  t.true(stamp <= sentBefore, "stamped when hal sent it, before gus logged in again");

  await hal.close();
  await gus2.presence("unavailable", hal.jid);
  await gus2.close();
  const gus3 = await ImClient.login(srv, "gus", "third");
  const offline = await gus3.presence("unavailable", "hal@localhost", "unavailable from hal's bare JID");
  t.truthy(offline.getChild("delay", NS_DELAY), "with the time hal went unavailable");
  t.is(offline.getChildText("status"), null, "without the details");
  await gus3.close();
});

test("a client's probe of a contact is answered to that resource (§4.3)", async (t) => {
  const ida = await ImClient.login(srv, "ida", "prober");
  const lou = await ImClient.login(srv, "lou", "probed", { presence: "<presence><status>probe me</status></presence>" });
  await mutual(ida, lou);
  await ida.sync();
  ida.discard(() => true);
  ida.send("<presence to='lou@localhost' type='probe'/>");
  const p = await ida.expect((el) => isPresence(undefined, lou.jid)(el) && el.getChildText("status") === "probe me");
  t.is(p.attrs.to, ida.jid);
  await Promise.all([ida.close(), lou.close()]);
});

test("what a client may not send: a forged 'from' ends the stream (invalid-from); an unknown type is bad-request", async (t) => {
  const max = await ImClient.login(srv, "max", "strict");
  max.send("<presence type='available' id='bad1'/>");
  const err = await max.expect((el) => el.name === "presence" && el.attrs.type === "error" && el.attrs.id === "bad1");
  t.is(err.getChild("error")!.getChildElements()[0]!.name, "bad-request");

  const raw = await RawClient.connect(srv.ports.plain);
  await raw.login("max", "pw", "forger");
  raw.send("<presence from='hal@localhost/home'/>");
  t.is(await raw.streamError(), "invalid-from");
  await max.close();
});
