/**
 * XEP-0163 PEP on a live server: notifications to the account's other resources and to contacts that asked for
 * a node in their caps, the last item on login, publish-options and their preconditions, access models (presence,
 * open, whitelist per XEP-0223), limits, retraction and deletion notifications, discovery, and removal with
 * the account.
 */
import test from "ava";
import type { Element } from "ltx";
import { jid as jidOf } from "../../src/jid.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { errorOf, firstPayload, mutual, NS_PUBSUB, PepClient } from "./pep-client.js";

let srv: TestServer;

test.before(async () => {
  srv = await startTestServer();
  for (const u of ["ann", "bob", "cid", "dee", "eve", "fin", "gil", "hal", "ivy", "jay", "kay", "lee", "max", "ned", "oli", "pat", "quin", "rex", "sam"]) await srv.addUser(`${u}@localhost`, "pw");
});

test.after.always(async () => {
  PepClient.destroyAll();
  await srv?.stop();
});

const NICK = "http://jabber.org/protocol/nick";
const nick = (n: string) => `<nick xmlns='${NICK}'>${n}</nick>`;
const nickOf = (items: Element | undefined) => firstPayload(items)?.getText();

test("a nickname reaches the account's other resource and a contact that asked for it, not one that did not (§4.2-§4.3)", async (t) => {
  const ann = await PepClient.login(srv, "ann", "phone", { notify: [NICK] });
  const ann2 = await PepClient.login(srv, "ann", "laptop", { notify: [NICK] });
  const bob = await PepClient.login(srv, "bob", "home", { notify: [NICK] });
  const cid = await PepClient.login(srv, "cid", "home", { notify: [] });
  await mutual(ann, bob);
  await mutual(ann, cid);
  await Promise.all([ann.sync(), bob.sync(), cid.sync()]);

  const r = await ann.publish(NICK, nick("Annie"));
  t.is(r.attrs.type, "result");
  const id = r.getChild("pubsub", NS_PUBSUB)?.getChild("publish")?.getChild("item")?.attrs.id;
  t.truthy(id, "the generated item id is in the result (XEP-0060 §7.1.2)");

  for (const c of [ann, ann2, bob]) {
    const m = await c.event("ann@localhost", NICK, (items) => nickOf(items) === "Annie");
    t.is(m.attrs.type, "headline");
    t.is(m.attrs.to, c.jid, "to the full JID of the interested resource (§4.3.1 rule 4)");
  }
  const toBob = bob.events(NICK);
  t.deepEqual(toBob, [], "one notification per resource");
  await cid.sync();
  t.deepEqual(cid.events(NICK), [], "no +notify, no notification (filtered notifications)");

  // Items retrieval: the contact may (presence access), a stranger may not.
  const items = await cid.items(NICK, "ann@localhost");
  t.is(nickOf(items.getChild("pubsub")?.getChild("items")), "Annie");
  const dee = await PepClient.login(srv, "dee", "x");
  t.deepEqual(errorOf(await dee.items(NICK, "ann@localhost")), ["not-authorized", "presence-subscription-required"]);
  await Promise.all([ann.close(), ann2.close(), bob.close(), cid.close(), dee.close()]);
});

test("the last item reaches a contact's resource when it comes online, stamped with its time (§4.3.3-§4.3.4)", async (t) => {
  // Caps of their own (no other test's clients advertise this set), to count the questions about them.
  const notify = [NICK, "urn:test:last-item"];
  const eve = await PepClient.login(srv, "eve", "a", { notify });
  const fin = await PepClient.login(srv, "fin", "a", { notify });
  await mutual(eve, fin);
  t.is((await eve.publish(NICK, nick("Evie"))).attrs.type, "result");
  await fin.event("eve@localhost", NICK);
  await fin.close();

  // fin's new resource: its initial presence reaches eve's service, which answers with the last item.
  const fin2 = await PepClient.login(srv, "fin", "b", { notify });
  const last = await fin2.event("eve@localhost", NICK, (items) => nickOf(items) === "Evie");
  t.truthy(last.getChild("delay", "urn:xmpp:delay")?.attrs.stamp, "a delayed-delivery stamp");
  // A presence update is not initial presence: no second copy (§4.3.3 note).
  fin2.send(fin2.presenceXml("<status>busy</status>"));
  await eve.presence(undefined, fin2.jid);
  await fin2.sync();
  await eve.sync();
  t.deepEqual(fin2.events(NICK), []);
  // The account's own new resource gets it too (§4.3.4 "including the account owner itself").
  const eve2 = await PepClient.login(srv, "eve", "b", { notify });
  await eve2.event("eve@localhost", NICK, (items) => nickOf(items) === "Evie");
  // One question about these caps: every other client advertising the same ver was served from the cache.
  t.is(eve.discoQuestions + eve2.discoQuestions + fin.discoQuestions + fin2.discoQuestions, 1);
  await Promise.all([eve.close(), eve2.close(), fin2.close()]);
});

