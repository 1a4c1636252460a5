/**
 * XEP-0313 through a real server: a few hundred messages exchanged, then read back page by page in both directions,
 * with every filter; the stanza-id each recipient sees is the archive id; a device that was away catches up.
 */
import test from "ava";
import type { Element } from "ltx";
import { startTestServer, type TestServer } from "../helpers/server.js";
import type { RawClient } from "../helpers/raw-client.js";
import { barrier, connect, features, iq, nextMessage, stop } from "../messages/util.js";
import { forwarded, NS_MAM, query, stanzaIdBy, walk } from "./util.js";

const ROUNDS = 10;
const PER_ROUND = 15; // each way: 300 messages in all

let srv: TestServer;
let alice: RawClient;
/** Alice's archive as it must be, in order: the body of each message. */
const expected: string[] = [];
/** Alice's view of the stanza-ids of what she received, and Bob's two resources' views of what they received. */
const aliceGot = new Map<string, string | undefined>();
const bobGot: Element[][] = [[], []];

test.before(async () => {
  srv = await startTestServer();
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  alice = await connect(srv, "alice", "pc");
  const phone = await connect(srv, "bob", "phone");
  const laptop = await connect(srv, "bob", "laptop");
  for (const c of [alice, phone, laptop]) {
    c.send("<presence/>");
    await barrier(c);
  }
  // Each half round is read by its recipients before the other side writes: the archives' order is then known.
  // (Reading, not an IQ barrier: a barrier would skip the messages that arrive meanwhile.)
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < PER_ROUND; i++) {
      const n = r * PER_ROUND + i;
      // To Bob's bare JID: both of his resources get it (same priority), his archive must hold it once.
      alice.send(`<message to='bob@localhost' type='chat' id='a${n}'><body>message a${n} from alice</body></message>`);
      expected.push(`message a${n} from alice`);
    }
    for (const [k, c] of [phone, laptop].entries()) {
      for (let i = 0; i < PER_ROUND; i++) bobGot[k]!.push(await nextMessage(c));
    }
    for (let i = 0; i < PER_ROUND; i++) {
      const n = r * PER_ROUND + i;
      phone.send(`<message to='alice@localhost/pc' type='chat' id='b${n}'><body>message b${n} from bob</body></message>`);
      // a chat state alone is never archived
      phone.send(`<message to='alice@localhost/pc' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`);
      expected.push(`message b${n} from bob`);
    }
    for (let i = 0; i < PER_ROUND; i++) {
      const m = await alice.until((el) => el.name === "message" && el.getChildText("body") !== null);
      aliceGot.set(m.getChildText("body")!, stanzaIdBy(m, "alice@localhost"));
    }
  }
  // The last chat state is routed once the phone's own round trip is back.
  await barrier(phone);
});
test.after.always(() => srv && stop(srv));

test.serial("each side's archive holds every message once, in order; the stanza-id a recipient saw is its archive id", async (t) => {
  const all = await walk(alice, { max: 100 }, "forward");
  t.deepEqual(all.bodies, expected, "Alice's archive: both directions, chat states left out");
  t.is(new Set(all.ids).size, expected.length);
  // What Alice received carries her archive's id for it.
  for (const [i, body] of expected.entries()) {
    if (body.endsWith("from bob")) t.is(aliceGot.get(body), all.ids[i], body);
  }
  // Bob's two resources got the same copies, with the same id by Bob, and never Alice's id.
  const bob = await connect(srv, "bob", "archive");
  const bobs = await walk(bob, { max: 250 }, "forward");
  t.deepEqual(bobs.bodies, expected, "Bob's archive: the same conversation, each message once");
  const fromAlice = bobs.ids.filter((_, i) => expected[i]!.endsWith("from alice"));
  for (const copies of bobGot) {
    t.deepEqual(copies.map((m) => stanzaIdBy(m, "bob@localhost")), fromAlice);
    t.true(copies.every((m) => stanzaIdBy(m, "alice@localhost") === undefined), "§3.2: no id of the sender's archive");
  }
  t.true(bobs.ids.every((id) => !all.ids.includes(id)), "two archives, two sets of ids");
});

