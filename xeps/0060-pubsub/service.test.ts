import test from "ava";
import { xml } from "@xmpp/xml";
import { jid } from "../../src/jid.js";
import type { Json, MapStore } from "../../src/storage/types.js";
import { BASE_CONFIG, type NodeConfig } from "./config.js";
import { PubsubService, type PublishRequest } from "./service.js";
import { PubsubStore } from "./store.js";

/** A map store in memory, enough for the service's rules. */
function memoryMap(): MapStore {
  const data = new Map<string, Map<string, Json>>();
  const of = (owner: string) => { let m = data.get(owner); if (!m) data.set(owner, (m = new Map())); return m; };
  return {
    get: async (o, k) => data.get(o)?.get(k),
    set: async (o, k, v) => { of(o).set(k, JSON.parse(JSON.stringify(v))); },
    delete: async (o, k) => { data.get(o)?.delete(k); },
    all: async (o) => new Map([...(data.get(o) ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))),
    clear: async (o) => { data.delete(o); },
  };
}

const OWNER = jid("owner@x/phone");
const CONTACT = jid("friend@x/pc");
const defaults: NodeConfig = { ...BASE_CONFIG, access_model: "presence" };

function service(limits: Partial<{ maxNodes: number; maxItems: number }> = {}, friends = new Set(["friend@x"])) {
  const store = new PubsubStore(memoryMap(), memoryMap(), () => defaults);
  return new PubsubService(store, {
    defaults: () => ({ ...defaults }),
    mayCreate: (s, r) => r.bare === s,
    implicitAffiliation: (s, bare) => (bare === s ? "owner" : "none"),
    relation: async (_s, bare) => ({ presenceSubscribed: friends.has(bare), groups: [] }),
    ownersOnlyPublish: true,
    assignableAffiliations: ["member", "outcast"],
  }, { maxItemBytes: 1000, maxNodes: limits.maxNodes ?? 10, maxItems: limits.maxItems ?? 5, maxSubscriptions: 10 });
}

const pub = (node: string, id?: string, extra: Partial<PublishRequest> = {}): PublishRequest =>
  ({ node, item: { id, payload: xml("p", { xmlns: "urn:test" }, id ?? "x"), extra: 0 }, ...extra });
const S = "owner@x";

test("auto-create takes the preconditions as configuration; the next publication must meet them (XEP-0060 §7.1.5)", async (t) => {
  const svc = service();
  const first = await svc.publish(S, OWNER, pub("n", "1", { preconditions: { access_model: "open" } }));
  t.true(first.ok && first.created);
  t.is((await svc.node(S, "n"))?.config.access_model, "open");
  t.true((await svc.publish(S, OWNER, pub("n", "2", { preconditions: { access_model: "open" } }))).ok);
  const clash = await svc.publish(S, OWNER, pub("n", "3", { preconditions: { access_model: "whitelist" } }));
  t.false(clash.ok);
  if (!clash.ok) t.is(`${clash.error.condition} ${clash.error.appCondition?.name}`, "conflict precondition-not-met");
  // createWith configures only a node the publication creates.
  t.true((await svc.publish(S, OWNER, pub("n", "4", { createWith: { access_model: "whitelist" } }))).ok);
  t.is((await svc.node(S, "n"))?.config.access_model, "open");
});

test("limits: nodes per service, items per node", async (t) => {
  const svc = service({ maxNodes: 2, maxItems: 3 });
  t.true((await svc.publish(S, OWNER, pub("a"))).ok);
  t.true((await svc.publish(S, OWNER, pub("b"))).ok);
  const third = await svc.publish(S, OWNER, pub("c"));
  t.false(third.ok);
  if (!third.ok) t.is(third.error.condition, "policy-violation");
  // max_items "max" is the server's limit: the fourth item pushes out the first, with a retract event.
  t.true((await svc.configure(S, OWNER, "a", new Map([["pubsub#max_items", ["max"]]]))).ok);
  for (const id of ["1", "2", "3"]) await svc.publish(S, OWNER, pub("a", id));
  const fourth = await svc.publish(S, OWNER, pub("a", "4"));
  t.true(fourth.ok);
  if (fourth.ok) t.deepEqual(fourth.events.map((e) => (e.kind === "retract" ? `retract ${e.ids.join()}` : e.kind)), ["retract 1", "items"]);
  t.deepEqual((await svc.node(S, "a"))?.order, ["2", "3", "4"]);
});

test("node types: a transient node keeps only its last item; a notification-only transient node takes no item (§4.3)", async (t) => {
  const svc = service();
  await svc.create(S, OWNER, "t", { persist_items: false });
  for (const id of ["1", "2"]) t.true((await svc.publish(S, OWNER, pub("t", id))).ok);
  t.deepEqual((await svc.node(S, "t"))?.order, ["2"], "the last published item is kept for send_last_published_item");
  const purge = await svc.purge(S, OWNER, "t");
  t.false(purge.ok, "§8.5.3.3 purging a node that does not persist items");
  await svc.create(S, OWNER, "e", { persist_items: false, deliver_payloads: false });
  const withItem = await svc.publish(S, OWNER, pub("e", "1"));
  t.false(withItem.ok);
  if (!withItem.ok) t.is(withItem.error.appCondition?.name, "item-forbidden");
  const bare = await svc.publish(S, OWNER, { node: "e", item: null });
  t.true(bare.ok);
  if (bare.ok) t.deepEqual(bare.events.map((e) => e.kind), ["items"]);
});

test("owners only: others may neither publish nor retract nor configure; items are read per the access model", async (t) => {
  const svc = service();
  await svc.publish(S, OWNER, pub("n", "1"));
  for (const r of [await svc.publish(S, CONTACT, pub("n", "2")), await svc.retract(S, CONTACT, "n", "1", true), await svc.configure(S, CONTACT, "n", new Map())]) {
    t.false(r.ok);
    if (!r.ok) t.is(r.error.condition, "forbidden");
  }
  t.true((await svc.items(S, CONTACT, "n")).ok, "a presence subscriber reads a presence node");
  const stranger = await svc.items(S, jid("nobody@y/r"), "n");
  t.false(stranger.ok);
});

test("explicit subscriptions end when access is lost (XEP-0163 §7.1) or notifications bounce (XEP-0060 §12.4)", async (t) => {
  const friends = new Set(["friend@x"]);
  const svc = service({}, friends);
  await svc.publish(S, OWNER, pub("n", "1"));
  const sub = await svc.subscribe(S, CONTACT, "n", CONTACT.toBare());
  t.true(sub.ok && sub.isNew);
  const again = await svc.subscribe(S, CONTACT, "n", CONTACT.toBare());
  t.true(again.ok && !again.isNew, "no multi-subscribe: the existing subscription comes back (§6.1.6)");
  friends.delete("friend@x");
  await svc.revalidate(S, "friend@x");
  t.deepEqual((await svc.node(S, "n"))?.subscriptions, []);
  friends.add("friend@x");
  await svc.subscribe(S, CONTACT, "n", CONTACT);
  await svc.dropSubscriber(S, CONTACT.full);
  t.deepEqual((await svc.node(S, "n"))?.subscriptions, []);
});