test("publishing to another account's node is forbidden; items over the size limit are refused (XEP-0060 §7.1.3)", async (t) => {
  const gil = await PepClient.login(srv, "gil", "a");
  const hal = await PepClient.login(srv, "hal", "a");
  await mutual(gil, hal);
  t.is((await gil.publish(NICK, nick("Gil"))).attrs.type, "result");
  t.deepEqual(errorOf(await hal.publish(NICK, nick("not Gil"), { to: "gil@localhost" })), ["forbidden", undefined]);
  t.deepEqual(errorOf(await hal.publish("brand-new", nick("x"), { to: "gil@localhost" })), ["forbidden", undefined], "no auto-create for others either");
  t.deepEqual(errorOf(await hal.owner("set", "<delete node='http://jabber.org/protocol/nick'/>", "gil@localhost")), ["forbidden", undefined]);
  t.deepEqual(errorOf(await hal.pubsub("set", `<retract node='${NICK}'><item id='x'/></retract>`, "gil@localhost")), ["forbidden", undefined]);
  const big = "A".repeat(140 * 1024);
  t.deepEqual(errorOf(await gil.publish("urn:xmpp:avatar:data", `<data xmlns='urn:xmpp:avatar:data'>${big}</data>`)), ["not-acceptable", "payload-too-big"]);
  // An avatar-sized item (96 KiB of Base64) is fine.
  t.is((await gil.publish("urn:xmpp:avatar:data", `<data xmlns='urn:xmpp:avatar:data'>${"A".repeat(96 * 1024)}</data>`, { id: "abc" })).attrs.type, "result");
  t.deepEqual(errorOf(await gil.pubsub("set", `<publish node='${NICK}'><item>${nick("a")}${nick("b")}</item></publish>`)), ["bad-request", "invalid-payload"]);
  t.deepEqual(errorOf(await gil.pubsub("set", `<publish node='${NICK}'/>`)), ["bad-request", "item-required"]);
  await Promise.all([gil.close(), hal.close()]);
});

const DEVICELIST = "eu.siacs.conversations.axolotl.devicelist";
const BUNDLES2 = "urn:xmpp:omemo:2:bundles";
const OPEN = { "pubsub#access_model": "open" };