test.serial("forward paging: pages of max, complete only on the last; the first page says index 0", async (t) => {
  const { pages, bodies } = await walk(alice, { max: 50 }, "forward");
  t.is(pages.length, 6);
  t.deepEqual(bodies, expected);
  t.deepEqual(pages.map((p) => p.complete), [false, false, false, false, false, true]);
  t.is(pages[0]!.fin!.getChild("set")!.getChild("first")!.attrs.index, "0");
  t.true(pages.every((p) => p.count === expected.length));
  t.true(pages.every((p) => p.first === p.ids[0] && p.last === p.ids.at(-1)));
  const after = await query(alice, { max: 50, after: pages[5]!.last });
  t.deepEqual(after.ids, []);
  t.true(after.complete, "past the end: an empty, complete page");
});

test.serial("backward paging: the last 20, then 20 more on scroll, to the first page", async (t) => {
  const last = await query(alice, { max: 20, before: "" });
  t.deepEqual(last.bodies, expected.slice(-20));
  t.false(last.complete);
  const more = await query(alice, { max: 20, before: last.first });
  t.deepEqual(more.bodies, expected.slice(-40, -20));
  const { pages, bodies } = await walk(alice, { max: 20 }, "backward");
  t.deepEqual(bodies, expected);
  t.is(pages.length, 15);
  t.true(pages.at(-1)!.complete);
  t.true(pages.slice(0, -1).every((p) => !p.complete));
});

test.serial("flip-page: the same page, newest first", async (t) => {
  const p = await query(alice, { max: 5, before: "", flip: true });
  t.deepEqual(p.bodies, expected.slice(-5).reverse());
  const straight = await query(alice, { max: 5, before: "" });
  t.is(p.first, straight.first);
  t.is(p.last, straight.last);
});

test.serial("page size: none given is 50; over the maximum is capped at 250", async (t) => {
  t.is((await query(alice)).results.length, 50);
  const big = await query(alice, { max: 100000 });
  t.is(big.results.length, 250);
  t.false(big.complete);
  t.is(big.count, 300);
});

test.serial("with: a bare JID matches every resource, a full JID only that resource, nobody gives nothing", async (t) => {
  t.is((await query(alice, { fields: { with: "bob@localhost" }, max: 0 })).count, 300);
  const phone = await walk(alice, { fields: { with: "bob@localhost/phone" }, max: 100 }, "forward");
  t.deepEqual(phone.bodies, expected.filter((b) => b.endsWith("from bob")), "only Bob's phone wrote to Alice; she wrote to his bare JID");
  t.deepEqual((await query(alice, { fields: { with: "bob@localhost/laptop" } })).results, []);
  const none = await query(alice, { fields: { with: "carol@localhost" } });
  t.deepEqual(none.results, []);
  t.true(none.complete);
  t.is(none.count, 0);
});

test.serial("start and end are inclusive times; before-id and after-id bound the set; ids fetch single messages", async (t) => {
  const all = await walk(alice, { max: 250 }, "forward");
  const stamps = all.pages.flatMap((p) => p.results.map((m) => Date.parse(m.getChild("result", NS_MAM)!.getChild("forwarded")!.getChild("delay")!.attrs.stamp as string)));
  const [from, to] = [stamps[100]!, stamps[199]!];
  const inRange = expected.filter((_, i) => stamps[i]! >= from && stamps[i]! <= to);
  const timed = await walk(alice, { fields: { start: new Date(from).toISOString(), end: new Date(to).toISOString() }, max: 250 }, "forward");
  t.deepEqual(timed.bodies, inRange);
  t.true(inRange.length >= 100);

  const between = await query(alice, { fields: { "after-id": all.ids[10]!, "before-id": all.ids[20]! } });
  t.deepEqual(between.bodies, expected.slice(11, 20));
  t.is(between.count, 9);
  const between2 = await query(alice, { fields: { "after-id": all.ids[10]!, "before-id": all.ids[20]! }, max: 3, after: all.ids[14] });
  t.deepEqual(between2.bodies, expected.slice(15, 18), "RSM pages inside the bounds");

  const some = await query(alice, { fields: { ids: [all.ids[250]!, all.ids[5]!] } });
  t.deepEqual(some.bodies, [expected[5], expected[250]]);
  t.true(some.complete);
});

test.serial("full text: whole words of the bodies, with other filters", async (t) => {
  t.deepEqual((await query(alice, { fields: { "{urn:xmpp:fulltext:0}fulltext": "a17" } })).bodies, ["message a17 from alice"]);
  t.is((await query(alice, { fields: { "{urn:xmpp:fulltext:0}fulltext": "ALICE" }, max: 0 })).count, 150);
  t.is((await query(alice, { fields: { "{urn:xmpp:fulltext:0}fulltext": "b14*", with: "bob@localhost" }, max: 0 })).count, 11, "b14, b140-b149");
  const phone = await walk(alice, { fields: { "{urn:xmpp:fulltext:0}fulltext": "bob", with: "bob@localhost/phone" }, max: 40 }, "forward");
  t.deepEqual(phone.bodies, expected.filter((b) => b.endsWith("from bob")));
  t.deepEqual((await query(alice, { fields: { "{urn:xmpp:fulltext:0}fulltext": "b1*", end: "2000-01-01T00:00:00Z" } })).results, []);
});

