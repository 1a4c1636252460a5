/**
 * The conference service through a real server, three accounts: discovery (XEP-0045 §6), an instant room
 * (§10.1.2) and its lock (§7.2.11), entering with presence and status codes (§7.2), the same order of messages
 * for everyone (§7.4) with stanza-ids and occupant ids, history on entering (§7.2.13-14), the subject (§7.2.15,
 * §8.1), nickname changes (§7.6), private messages (§7.5), availability (§7.7), leaving (§7.14) and a stream
 * that ends (the occupant leaves), XEP-0410 self-ping.
 */
import test from "ava";
import type { Element } from "ltx";
import { startTestServer, type TestServer } from "../helpers/server.js";
import {
  MUC, NS_MUC, NS_USER, barrier, codes, condition, connect, createInstant, groupchat, iq, item, join, nextGroupchat, stop, untilSubject,
} from "./util.js";

const NS_SID = "urn:xmpp:sid:0";
const NS_OID = "urn:xmpp:occupant-id:0";

async function server(): Promise<TestServer> {
  const srv = await startTestServer();
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  return srv;
}

test("the service is found from the server, says what it is, and lists public rooms only once configured", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const a = await connect(srv, "alice");
  const items = await iq(a, "get", "localhost", "<query xmlns='http://jabber.org/protocol/disco#items'/>");
  t.true(items.getChild("query")!.getChildren("item").some((i) => i.attrs.jid === MUC));
  const info = await iq(a, "get", MUC, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  const q = info.getChild("query")!;
  t.deepEqual(q.getChild("identity")!.attrs, { category: "conference", type: "text", name: "Chatrooms" });
  t.true(q.getChildren("feature").some((f) => f.attrs.var === NS_MUC));

  const { self } = await join(a, `lobby@${MUC}`, "Alice");
  t.deepEqual(codes(self), [110, 201], "a new room: 201, and self-presence 110");
  t.deepEqual({ a: item(self).affiliation, r: item(self).role }, { a: "owner", r: "moderator" });
  await untilSubject(a);
  // §7.2.11: locked until configured: others get item-not-found, and the room is not listed.
  const b = await connect(srv, "bob");
  const refused = await join(b, `lobby@${MUC}`, "Bob");
  t.is(condition(refused.self), "item-not-found");
  const listed = async () => (await iq(b, "get", MUC, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).getChild("query")!.getChildren("item").map((i) => i.attrs.jid);
  t.deepEqual(await listed(), []);
  const ok = await iq(a, "set", `lobby@${MUC}`, "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>");
  t.is(ok.attrs.type, "result");
  t.deepEqual(await listed(), [`lobby@${MUC}`]);
  const entered = await join(b, `lobby@${MUC}`, "Bob");
  t.deepEqual(codes(entered.self), [110]);
  t.deepEqual(entered.before.map((p) => p.attrs.from), [`lobby@${MUC}/Alice`], "others' presence comes before self-presence");
  t.is(item(entered.before[0]!).jid, undefined, "a semi-anonymous room shows real JIDs to moderators only");
  const seen = await a.until((e) => e.name === "presence" && e.attrs.from === `lobby@${MUC}/Bob`);
  t.is(item(seen).jid, "bob@localhost/r", "the owner (a moderator) sees Bob's real JID");
  t.truthy(seen.getChild("occupant-id", NS_OID)?.attrs.id);

  const roomInfo = await iq(b, "get", `lobby@${MUC}`, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  const features = roomInfo.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
  for (const f of [NS_MUC, "muc_public", "muc_temporary", "muc_open", "muc_semianonymous", "muc_unsecured", "muc_unmoderated", NS_OID, "http://jabber.org/protocol/muc#self-ping-optimization"]) {
    t.true(features.includes(f), f);
  }
  const form = roomInfo.getChild("query")!.getChild("x", "jabber:x:data")!;
  const field = (v: string) => form.getChildren("field").find((f) => f.attrs.var === v)?.getChildText("value");
  t.is(field("FORM_TYPE"), "http://jabber.org/protocol/muc#roominfo");
  t.is(field("muc#roominfo_occupants"), "2");
});

test("three occupants see the same messages in the same order, with the room's stanza-id and occupant ids", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b, c] = [await connect(srv, "alice"), await connect(srv, "bob"), await connect(srv, "carol")];
  const room = `order@${MUC}`;
  await createInstant(a, room, "A");
  await join(b, room, "B");
  await untilSubject(b);
  await join(c, room, "C");
  await untilSubject(c);
  const N = 20;
  // All three write at once; whatever order the room takes, everyone sees that order.
  for (let i = 0; i < N; i++) {
    groupchat(a, room, `a${i}`, `ida${i}`);
    groupchat(b, room, `b${i}`);
    groupchat(c, room, `c${i}`);
  }
  const read = async (x: typeof a) => { const got: Element[] = []; while (got.length < 3 * N) got.push(await nextGroupchat(x)); return got; };
  const [ra, rb, rc] = await Promise.all([read(a), read(b), read(c)]);
  const bodies = (l: Element[]) => l.map((m) => m.getChildText("body"));
  t.deepEqual(bodies(rb), bodies(ra));
  t.deepEqual(bodies(rc), bodies(ra));
  const ids = (l: Element[]) => l.map((m) => m.getChildren("stanza-id", NS_SID).find((s) => s.attrs.by === room)?.attrs.id);
  t.deepEqual(ids(rb), ids(ra), "one stanza-id per message, the same for everyone");
  t.is(new Set(ids(ra)).size, 3 * N);
  // Each sender's own messages keep their order and their id (§7.4 muc#stable_id).
  t.deepEqual(bodies(ra).filter((x) => x!.startsWith("a")), Array.from({ length: N }, (_, i) => `a${i}`));
  const mine = ra.find((m) => m.getChildText("body") === "a3")!;
  t.is(mine.attrs.id, "ida3");
  t.is(mine.attrs.from, `${room}/A`);
  const oids = new Map<string, Set<string>>();
  for (const m of ra) {
    const from = m.attrs.from as string;
    if (!oids.has(from)) oids.set(from, new Set());
    oids.get(from)!.add(m.getChild("occupant-id", NS_OID)!.attrs.id);
  }
  t.deepEqual([...oids.values()].map((s) => s.size), [1, 1, 1], "one occupant id per occupant");
  t.is(new Set([...oids.values()].map((s) => [...s][0])).size, 3);
});

