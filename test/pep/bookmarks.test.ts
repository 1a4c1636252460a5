/**
 * XEP-0402 bookmarks with #compat against a live server: a bookmark published by one device reaches the
 * account's other device and XEP-0048 clients reading private storage (XEP-0049); a XEP-0048 client's list
 * becomes PEP items (changed ones notified, unchanged not, removed ones retracted); bookmarks stay private;
 * old private-storage bookmarks move to PEP when the account connects.
 */
import test from "ava";
import type { Element } from "ltx";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { errorOf, mutual, PepClient } from "./pep-client.js";

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer();
  for (const u of ["romeo", "juliet", "mercutio", "tybalt"]) await srv.addUser(`${u}@localhost`, "pw");
});
test.after.always(async () => {
  PepClient.destroyAll();
  await srv?.stop();
});

const NS = "urn:xmpp:bookmarks:1";
const PRIVATE = "jabber:iq:private";
const OPTIONS = { "pubsub#persist_items": "true", "pubsub#max_items": "max", "pubsub#send_last_published_item": "never", "pubsub#access_model": "whitelist" };
const privateGet = async (c: PepClient): Promise<Element> => {
  const r = await c.iq(`<iq type='get'><query xmlns='${PRIVATE}'><storage xmlns='storage:bookmarks'/></query></iq>`);
  return r.getChild("query", PRIVATE)!.getChild("storage")!;
};
const privateSet = (c: PepClient, inner: string) => c.iq(`<iq type='set'><query xmlns='${PRIVATE}'><storage xmlns='storage:bookmarks'>${inner}</storage></query></iq>`);
const conferences = (storage: Element) => storage.getChildren("conference").map((c) => `${c.attrs.jid}|${c.attrs.name ?? ""}|${c.attrs.autojoin}|${c.getChildText("nick") ?? ""}`).sort();
const itemIds = async (c: PepClient) => (await c.items(NS)).getChild("pubsub")!.getChild("items")!.getChildren("item").map((i) => i.attrs.id).sort();

