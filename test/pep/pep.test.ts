/**
 * XEP-0163 PEP on a live server: notifications to the account's other resources and to contacts that asked for
 * a node in their caps, the last item on login, publish-options and their preconditions, access models (presence,
 * open, whitelist per XEP-0223), limits, retraction and deletion notifications, discovery, and removal with
 * the account.
 */
import test from "ava";
import type { Element } from "ltx";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { errorOf, firstPayload, mutual, NS_PUBSUB, PepClient } from "./pep-client.js";

let srv: TestServer;

test.before(async () => {
  srv = await startTestServer();
  for (const u of ["ann", "bob", "cid", "dee", "eve", "fin", "gil", "hal", "ivy", "jay"]) await srv.addUser(`${u}@localhost`, "pw");
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