test("history on entering follows maxstanzas, maxchars, seconds and since; the subject comes after it", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const a = await connect(srv, "alice");
  const room = `hist@${MUC}`;
  await createInstant(a, room, "A");
  a.send(`<message to='${room}' type='groupchat'><subject>Today's topic</subject></message>`);
  await a.until((e) => e.name === "message" && e.getChild("subject") !== undefined);
  for (let i = 0; i < 5; i++) groupchat(a, room, `m${i}`);
  for (let i = 0; i < 5; i++) await nextGroupchat(a);

  const b = await connect(srv, "bob");
  await join(b, room, "B");
  const all = await untilSubject(b);
  t.deepEqual(all.history.map((m) => m.getChildText("body")), ["m0", "m1", "m2", "m3", "m4"]);
  const delay = all.history[0]!.getChild("delay", "urn:xmpp:delay")!;
  t.is(delay.attrs.from, room);
  t.truthy(delay.attrs.stamp);
  t.is(all.subject.getChildText("subject"), "Today's topic");
  t.is(all.subject.attrs.from, `${room}/A`);

  const c = await connect(srv, "carol");
  const rejoin = async (nick: string, history: string) => {
    await join(c, room, nick, history);
    const r = await untilSubject(c);
    c.send(`<presence to='${room}/${nick}' type='unavailable'/>`);
    await c.until((e) => e.name === "presence" && e.attrs.type === "unavailable" && codes(e).includes(110));
    return r.history.map((m) => m.getChildText("body"));
  };
  t.deepEqual(await rejoin("C1", "<history maxstanzas='2'/>"), ["m3", "m4"]);
  t.deepEqual(await rejoin("C2", "<history maxchars='0'/>"), []);
  const one = all.history[4]!;
  one.attrs.to = "carol@localhost/r";
  const size = one.toString().length;
  t.deepEqual(await rejoin("C3", `<history maxchars='${size * 2 + 1}'/>`), ["m3", "m4"], "whole stanzas that fit");
  t.deepEqual(await rejoin("C4", "<history seconds='3600'/>"), ["m0", "m1", "m2", "m3", "m4"]);
  t.deepEqual(await rejoin("C5", "<history since='2999-01-01T00:00:00Z'/>"), []);
});

