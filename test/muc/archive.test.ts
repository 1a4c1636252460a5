/**
 * The room archive through a real server: XEP-0313 queries to the room JID with XEP-0059 paging, the archive
 * ids being the stanza-ids occupants saw (XEP-0359 by the room), who may query and filter (§6.1.2); XEP-0425
 * moderated retraction (a tombstone in the archive and in history); room avatars (vCard, XEP-0153 hashes);
 * and one user entering 500 rooms at once.
 */
import test from "ava";
import type { Element } from "ltx";
import type { RawClient } from "../helpers/raw-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { MUC, NS_USER, barrier, codes, condition, configure, connect, createInstant, groupchat, iq, join, nextGroupchat, stop, untilSubject } from "./util.js";

const NS_MAM = "urn:xmpp:mam:2";
const NS_SID = "urn:xmpp:sid:0";

async function server(): Promise<TestServer> {
  const srv = await startTestServer();
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  return srv;
}

let qn = 0;
/** Run a MAM query; returns the forwarded messages (in order) and the <fin/>. */
async function mam(c: RawClient, room: string, inner = ""): Promise<{ results: Element[]; fin: Element | undefined; reply: Element }> {
  const queryid = `q${++qn}`;
  c.send(`<iq type='set' id='${queryid}' to='${room}'><query xmlns='${NS_MAM}' queryid='${queryid}'>${inner}</query></iq>`);
  const results: Element[] = [];
  for (;;) {
    const el = await c.until((e) => (e.name === "message" && e.getChild("result", NS_MAM)?.attrs.queryid === queryid) || (e.name === "iq" && e.attrs.id === queryid));
    if (el.name === "iq") return { results, fin: el.getChild("fin", NS_MAM), reply: el };
    results.push(el);
  }
}
const forwarded = (r: Element) => r.getChild("result", NS_MAM)!.getChild("forwarded", "urn:xmpp:forward:0")!.getChild("message")!;
const rsm = (max: number, extra = "") => `<set xmlns='http://jabber.org/protocol/rsm'><max>${max}</max>${extra}</set>`;