test("OMEMO: device list and bundles published with publish-options, fetched by a contact and by anyone (open access)", async (t) => {
  const ivy = await PepClient.login(srv, "ivy", "phone", { notify: [DEVICELIST] });
  const jay = await PepClient.login(srv, "jay", "pc", { notify: [DEVICELIST] });
  await mutual(ivy, jay);
  await jay.sync();
  const list = "<list xmlns='eu.siacs.conversations.axolotl'><device id='1111'/><device id='2222'/></list>";
  t.is((await ivy.publish(DEVICELIST, list, { id: "current", options: OPEN })).attrs.type, "result");
  const seen = await jay.event("ivy@localhost", DEVICELIST);
  t.is(firstPayload(seen.getChild("event")!.getChild("items"))?.getChildren("device").length, 2);
  t.truthy(seen.getChild("addresses", "http://jabber.org/protocol/address")?.getChild("address")?.attrs.jid === ivy.jid,
    "the publishing resource as replyto, for a presence subscriber (§4.3.1 rule 3)");

  // Legacy bundle nodes, one per device, and the OMEMO 2 bundles node with one item per device (max_items max).
  const bundle = (id: string) => `<bundle xmlns='eu.siacs.conversations.axolotl'><signedPreKeyPublic signedPreKeyId='1'>${id}</signedPreKeyPublic></bundle>`;
  for (const id of ["1111", "2222"]) {
    t.is((await ivy.publish(`eu.siacs.conversations.axolotl.bundles:${id}`, bundle(id), { id: "current", options: OPEN })).attrs.type, "result");
    t.is((await ivy.publish(BUNDLES2, `<bundle xmlns='urn:xmpp:omemo:2'><spk id='1'>${id}</spk></bundle>`, { id, options: { ...OPEN, "pubsub#max_items": "max" } })).attrs.type, "result");
  }
  const fetched = await jay.items("eu.siacs.conversations.axolotl.bundles:2222", "ivy@localhost");
  t.is(firstPayload(fetched.getChild("pubsub")?.getChild("items"))?.getChildText("signedPreKeyPublic"), "2222");
  const both = await jay.items(BUNDLES2, "ivy@localhost");
  t.deepEqual(both.getChild("pubsub")!.getChild("items")!.getChildren("item").map((i) => i.attrs.id), ["1111", "2222"], "several items kept");
  const one = await jay.items(BUNDLES2, "ivy@localhost", " max_items='1'");
  t.deepEqual(one.getChild("pubsub")!.getChild("items")!.getChildren("item").map((i) => i.attrs.id), ["2222"], "max_items: the most recent");
  const byId = await jay.pubsub("get", `<items node='${BUNDLES2}'><item id='1111'/></items>`, "ivy@localhost");
  t.deepEqual(byId.getChild("pubsub")!.getChild("items")!.getChildren("item").map((i) => i.attrs.id), ["1111"]);

  // A stranger (a MUC participant, say) can fetch open nodes without any subscription.
  const stranger = await PepClient.login(srv, "dee", "omemo");
  t.is((await stranger.items(DEVICELIST, "ivy@localhost")).attrs.type, "result");

  // The same options again meet the preconditions; different ones do not (XEP-0060 §7.1.5).
  t.is((await ivy.publish(DEVICELIST, list, { id: "current", options: OPEN })).attrs.type, "result");
  t.deepEqual(errorOf(await ivy.publish(DEVICELIST, list, { id: "current", options: { "pubsub#access_model": "presence" } })), ["conflict", "precondition-not-met"]);
  t.deepEqual(errorOf(await ivy.publish(DEVICELIST, list, { options: { "pubsub#no_such_option": "1" } })), ["bad-request", undefined], "unknown options are refused");
  // The node's configuration, as its owner sees it.
  const config = await ivy.owner("get", `<configure node='${DEVICELIST}'/>`);
  const field = (v: string) => config.getChild("pubsub")!.getChild("configure")!.getChild("x")!.getChildren("field").find((f) => f.attrs.var === v)?.getChildText("value");
  t.is(field("pubsub#access_model"), "open");
  t.is(field("pubsub#send_last_published_item"), "on_sub_and_presence");
  await Promise.all([ivy.close(), jay.close(), stranger.close()]);
});

test("XEP-0223 private node: whitelist access keeps contacts out; the owner's other resource is notified", async (t) => {
  const ann = await PepClient.login(srv, "kay", "p1", { notify: ["urn:test:private"] });
  const ann2 = await PepClient.login(srv, "kay", "p2", { notify: ["urn:test:private"] });
  const bob = await PepClient.login(srv, "lee", "p", { notify: ["urn:test:private"] });
  await mutual(ann, bob);
  await Promise.all([ann.sync(), ann2.sync(), bob.sync()]);
  const privateOptions = { "pubsub#persist_items": "true", "pubsub#access_model": "whitelist" };
  t.is((await ann.publish("urn:test:private", "<secret xmlns='urn:test:private'>42</secret>", { id: "s", options: privateOptions })).attrs.type, "result");
  await ann2.event("kay@localhost", "urn:test:private");
  t.deepEqual(errorOf(await bob.items("urn:test:private", "kay@localhost")), ["not-allowed", "closed-node"]);
  // A member of the whitelist may read it (XEP-0060 §8.9 affiliations); an outcast may not.
  t.is((await ann.owner("set", `<affiliations node='urn:test:private'><affiliation jid='lee@localhost' affiliation='member'/></affiliations>`)).attrs.type, "result");
  t.is((await bob.items("urn:test:private", "kay@localhost")).attrs.type, "result");
  const affs = await ann.owner("get", `<affiliations node='urn:test:private'/>`);
  t.deepEqual(affs.getChild("pubsub")!.getChild("affiliations")!.getChildren("affiliation").map((a) => `${a.attrs.jid}=${a.attrs.affiliation}`).sort(),
    ["kay@localhost=owner", "lee@localhost=member"]);
  t.is((await ann.owner("set", `<affiliations node='urn:test:private'><affiliation jid='lee@localhost' affiliation='outcast'/></affiliations>`)).attrs.type, "result");
  t.deepEqual(errorOf(await bob.items("urn:test:private", "kay@localhost")), ["forbidden", undefined]);
  t.deepEqual(errorOf(await ann.owner("set", `<affiliations node='urn:test:private'><affiliation jid='lee@localhost' affiliation='publisher'/></affiliations>`)), ["feature-not-implemented", "unsupported"], "one publisher per node");
  await bob.sync();
  t.deepEqual(bob.events("urn:test:private"), [], "never notified");
  await Promise.all([ann.close(), ann2.close(), bob.close()]);
});