test("nickname change (303, 110), availability, private messages, leaving and a dropped stream", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b] = [await connect(srv, "alice"), await connect(srv, "bob")];
  const room = `nick@${MUC}`;
  await createInstant(a, room, "A");
  await join(b, room, "B");
  await untilSubject(b);
  await a.until((e) => e.name === "presence" && e.attrs.from === `${room}/B`);

  // §7.2.8: a nickname in use by someone else.
  const c = await connect(srv, "carol");
  t.is(condition((await join(c, room, "A")).self), "conflict");

  // §7.6: B becomes Bee.
  b.send(`<presence to='${room}/Bee'/>`);
  const oldSelf = await b.until((e) => e.name === "presence" && e.attrs.type === "unavailable");
  t.deepEqual(codes(oldSelf), [110, 303]);
  t.is(item(oldSelf).nick, "Bee");
  const newSelf = await b.until((e) => e.name === "presence" && e.attrs.from === `${room}/Bee`);
  t.deepEqual(codes(newSelf), [110]);
  const oldSeen = await a.until((e) => e.name === "presence" && e.attrs.from === `${room}/B`);
  t.deepEqual(codes(oldSeen), [303]);
  t.is(item(oldSeen).nick, "Bee");
  await a.until((e) => e.name === "presence" && e.attrs.from === `${room}/Bee` && e.attrs.type === undefined);

  // §7.7: availability.
  b.send(`<presence to='${room}/Bee'><show>away</show><status>lunch</status></presence>`);
  const away = await a.until((e) => e.name === "presence" && e.attrs.from === `${room}/Bee`);
  t.is(away.getChildText("show"), "away");
  t.is(item(away).role, "participant");

  // §7.5: private messages: to an occupant, not groupchat, only from occupants.
  a.send(`<message to='${room}/Bee' type='chat' id='pm1'><body>psst</body></message>`);
  const pm = await b.until((e) => e.name === "message" && e.attrs.id === "pm1");
  t.is(pm.attrs.from, `${room}/A`);
  t.truthy(pm.getChild("x", NS_USER));
  a.send(`<message to='${room}/Bee' type='groupchat' id='pm2'><body>wrong</body></message>`);
  t.is(condition(await a.until((e) => e.attrs.id === "pm2")), "bad-request");
  a.send(`<message to='${room}/Nobody' type='chat' id='pm3'><body>?</body></message>`);
  t.is(condition(await a.until((e) => e.attrs.id === "pm3")), "item-not-found");
  c.send(`<message to='${room}/Bee' type='chat' id='pm4'><body>not in</body></message>`);
  t.is(condition(await c.until((e) => e.attrs.id === "pm4")), "not-acceptable");
  c.send(`<message to='${room}' type='groupchat' id='gc1'><body>not in</body></message>`);
  t.is(condition(await c.until((e) => e.attrs.id === "gc1")), "not-acceptable");

  // XEP-0410: self-ping.
  const ping = "<ping xmlns='urn:xmpp:ping'/>";
  t.is((await iq(b, "get", `${room}/Bee`, ping)).attrs.type, "result");
  t.is(condition(await iq(c, "get", `${room}/Carol`, ping)), "not-acceptable");

  // §7.14: leaving, with an exit message.
  b.send(`<presence to='${room}/Bee' type='unavailable'><status>bye</status></presence>`);
  const gone = await a.until((e) => e.name === "presence" && e.attrs.from === `${room}/Bee` && e.attrs.type === "unavailable");
  t.is(gone.getChildText("status"), "bye");
  t.is(item(gone).role, "none");
  t.is(condition(await iq(b, "get", `${room}/Bee`, ping)), "not-acceptable", "no longer joined");

  // A stream that ends: the occupant leaves.
  await join(c, room, "C");
  await untilSubject(c);
  await a.until((e) => e.name === "presence" && e.attrs.from === `${room}/C`);
  c.destroy();
  const dropped = await a.until((e) => e.name === "presence" && e.attrs.from === `${room}/C` && e.attrs.type === "unavailable");
  t.is(item(dropped).role, "none");
  await barrier(a);
});