test.serial("a device that was away fetches what it missed after the last id it saw", async (t) => {
  const all = await walk(alice, { max: 250 }, "forward");
  const tablet = await connect(srv, "alice", "tablet");
  const missed = await walk(tablet, { fields: { "after-id": all.ids[119]! }, max: 100 }, "forward");
  t.deepEqual(missed.bodies, expected.slice(120));
  const rsm = await walk(tablet, { max: 100, after: all.ids[119] }, "forward");
  t.deepEqual(rsm.bodies, expected.slice(120), "the same with RSM <after/>");
});

test.serial("errors: unknown ids are item-not-found, malformed forms bad-request, unknown fields feature-not-implemented, others' archives forbidden", async (t) => {
  t.is((await query(alice, { fields: { ids: ["no-such-id"] } })).error, "item-not-found");
  t.is((await query(alice, { fields: { "after-id": "no-such-id" } })).error, "item-not-found");
  t.is((await query(alice, { max: 5, before: "no-such-id" })).error, "item-not-found");
  t.is((await query(alice, { fields: { start: "last tuesday" } })).error, "bad-request");
  t.is((await query(alice, { fields: { with: "not a@jid@" } })).error, "bad-request");
  t.is((await query(alice, { raw: "<set xmlns='http://jabber.org/protocol/rsm'><max>many</max></set>" })).error, "bad-request");
  t.is((await query(alice, { fields: { "{urn:example}mood": "lonely" } })).error, "feature-not-implemented");
  const others = await query(alice, { to: "bob@localhost" });
  t.is(others.error, "forbidden");
  t.deepEqual(others.results, []);
  t.is((await iq(alice, "get", `<metadata xmlns='${NS_MAM}'/>`, "bob@localhost")).getChild("error")!.getChildElements()[0]!.name, "forbidden");
  t.is((await iq(alice, "get", `<prefs xmlns='${NS_MAM}'/>`, "bob@localhost")).getChild("error")!.getChildElements()[0]!.name, "forbidden");
});

test.serial("results come from the archive's address as queried, and the query reply follows them", async (t) => {
  const p = await query(alice, { to: "alice@localhost", max: 2 });
  t.true(p.results.every((m) => m.attrs.from === "alice@localhost" && m.attrs.to === "alice@localhost/pc"));
  const inner = forwarded(p.results[0]!)!;
  t.is(inner.attrs.xmlns, "jabber:client");
  t.is(inner.attrs.id, "a0");
  t.is(inner.attrs.from, "alice@localhost/pc");
  t.is(stanzaIdBy(inner, "alice@localhost"), undefined, "the stored copy is the message as sent");
  t.is(p.iq.attrs.type, "result");
});

test.serial("metadata, the query form and disco features", async (t) => {
  const all = await walk(alice, { max: 250 }, "forward");
  const meta = (await iq(alice, "get", `<metadata xmlns='${NS_MAM}'/>`)).getChild("metadata", NS_MAM)!;
  t.is(meta.getChild("start")!.attrs.id, all.ids[0]);
  t.is(meta.getChild("end")!.attrs.id, all.ids.at(-1));
  const carol = await connect(srv, "carol", "pc");
  t.is((await iq(carol, "get", `<metadata xmlns='${NS_MAM}'/>`)).getChild("metadata", NS_MAM)!.children.length, 0, "an empty archive");
  const form = (await iq(alice, "get", `<query xmlns='${NS_MAM}'/>`)).getChild("query", NS_MAM)!.getChild("x", "jabber:x:data")!;
  t.deepEqual(form.getChildren("field").map((f) => f.attrs.var),
    ["FORM_TYPE", "with", "start", "end", "before-id", "after-id", "ids", "include-groupchat", "{urn:xmpp:fulltext:0}fulltext"]);
  const account = await features(alice, "alice@localhost");
  for (const f of [NS_MAM, `${NS_MAM}#extended`, "urn:xmpp:fulltext:0", "urn:xmpp:sid:0"]) t.true(account.includes(f), f);
});