test("retraction, purge and deletion are notified; max_items keeps the newest items (XEP-0060 §7.2, §8.4-§8.5, §7.1.2)", async (t) => {
  const node = "urn:test:feed";
  const cid = await PepClient.login(srv, "max", "r", { notify: [node] });
  const ann = await PepClient.login(srv, "ned", "r", { notify: [node] });
  await mutual(ann, cid);
  const create = await ann.pubsub("set", `<create node='${node}'/><configure><x xmlns='jabber:x:data' type='submit'>` +
    "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>" +
    "<field var='pubsub#max_items'><value>2</value></field></x></configure>");
  t.is(create.attrs.type, "result");
  t.deepEqual(errorOf(await ann.pubsub("set", `<create node='${node}'/>`)), ["conflict", undefined]);
  for (const id of ["one", "two", "three"]) t.is((await ann.publish(node, `<entry xmlns='urn:test:feed'>${id}</entry>`, { id })).attrs.type, "result");
  // The third publication pushed out the first: retracted, with a notification (pubsub#notify_retract).
  await cid.event("ned@localhost", node, (items) => items.getChild("retract")?.attrs.id === "one");
  const left = await cid.items(node, "ned@localhost");
  t.deepEqual(left.getChild("pubsub")!.getChild("items")!.getChildren("item").map((i) => i.attrs.id), ["two", "three"]);

  t.is((await ann.pubsub("set", `<retract node='${node}' notify='true'><item id='two'/></retract>`)).attrs.type, "result");
  await cid.event("ned@localhost", node, (items) => items.getChild("retract")?.attrs.id === "two");
  t.deepEqual(errorOf(await ann.pubsub("set", `<retract node='${node}'><item id='two'/></retract>`)), ["item-not-found", undefined]);

  t.is((await ann.owner("set", `<purge node='${node}'/>`)).attrs.type, "result");
  await cid.expect((el) => el.getChild("event")?.getChild("purge")?.attrs.node === node, "the purge notification");
  t.is((await ann.owner("set", `<delete node='${node}'/>`)).attrs.type, "result");
  await cid.expect((el) => el.getChild("event")?.getChild("delete")?.attrs.node === node, "the delete notification");
  t.deepEqual(errorOf(await cid.items(node, "ned@localhost")), ["item-not-found", undefined]);
  await Promise.all([ann.close(), cid.close()]);
});

const DISCO_INFO = "http://jabber.org/protocol/disco#info";
const DISCO_ITEMS = "http://jabber.org/protocol/disco#items";