test("PEP bookmarks and XEP-0048 private storage are one list, both ways (XEP-0402 §5.3)", async (t) => {
  const modern = await PepClient.login(srv, "romeo", "modern", { notify: [NS] });
  const other = await PepClient.login(srv, "romeo", "tablet", { notify: [NS] });
  const legacy = await PepClient.login(srv, "romeo", "legacy");
  const info = await modern.iq("<iq type='get' to='romeo@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  t.truthy(info.getChild("query")!.getChildren("feature").find((f) => f.attrs.var === `${NS}#compat`));

  // XEP-0402 §3.3: add a bookmark with publish-options.
  const r = await modern.publish(NS, `<conference xmlns='${NS}' name='The Play' autojoin='true'><nick>JC</nick>` +
    "<extensions><state xmlns='urn:example:state' minimized='true'/></extensions></conference>", { id: "theplay@conference.localhost", options: OPTIONS });
  t.is(r.attrs.type, "result");
  await other.event("romeo@localhost", NS, (items) => items.getChild("item")?.attrs.id === "theplay@conference.localhost");
  t.deepEqual(conferences(await privateGet(legacy)), ["theplay@conference.localhost|The Play|true|JC"], "§5.3.1: the jid attribute from the item id");

  // The XEP-0048 client replaces the whole list: one unchanged, one new, plus a URL bookmark.
  other.discard(() => true);
  await other.sync();
  t.is((await privateSet(legacy,
    "<conference jid='theplay@conference.localhost' name='The Play' autojoin='true'><nick>JC</nick></conference>" +
    "<conference jid='orchard@conference.localhost' name='The Orchard' autojoin='false'><password>pw</password></conference>" +
    "<url name='Site' url='https://example.org/'/>")).attrs.type, "result");
  const added = await other.event("romeo@localhost", NS, (items) => items.getChild("item")?.attrs.id === "orchard@conference.localhost");
  t.is(added.getChild("event")!.getChild("items")!.getChild("item")!.getChild("conference", NS)!.getChildText("password"), "pw");
  t.deepEqual(await itemIds(modern), ["orchard@conference.localhost", "theplay@conference.localhost"]);
  await other.sync();
  t.deepEqual(other.events(NS).filter((m) => m.getChild("event")!.getChild("items")!.getChild("item")?.attrs.id === "theplay@conference.localhost"), [],
    "§5.3.2: no notification for the unchanged bookmark");
  const kept = await modern.pubsub("get", `<items node='${NS}'><item id='theplay@conference.localhost'/></items>`);
  t.truthy(kept.getChild("pubsub")!.getChild("items")!.getChild("item")!.getChild("conference", NS)!.getChild("extensions"), "extensions survive");

  // Removing one in the XEP-0048 list retracts it, notified (§5.3.2).
  t.is((await privateSet(legacy, "<conference jid='orchard@conference.localhost' name='The Orchard'><password>pw</password></conference><url name='Site' url='https://example.org/'/>")).attrs.type, "result");
  await other.event("romeo@localhost", NS, (items) => items.getChild("retract")?.attrs.id === "theplay@conference.localhost");
  const back = await privateGet(legacy);
  t.deepEqual(conferences(back), ["orchard@conference.localhost|The Orchard|false|"]);
  t.is(back.getChild("url")?.attrs.url, "https://example.org/", "URL bookmarks are kept for XEP-0048 clients");

  // And the other way: a retraction through PEP leaves the XEP-0048 view empty.
  t.is((await modern.pubsub("set", `<retract node='${NS}' notify='true'><item id='orchard@conference.localhost'/></retract>`)).attrs.type, "result");
  t.deepEqual(conferences(await privateGet(legacy)), []);
  await Promise.all([modern.close(), other.close(), legacy.close()]);
});

test("bookmarks stay private: a contact cannot read them; a node left open by a client is not written into", async (t) => {
  const juliet = await PepClient.login(srv, "juliet", "a");
  const mercutio = await PepClient.login(srv, "mercutio", "a", { notify: [NS] });
  await mutual(juliet, mercutio);
  t.is((await privateSet(juliet, "<conference jid='balcony@conference.localhost' autojoin='1'/>")).attrs.type, "result");
  t.deepEqual(errorOf(await mercutio.items(NS, "juliet@localhost")), ["not-allowed", "closed-node"]);
  await mercutio.sync();
  t.deepEqual(mercutio.events(NS), []);
  // A careless client reconfigures the node to presence access: the server will not write bookmarks there.
  const form = "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>" +
    "<field var='pubsub#access_model'><value>presence</value></field></x>";
  t.is((await juliet.owner("set", `<configure node='${NS}'>${form}</configure>`)).attrs.type, "result");
  t.deepEqual(errorOf(await privateSet(juliet, "<conference jid='tomb@conference.localhost'/>")), ["conflict", "precondition-not-met"]);
  await Promise.all([juliet.close(), mercutio.close()]);
});

test("bookmarks left in private storage from before move to PEP when the account connects", async (t) => {
  await srv.server.storage.map("private/xml").set("tybalt@localhost", "storage:bookmarks",
    ["<storage xmlns='storage:bookmarks'><conference jid='square@conference.localhost' name='Town square' autojoin='true'><nick>Tyb</nick></conference></storage>"]);
  const c = await PepClient.login(srv, "tybalt", "b");
  // The move runs in the account's bookmarks queue, before any private-storage request of it.
  t.deepEqual(conferences(await privateGet(c)), ["square@conference.localhost|Town square|true|Tyb"]);
  t.deepEqual(await itemIds(c), ["square@conference.localhost"]);
  t.is(await srv.server.storage.map("private/xml").get("tybalt@localhost", "storage:bookmarks"), undefined, "moved, not copied");
  await c.close();
});