test("the room archive pages through what was said, with the ids occupants saw", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b, c] = [await connect(srv, "alice"), await connect(srv, "bob"), await connect(srv, "carol")];
  const room = `log@${MUC}`;
  await createInstant(a, room, "A");
  t.is(condition((await mam(a, room)).reply), "service-unavailable", "not logged: no archive");
  t.is((await configure(a, room, { "muc#roomconfig_enablelogging": "1" })).attrs.type, "result");
  await join(b, room, "B");
  await untilSubject(b);
  const live: Element[] = [];
  for (let i = 0; i < 7; i++) {
    groupchat(i % 2 ? b : a, room, `m${i}`);
    live.push(await nextGroupchat(a));
  }
  // Chat states are not archived (no body).
  a.send(`<message to='${room}' type='groupchat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  await barrier(a);
  const ids = live.map((m) => m.getChildren("stanza-id", NS_SID).find((s) => s.attrs.by === room)!.attrs.id);

  const page1 = await mam(b, room, rsm(3));
  t.deepEqual(page1.results.map((r) => forwarded(r).getChildText("body")), ["m0", "m1", "m2"]);
  t.deepEqual(page1.results.map((r) => r.getChild("result", NS_MAM)!.attrs.id), ids.slice(0, 3), "archive ids are the stanza-ids");
  t.is(page1.results[0]!.attrs.from, room);
  t.is(forwarded(page1.results[0]!).attrs.from, `${room}/A`);
  t.truthy(page1.results[0]!.getChild("result", NS_MAM)!.getChild("forwarded", "urn:xmpp:forward:0")!.getChild("delay", "urn:xmpp:delay"));
  t.is(forwarded(page1.results[0]!).getChild("x", NS_USER), undefined, "a semi-anonymous room hides real JIDs from participants");
  t.not(page1.fin!.attrs.complete, "true");
  const last = page1.fin!.getChild("set")!.getChildText("last")!;
  const page2 = await mam(b, room, rsm(3, `<after>${last}</after>`));
  t.deepEqual(page2.results.map((r) => forwarded(r).getChildText("body")), ["m3", "m4", "m5"]);
  const page3 = await mam(b, room, rsm(3, `<after>${page2.fin!.getChild("set")!.getChildText("last")}</after>`));
  t.deepEqual(page3.results.map((r) => forwarded(r).getChildText("body")), ["m6"]);
  t.is(page3.fin!.attrs.complete, "true");
  const lastPage = await mam(b, room, rsm(2, "<before/>"));
  t.deepEqual(lastPage.results.map((r) => forwarded(r).getChildText("body")), ["m5", "m6"]);
  t.is(condition((await mam(b, room, rsm(2, "<after>no-such-id</after>"))).reply), "item-not-found");

  // The owner (a moderator) sees who said what, and may filter by sender.
  const mine = await mam(a, room, `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>${NS_MAM}</value></field><field var='with'><value>bob@localhost</value></field></x>`);
  t.deepEqual(mine.results.map((r) => forwarded(r).getChildText("body")), ["m1", "m3", "m5"]);
  t.is(forwarded(mine.results[0]!).getChild("x", NS_USER)!.getChild("item")!.attrs.jid, "bob@localhost/r");
  const withForm = `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>${NS_MAM}</value></field><field var='with'><value>alice@localhost</value></field></x>`;
  t.is(condition((await mam(b, room, withForm)).reply), "forbidden", "participants cannot filter by real JID in a semi-anonymous room");

  // §6.1.2: a members-only room's archive is for members.
  t.is((await mam(c, room, rsm(1))).results.length, 1, "an open room's archive is open to non-occupants");
  t.is((await configure(a, room, { "muc#roomconfig_membersonly": "1" })).attrs.type, "result");
  t.is(condition((await mam(c, room, rsm(1))).reply), "forbidden");
});

test("XEP-0425: a moderator retracts a message; everyone is told; the archive and history keep a tombstone", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b, c] = [await connect(srv, "alice"), await connect(srv, "bob"), await connect(srv, "carol")];
  const room = `mod@${MUC}`;
  await createInstant(a, room, "A");
  t.is((await configure(a, room, { "muc#roomconfig_enablelogging": "1" })).attrs.type, "result");
  await join(b, room, "B");
  await untilSubject(b);
  groupchat(b, room, "something rude");
  groupchat(b, room, "something fine");
  const rude = await nextGroupchat(a);
  await nextGroupchat(a);
  const id = rude.getChildren("stanza-id", NS_SID).find((s) => s.attrs.by === room)!.attrs.id;
  const moderate = (x: string) => `<moderate xmlns='urn:xmpp:message-moderate:1' id='${x}'><retract xmlns='urn:xmpp:message-retract:1'/><reason>Rude</reason></moderate>`;
  t.is(condition(await iq(b, "set", room, moderate(id))), "forbidden", "participants cannot");
  t.is(condition(await iq(a, "set", room, moderate("unknown"))), "item-not-found");
  t.is((await iq(a, "set", room, moderate(id))).attrs.type, "result");
  const told = await b.until((e) => e.name === "message" && e.getChild("retract", "urn:xmpp:message-retract:1") !== undefined);
  const retract = told.getChild("retract", "urn:xmpp:message-retract:1")!;
  t.is(told.attrs.from, room);
  t.is(retract.attrs.id, id);
  t.is(retract.getChild("moderated", "urn:xmpp:message-moderate:1")!.attrs.by, `${room}/A`);
  t.is(retract.getChildText("reason"), "Rude");

  const archived = await mam(a, room);
  const bodies = archived.results.map((r) => forwarded(r));
  const tomb = bodies.find((m) => m.getChild("retracted", "urn:xmpp:message-retract:1"))!;
  t.truthy(tomb, "the message is now a tombstone");
  t.is(tomb.getChildText("body"), null);
  t.is(archived.results[bodies.indexOf(tomb)]!.getChild("result", NS_MAM)!.attrs.id, id, "in the same place, with the same id");
  t.false(bodies.some((m) => m.getChildText("body") === "something rude"));
  t.true(bodies.some((m) => m.getChild("retract", "urn:xmpp:message-retract:1")), "the retraction is archived too");

  await join(c, room, "C");
  const history = (await untilSubject(c)).history;
  t.deepEqual(history.map((m) => m.getChildText("body") ?? "(retracted)"), ["(retracted)", "something fine"]);
});

test("room avatars: owners set the room's vCard; occupants see the new hash; others only read it", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b] = [await connect(srv, "alice"), await connect(srv, "bob")];
  const room = `pic@${MUC}`;
  await createInstant(a, room, "A");
  await join(b, room, "B");
  await untilSubject(b);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  const vcard = `<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>${png.toString("base64")}</BINVAL></PHOTO></vCard>`;
  t.is(condition(await iq(b, "set", room, vcard)), "forbidden");
  t.is((await iq(a, "set", room, vcard)).attrs.type, "result");
  const update = await b.until((e) => e.name === "presence" && e.attrs.from === room);
  const { createHash } = await import("node:crypto");
  t.is(update.getChild("x", "vcard-temp:x:update")!.getChildText("photo"), createHash("sha1").update(png).digest("hex"));
  const got = await iq(b, "get", room, "<vCard xmlns='vcard-temp'/>");
  t.is(got.getChild("vCard")!.getChild("PHOTO")!.getChildText("TYPE"), "image/png");
});

test("one user enters 500 rooms in a burst; every room is there with its owner and occupant", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const a = await connect(srv, "alice");
  const N = 500;
  let burst = "";
  for (let i = 0; i < N; i++) burst += `<presence to='burst${i}@${MUC}/A'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`;
  a.send(burst);
  const created = new Set<string>();
  while (created.size < N) {
    const p = await a.until((e) => e.name === "presence" && codes(e).includes(110));
    t.deepEqual(codes(p), [110, 201]);
    created.add(p.attrs.from as string);
  }
  let configureAll = "";
  for (let i = 0; i < N; i++) configureAll += `<iq type='set' id='c${i}' to='burst${i}@${MUC}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`;
  a.send(configureAll);
  const done = new Set<string>();
  while (done.size < N) {
    const r = await a.until((e) => e.name === "iq" && /^c\d+$/.test(e.attrs.id));
    t.is(r.attrs.type, "result");
    done.add(r.attrs.id);
  }
  const list = await iq(a, "get", MUC, "<query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'><max>1000</max></set></query>");
  t.is(list.getChild("query")!.getChildren("item").length, N);
  t.is(list.getChild("query")!.getChild("set")!.getChildText("count"), String(N));
  const info = await iq(a, "get", `burst${N - 1}@${MUC}`, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  const occupants = info.getChild("query")!.getChild("x", "jabber:x:data")!.getChildren("field").find((f) => f.attrs.var === "muc#roominfo_occupants");
  t.is(occupants?.getChildText("value"), "1");
  // Paging through the rooms (XEP-0059): 200 at a time.
  const page = await iq(a, "get", MUC, `<query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'><max>200</max><after>burst0@${MUC}</after></set></query>`);
  t.is(page.getChild("query")!.getChildren("item").length, 200);
  t.is(page.getChild("query")!.getChild("set")!.getChild("first")!.attrs.index, "1");
  // Leaving everything at once: every room empties and, being temporary, goes.
  a.destroy();
  const b = await connect(srv, "bob");
  await barrier(b);
  const after = await iq(b, "get", MUC, "<query xmlns='http://jabber.org/protocol/disco#items'/>");
  t.is(after.getChild("query")!.getChildren("item").length, 0);
  t.is(condition((await join(b, `burst7@${MUC}`, "B")).self), "", "a new room of the same name can be made");
});