test("the same user enters twice with the same nick: one occupant, both sessions get everything", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const a1 = await connect(srv, "alice", "one");
  const a2 = await connect(srv, "alice", "two");
  const b = await connect(srv, "bob");
  const room = `multi@${MUC}`;
  await createInstant(a1, room, "A");
  await join(b, room, "B");
  await untilSubject(b);
  const second = await join(a2, room, "A");
  t.deepEqual(codes(second.self), [110]);
  await untilSubject(a2);
  groupchat(b, room, "to both");
  t.is((await nextGroupchat(b)).getChildText("body"), "to both", "the sender gets its message back too");
  t.is((await nextGroupchat(a1)).getChildText("body"), "to both");
  t.is((await nextGroupchat(a2)).getChildText("body"), "to both");
  b.send(`<message to='${room}/A' type='chat' id='pmboth'><body>hi</body></message>`);
  await a1.until((e) => e.attrs.id === "pmboth");
  await a2.until((e) => e.attrs.id === "pmboth");
  // One session leaves: Bob still sees A (a presence update, not a departure).
  a2.send(`<presence to='${room}/A' type='unavailable'/>`);
  await a2.until((e) => e.name === "presence" && e.attrs.type === "unavailable" && codes(e).includes(110));
  const update = await b.until((e) => e.name === "presence" && e.attrs.from === `${room}/A`);
  t.is(update.attrs.type, undefined);
  groupchat(a1, room, "still here");
  t.is((await nextGroupchat(b)).getChildText("body"), "still here");
});

test("§7.2.23 presence without the MUC <x/> from a non-occupant, §7.2.10 a full room, §18.1.2 an occupant whose client bounces (333)", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b, c] = [await connect(srv, "alice"), await connect(srv, "bob"), await connect(srv, "carol")];
  const room = `small@${MUC}`;
  await createInstant(a, room, "A");
  c.send(`<presence to='${room}/C'/>`);
  const notIn = await c.until((e) => e.name === "presence");
  t.is(notIn.attrs.type, "unavailable");
  t.deepEqual(codes(notIn), [110, 307, 333]);

  t.is((await iq(a, "set", room, `<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_maxusers'><value>2</value></field></x></query>`)).attrs.type, "result");
  await join(b, room, "B");
  await untilSubject(b);
  t.is(condition((await join(c, room, "C")).self), "service-unavailable", "the room is full");

  // Bob's client answers room traffic with a delivery error: the room removes him (333).
  b.send(`<message to='${room}/A' type='error'><error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`);
  const removed = await a.until((e) => e.name === "presence" && e.attrs.from === `${room}/B` && e.attrs.type === "unavailable");
  t.deepEqual(codes(removed), [333]);
  t.deepEqual(codes((await join(c, room, "C")).self), [110], "there is room again");
});
