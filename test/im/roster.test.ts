/**
 * RFC 6121 §2 against a live server: roster get/set/remove, pushes to interested resources only, the §2.3.3
 * error cases, access by other accounts, forged roster pushes, roster versioning (§2.6) across reconnections,
 * and the roster size limit.
 */
import test from "ava";
import { RawClient } from "../helpers/raw-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { MAX_ROSTER_ITEMS } from "../../src/im/subscriptions.js";
import { ImClient, isPushFor, NS_ROSTER } from "./im-client.js";

let srv: TestServer;
const USERS = ["alice", "bob", "carol", "vera", "max"];

test.before(async () => {
  srv = await startTestServer();
  for (const u of USERS) await srv.addUser(`${u}@localhost`, "pw");
});

test.after.always(async () => {
  ImClient.destroyAll();
  await srv?.stop();
});

const errorCondition = (iq: { getChild(n: string): any }) => iq.getChild("error")?.getChildElements()[0]?.name;

test.serial("the roster versioning and pre-approval stream features are offered after authentication (§2.6.1, §3.4)", async (t) => {
  const raw = await RawClient.connect(srv.ports.plain);
  const pre = await raw.open();
  t.falsy(pre.getChild("ver", "urn:xmpp:features:rosterver"));
  raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from("\0alice\0pw").toString("base64")}</auth>`);
  t.is((await raw.next())?.name, "success");
  raw.resetParser();
  const post = await raw.open();
  t.truthy(post.getChild("ver", "urn:xmpp:features:rosterver"));
  t.truthy(post.getChild("sub", "urn:xmpp:features:pre-approval"));
  raw.destroy();
});

test.serial("roster get, add, update and remove, with pushes to every interested resource and to no other (§2.1-§2.5)", async (t) => {
  const a1 = await ImClient.login(srv, "alice", "one");
  const a2 = await ImClient.login(srv, "alice", "two");
  const a3 = await ImClient.login(srv, "alice", "three", { roster: false });

  const empty = await a1.roster();
  t.truthy(empty, "an empty roster is an empty <query/>, not an error (§2.1.4)");
  t.is(empty!.getChildren("item").length, 0);
  t.is(typeof empty!.attrs.ver, "string");

  // §2.3: add
  const added = await a1.rosterSet("<item jid='nurse@example.com' name='Nurse'><group>Servants</group></item>");
  t.is(added.attrs.type, "result");
  for (const c of [a1, a2]) {
    const push = await c.push("nurse@example.com");
    t.is(push.attrs.from, undefined, "a push comes from the account itself (§2.1.6)");
    t.is(push.attrs.to, c.jid);
    const item = push.getChild("query", NS_ROSTER)!.getChild("item")!;
    t.is(item.attrs.name, "Nurse");
    t.is(item.attrs.subscription, "none");
    t.deepEqual(item.getChildren("group").map((g) => g.getText()), ["Servants"]);
    t.truthy(push.getChild("query", NS_ROSTER)!.attrs.ver, "pushes carry the new version (§2.6.3)");
  }

  // §2.4: update (the item as given: the name goes, the groups change)
  t.is((await a2.rosterSet("<item jid='nurse@example.com'><group>Friends</group><group>Lovers</group></item>")).attrs.type, "result");
  const updated = (await a1.push("nurse@example.com")).getChild("query", NS_ROSTER)!.getChild("item")!;
  t.is(updated.attrs.name, undefined);
  t.deepEqual(updated.getChildren("group").map((g) => g.getText()), ["Friends", "Lovers"]);
  await a2.push("nurse@example.com");

  const items = await a1.items();
  t.deepEqual([...items.keys()], ["nurse@example.com"]);

  // §2.5: remove
  t.is((await a1.rosterSet("<item jid='nurse@example.com' subscription='remove'/>")).attrs.type, "result");
  for (const c of [a1, a2]) t.is((await c.push("nurse@example.com")).getChild("query", NS_ROSTER)!.getChild("item")!.attrs.subscription, "remove");
  t.is((await a1.items()).size, 0);
  const missing = await a1.rosterSet("<item jid='nurse@example.com' subscription='remove'/>");
  t.is(errorCondition(missing), "item-not-found", "§2.5.3");

  // The resource that never asked for the roster got no push (§2.2): its own roster get is the barrier.
  await a3.sync();
  t.deepEqual(a3.received(isPushFor("nurse@example.com")), []);
  await Promise.all([a1.close(), a2.close(), a3.close()]);
});

test.serial("roster set errors of §2.3.3 leave the roster unchanged", async (t) => {
  const a = await ImClient.login(srv, "alice", "errors");
  const cases: [string, string, string][] = [
    ["two items", "<item jid='a@example.com'/><item jid='b@example.com'/>", "bad-request"],
    ["no item", "", "bad-request"],
    ["duplicate groups", "<item jid='a@example.com'><group>G</group><group>G</group></item>", "bad-request"],
    ["an empty group", "<item jid='a@example.com'><group></group></item>", "not-acceptable"],
    ["an oversized name", `<item jid='a@example.com' name='${"n".repeat(2000)}'/>`, "not-acceptable"],
    ["an oversized group", `<item jid='a@example.com'><group>${"g".repeat(2000)}</group></item>`, "not-acceptable"],
    ["the user's own JID", "<item jid='alice@localhost'/>", "not-allowed"],
    ["a malformed JID", "<item jid='a@b@c'/>", "jid-malformed"],
    ["a full JID", "<item jid='a@example.com/res'/>", "bad-request"],
  ];
  for (const [what, item, condition] of cases) {
    const r = await a.iq(`<iq type='set'><query xmlns='${NS_ROSTER}'>${item}</query></iq>`);
    t.is(r.attrs.type, "error", what);
    t.is(errorCondition(r), condition, what);
  }
  // A roster get with an item in it (§2.1.3).
  const badGet = await a.iq(`<iq type='get'><query xmlns='${NS_ROSTER}'><item jid='a@example.com'/></query></iq>`);
  t.is(errorCondition(badGet), "bad-request");
  t.is((await a.items()).size, 0);
  await a.sync();
  t.deepEqual(a.received(isPushFor("a@example.com")), []);
  await a.close();
});

test.serial("only the account itself reads or changes its roster; pushes from clients are refused (§2.1.5, §2.1.6)", async (t) => {
  const alice = await ImClient.login(srv, "alice", "home");
  const bob = await ImClient.login(srv, "bob", "home");

  const set = await alice.iq(`<iq type='set' to='bob@localhost'><query xmlns='${NS_ROSTER}'><item jid='evil@example.com'/></query></iq>`);
  t.is(errorCondition(set), "forbidden");
  const get = await alice.iq(`<iq type='get' to='bob@localhost'><query xmlns='${NS_ROSTER}'/></iq>`);
  t.is(errorCondition(get), "forbidden");

  // A "roster push" from a client to another account's resource, and to the user's own other resource.
  const forged = await alice.iq(`<iq type='set' to='${bob.jid}'><query xmlns='${NS_ROSTER}'><item jid='evil@example.com' subscription='both'/></query></iq>`);
  t.is(errorCondition(forged), "service-unavailable");
  const alice2 = await ImClient.login(srv, "alice", "other");
  const forgedOwn = await alice.iq(`<iq type='set' to='${alice2.jid}'><query xmlns='${NS_ROSTER}'><item jid='evil@example.com'/></query></iq>`);
  t.is(errorCondition(forgedOwn), "service-unavailable");

  await Promise.all([bob.sync(), alice2.sync()]);
  t.deepEqual(bob.received(isPushFor("evil@example.com")), [], "the forged push never reached bob");
  t.deepEqual(alice2.received(isPushFor("evil@example.com")), []);
  t.false((await bob.items()).has("evil@example.com"));
  await Promise.all([alice.close(), bob.close(), alice2.close()]);
});

test.serial("roster versioning: a client reconnecting with its version gets only the changes, as interim pushes (§2.6)", async (t) => {
  const c1 = await ImClient.login(srv, "carol", "laptop");
  for (const j of ["x1@example.com", "x2@example.com", "x3@example.com", "x4@example.com"]) {
    await c1.rosterSet(`<item jid='${j}'/>`);
    await c1.push(j);
  }
  const first = await c1.roster("");
  t.truthy(first, "ver='' bootstraps versioning with the full roster (§2.6.2)");
  t.is(first!.getChildren("item").length, 4);
  const cached = first!.attrs.ver as string;
  t.truthy(cached);
  await c1.close();

  // Meanwhile, another resource changes the roster: one update, one removal, one addition.
  const c2 = await ImClient.login(srv, "carol", "phone");
  await c2.rosterSet("<item jid='x2@example.com' name='Two'/>");
  await c2.rosterSet("<item jid='x3@example.com' subscription='remove'/>");
  await c2.rosterSet("<item jid='x5@example.com'/>");
  await c2.push("x5@example.com");
  await c2.close();

  const back = await ImClient.login(srv, "carol", "laptop", { roster: false });
  const r = await back.roster(cached);
  t.is(r, null, "an empty IQ result: the changes follow as pushes");
  const pushes = [await back.push("x2@example.com"), await back.push("x3@example.com"), await back.push("x5@example.com")];
  const items = pushes.map((p) => p.getChild("query", NS_ROSTER)!.getChild("item")!);
  t.is(items[0]!.attrs.name, "Two");
  t.is(items[1]!.attrs.subscription, "remove");
  t.is(items[2]!.attrs.subscription, "none");
  const versions = pushes.map((p) => p.getChild("query", NS_ROSTER)!.attrs.ver as string);
  t.is(new Set(versions).size, 3, "each push has its own version");
  // Pushes arrive in order of modification: the inbox order is the order they were written.
  const latest = versions[2]!;

  // Up to date: an empty result and nothing else.
  t.is(await back.roster(latest), null);
  await back.sync();
  t.deepEqual(back.received((el) => el.name === "iq" && el.attrs.type === "set"), []);

  // A version the server cannot place gets the complete roster.
  const unknown = await back.roster("zzz-999");
  t.deepEqual(unknown!.getChildren("item").map((i) => i.attrs.jid).sort(), ["x1@example.com", "x2@example.com", "x4@example.com", "x5@example.com"]);
  t.is(unknown!.attrs.ver, latest);
  // Without 'ver', the full roster (with the version, §2.6.3 "SHOULD include the 'ver' attribute").
  t.is((await back.roster())!.attrs.ver, latest);
  await back.close();
});

test.serial(`a roster holds at most ${MAX_ROSTER_ITEMS} items: the next is refused with not-allowed, nothing is corrupted`, async (t) => {
  const max = await ImClient.login(srv, "max", "bulk", { roster: false, presence: false });
  // Pipelined: the server processes them in order; no pushes, since this resource never asked for the roster.
  const ids: string[] = [];
  let batch = "";
  for (let i = 0; i < MAX_ROSTER_ITEMS; i++) {
    ids.push(`bulk${i}`);
    batch += `<iq type='set' id='bulk${i}'><query xmlns='${NS_ROSTER}'><item jid='c${i}@example.com' name='Contact ${i}'><group>Bulk</group></item></query></iq>`;
  }
  max.send(batch);
  const results = await Promise.all(ids.map((id) => max.expect((el) => el.name === "iq" && el.attrs.id === id, id, 60_000)));
  t.true(results.every((r) => r.attrs.type === "result"));

  const over = await max.rosterSet("<item jid='one-too-many@example.com'/>");
  t.is(over.attrs.type, "error");
  t.is(errorCondition(over), "not-allowed");
  t.regex(over.getChild("error")!.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas") ?? "", /full/);

  // Updating an existing item is still allowed at the limit.
  t.is((await max.rosterSet("<item jid='c7@example.com' name='Seven'/>")).attrs.type, "result");
  const items = await max.items();
  t.is(items.size, MAX_ROSTER_ITEMS);
  t.false(items.has("one-too-many@example.com"));
  t.is(items.get("c7@example.com")!.attrs.name, "Seven");
  t.is(items.get("c999@example.com")!.attrs.name, "Contact 999");

  // Room again after a removal.
  t.is((await max.rosterSet("<item jid='c0@example.com' subscription='remove'/>")).attrs.type, "result");
  t.is((await max.rosterSet("<item jid='one-too-many@example.com'/>")).attrs.type, "result");
  t.is((await max.items()).size, MAX_ROSTER_ITEMS);
  await max.close();
});