test("discovery: pubsub/pep on the account and the server, nodes listed as access allows (§6); an explicit subscription", async (t) => {
  const oli = await PepClient.login(srv, "oli", "a");
  const pat = await PepClient.login(srv, "pat", "a");
  await mutual(oli, pat);
  await oli.publish(NICK, nick("Oli"));
  await oli.publish("urn:test:secret", "<s xmlns='urn:test:secret'/>", { options: { "pubsub#access_model": "whitelist" } });

  const info = await oli.iq(`<iq type='get' to='oli@localhost'><query xmlns='${DISCO_INFO}'/></iq>`);
  const q = info.getChild("query", DISCO_INFO)!;
  t.truthy(q.getChildren("identity").find((i) => i.attrs.category === "pubsub" && i.attrs.type === "pep"));
  const features = q.getChildren("feature").map((f) => f.attrs.var);
  for (const f of ["publish-options", "auto-create", "filtered-notifications", "last-published", "access-presence", "persistent-items"]) {
    t.true(features.includes(`http://jabber.org/protocol/pubsub#${f}`), f);
  }
  const server = await oli.iq(`<iq type='get' to='localhost'><query xmlns='${DISCO_INFO}'/></iq>`);
  t.truthy(server.getChild("query")!.getChildren("identity").find((i) => i.attrs.category === "pubsub" && i.attrs.type === "pep"), "XEP-0223 §5");

  const nodesFor = async (c: PepClient) => (await c.iq(`<iq type='get' to='oli@localhost'><query xmlns='${DISCO_ITEMS}'/></iq>`))
    .getChild("query")!.getChildren("item").map((i) => i.attrs.node).sort();
  t.deepEqual(await nodesFor(oli), [NICK, "urn:test:secret"]);
  t.deepEqual(await nodesFor(pat), [NICK], "the whitelist node is not the contact's to see");
  const nodeInfo = await pat.iq(`<iq type='get' to='oli@localhost'><query xmlns='${DISCO_INFO}' node='${NICK}'/></iq>`);
  t.truthy(nodeInfo.getChild("query")!.getChildren("identity").find((i) => i.attrs.type === "leaf"));
  const hidden = await pat.iq(`<iq type='get' to='oli@localhost'><query xmlns='${DISCO_INFO}' node='urn:test:secret'/></iq>`);
  t.is(errorOf(hidden)[0], "item-not-found");

  // An explicit subscription (XEP-0060 §6.1) of a bare JID with no interested resource: the bare JID is notified.
  const sub = await pat.pubsub("set", `<subscribe node='${NICK}' jid='pat@localhost'/>`, "oli@localhost");
  t.is(sub.getChild("pubsub")?.getChild("subscription")?.attrs.subscription, "subscribed");
  t.deepEqual(errorOf(await pat.pubsub("set", `<subscribe node='${NICK}' jid='oli@localhost'/>`, "oli@localhost")), ["bad-request", "invalid-jid"]);
  await pat.event("oli@localhost", NICK, (items) => nickOf(items) === "Oli", "the last item on subscription (§6.1.7)");
  await oli.publish(NICK, nick("Oliver"));
  await pat.event("oli@localhost", NICK, (items) => nickOf(items) === "Oliver");
  const mine = await pat.pubsub("get", "<subscriptions/>", "oli@localhost");
  t.deepEqual(mine.getChild("pubsub")!.getChild("subscriptions")!.getChildren("subscription").map((s) => s.attrs.node), [NICK]);
  t.is((await pat.pubsub("set", `<unsubscribe node='${NICK}' jid='pat@localhost'/>`, "oli@localhost")).attrs.type, "result");
  t.deepEqual(errorOf(await pat.pubsub("set", `<unsubscribe node='${NICK}' jid='pat@localhost'/>`, "oli@localhost")), ["unexpected-request", "not-subscribed"]);
  await Promise.all([oli.close(), pat.close()]);
});

test("deleting the account removes its nodes", async (t) => {
  const quin = await PepClient.login(srv, "quin", "a");
  await quin.publish(NICK, nick("Quin"));
  await quin.close();
  await srv.server.accounts.delete(jidOf("quin@localhost"));
  await srv.addUser("quin@localhost", "pw");
  const again = await PepClient.login(srv, "quin", "b");
  // Changes to one account's service run in order: once this publication is done, so is the removal.
  t.is((await again.publish("urn:test:barrier", "<b xmlns='urn:test:barrier'/>")).attrs.type, "result");
  t.deepEqual(errorOf(await again.items(NICK)), ["item-not-found", undefined]);
  await again.close();
});

test("a contact's client that starts asking for a node (new caps) gets its last item (§4.3.3)", async (t) => {
  const TUNE = "http://jabber.org/protocol/tune";
  const rex = await PepClient.login(srv, "rex", "a");
  const sam = await PepClient.login(srv, "sam", "a", { notify: [NICK] });
  await mutual(rex, sam);
  await rex.publish(TUNE, `<tune xmlns='${TUNE}'><title>Song</title></tune>`);
  await sam.sync();
  t.deepEqual(sam.events(TUNE), [], "not asked for yet");
  // The same resource, now with caps that ask for tunes too: the last tune comes (the nickname is not new).
  sam.want([NICK, TUNE]);
  sam.send(sam.presenceXml());
  const m = await sam.event("rex@localhost", TUNE);
  t.is(firstPayload(m.getChild("event")!.getChild("items"))?.getChildText("title"), "Song");
  await rex.sync();
  await sam.sync();
  t.deepEqual(sam.events(TUNE), [], "once");
  await Promise.all([rex.close(), sam.close()]);
});
