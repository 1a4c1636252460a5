/**
 * RFC 6121 §3 against a live server: the subscription handshake both ways, a request stored while the contact
 * is offline and delivered at each login until answered, denial, unsubscribe and cancellation, pre-approval,
 * removing a subscribed contact (§2.5.2), subscribing to oneself, and account deletion.
 */
import test from "ava";
import type { Element } from "ltx";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { jid } from "../../src/jid.js";
import { ImClient, isPresence, isPushFor, mutual, NS_ROSTER } from "./im-client.js";

let srv: TestServer;

test.before(async () => {
  srv = await startTestServer();
  for (const u of ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivan", "judy", "kate", "leo", "mia", "ned", "olga"]) {
    await srv.addUser(`${u}@localhost`, "pw");
  }
});

test.after.always(async () => {
  ImClient.destroyAll();
  await srv?.stop();
});

const pushed = (iq: Element) => iq.getChild("query", NS_ROSTER)!.getChild("item")!;

test("the handshake both ways: request, approval, presence, then mutual (§3.1)", async (t) => {
  const alice = await ImClient.login(srv, "alice", "home", { presence: "<presence><status>alice here</status></presence>" });
  const bob = await ImClient.login(srv, "bob", "home", { presence: "<presence><show>away</show></presence>" });

  // §3.1.1-§3.1.3: alice asks; bob's available resource gets the request, stamped with alice's bare JID.
  alice.send("<presence to='bob@localhost' type='subscribe' id='sub1'/>");
  const request = await bob.presence("subscribe", "alice@localhost");
  t.is(request.attrs.id, "sub1");
  t.is(request.attrs.to, "bob@localhost", "the 'to' is not rewritten (§8.5.2.1.2)");
  const ask = pushed(await alice.push("bob@localhost"));
  t.is(ask.attrs.subscription, "none");
  t.is(ask.attrs.ask, "subscribe");
  t.false((await bob.items()).has("alice@localhost"), "no roster item for alice before bob approves (§3.1.3)");

  // §3.1.5 / §3.1.6: bob approves.
  bob.send("<presence to='alice@localhost' type='subscribed'/>");
  t.is(pushed(await bob.push("alice@localhost")).attrs.subscription, "from");
  await alice.presence("subscribed", "bob@localhost");
  const to = pushed(await alice.push("bob@localhost"));
  t.is(to.attrs.subscription, "to");
  t.is(to.attrs.ask, undefined);
  const bobsPresence = await alice.presence(undefined, bob.jid, "bob's presence after the approval");
  t.is(bobsPresence.getChildText("show"), "away");

  // And the other way.
  bob.send("<presence to='alice@localhost' type='subscribe'/>");
  await alice.presence("subscribe", "bob@localhost");
  alice.send("<presence to='bob@localhost' type='subscribed'/>");
  t.is(pushed(await alice.push("bob@localhost", (i) => i.attrs.subscription === "both")).attrs.subscription, "both");
  t.is(pushed(await bob.push("alice@localhost", (i) => i.attrs.subscription === "both")).attrs.subscription, "both");
  t.is((await bob.presence(undefined, alice.jid)).getChildText("status"), "alice here");

  // Both now see each other's presence updates (§4.4).
  alice.send("<presence><status>busy</status></presence>");
  t.is((await bob.expect((el) => isPresence(undefined, alice.jid)(el) && el.getChildText("status") === "busy")).attrs.to, "bob@localhost");
  bob.send("<presence><show>dnd</show></presence>");
  await alice.expect((el) => isPresence(undefined, bob.jid)(el) && el.getChildText("show") === "dnd");

  const aliceItems = await alice.items();
  t.is(aliceItems.get("bob@localhost")!.attrs.subscription, "both");
  t.is((await bob.items()).get("alice@localhost")!.attrs.subscription, "both");
  await Promise.all([alice.close(), bob.close()]);
});

test("a request to an offline contact is stored and delivered at every login until answered (§3.1.3 rule 4)", async (t) => {
  const carol = await ImClient.login(srv, "carol", "home");
  carol.send("<presence to='dave@localhost' type='subscribe'><status>it is carol</status></presence>");
  carol.send("<presence to='dave@localhost' type='subscribe'><status>again</status></presence>");
  await carol.push("dave@localhost");

  const dave1 = await ImClient.login(srv, "dave", "one");
  const stored = await dave1.presence("subscribe", "carol@localhost");
  t.is(stored.getChildText("status"), "it is carol", "the complete stanza is kept: the first request");
  await dave1.sync();
  t.is(dave1.received(isPresence("subscribe", "carol@localhost")).length, 0, "only one request per contact");
  await dave1.close();

  // Not answered: delivered again at the next login.
  const dave2 = await ImClient.login(srv, "dave", "two");
  await dave2.presence("subscribe", "carol@localhost");
  dave2.send("<presence to='carol@localhost' type='subscribed'/>");
  await dave2.push("carol@localhost");
  await carol.presence("subscribed", "dave@localhost");
  await dave2.close();

  // Answered: no longer delivered.
  const dave3 = await ImClient.login(srv, "dave", "three");
  await dave3.sync();
  t.deepEqual(dave3.received(isPresence("subscribe")), []);
  t.is((await dave3.items()).get("carol@localhost")!.attrs.subscription, "from");
  await Promise.all([carol.close(), dave3.close()]);
});

test("denying a request: the requester's pending state ends (§3.2, A.2.4, A.3.4)", async (t) => {
  const erin = await ImClient.login(srv, "erin", "home");
  const frank = await ImClient.login(srv, "frank", "home");
  erin.send("<presence to='frank@localhost' type='subscribe'/>");
  await frank.presence("subscribe", "erin@localhost");
  await erin.push("frank@localhost");
  frank.send("<presence to='erin@localhost' type='unsubscribed'/>");
  await erin.presence("unsubscribed", "frank@localhost");
  const item = pushed(await erin.push("frank@localhost", (i) => i.attrs.ask === undefined));
  t.is(item.attrs.subscription, "none");
  await frank.sync();
  t.false((await frank.items()).has("erin@localhost"));
  t.deepEqual(frank.received(isPushFor("erin@localhost")), [], "denying creates no item on frank's side");
  // And the request is gone: frank's next presence session does not see it again.
  const frank2 = await ImClient.login(srv, "frank", "later");
  await frank2.sync();
  t.deepEqual(frank2.received(isPresence("subscribe")), []);
  await Promise.all([erin.close(), frank.close(), frank2.close()]);
});

test("unsubscribe, then cancelling the contact's subscription (§3.2, §3.3)", async (t) => {
  const gina = await ImClient.login(srv, "gina", "home");
  const hank = await ImClient.login(srv, "hank", "home");
  await mutual(gina, hank);

  // §3.3: gina unsubscribes from hank's presence.
  gina.send("<presence to='hank@localhost' type='unsubscribe'/>");
  t.is(pushed(await gina.push("hank@localhost", (i) => i.attrs.subscription !== "both")).attrs.subscription, "from");
  await hank.presence("unsubscribe", "gina@localhost");
  t.is(pushed(await hank.push("gina@localhost", (i) => i.attrs.subscription !== "both")).attrs.subscription, "to");
  // §3.3.3 step 3: hank's resource goes unavailable for gina.
  await gina.presence("unavailable", hank.jid);

  // §3.2: gina cancels hank's subscription to her: hank sees her go unavailable, then the cancellation.
  gina.send("<presence to='hank@localhost' type='unsubscribed'/>");
  const unavailable = await hank.presence("unavailable", gina.jid);
  const cancelled = await hank.presence("unsubscribed", "gina@localhost");
  t.true(hank.arrival(unavailable) < hank.arrival(cancelled), "unavailable first, while still subscribed (§3.2.2)");
  t.is(pushed(await hank.push("gina@localhost", (i) => i.attrs.subscription === "none")).attrs.subscription, "none");
  t.is(pushed(await gina.push("hank@localhost", (i) => i.attrs.subscription === "none")).attrs.subscription, "none");

  // No subscription left: gina's updates no longer reach hank.
  gina.send("<presence><status>secret</status></presence>");
  await gina.presence(undefined, gina.jid); // her own copy: the broadcast has been queued
  await gina.sync();
  await hank.sync();
  t.deepEqual(hank.received((el) => el.name === "presence" && el.getChildText("status") === "secret"), []);
  await Promise.all([gina.close(), hank.close()]);
});

test("pre-approval: a later request is approved by the server and never delivered (§3.4)", async (t) => {
  const ivan = await ImClient.login(srv, "ivan", "home");
  const judy = await ImClient.login(srv, "judy", "home");
  ivan.send("<presence to='judy@localhost' type='subscribed'/>");
  const pre = pushed(await ivan.push("judy@localhost"));
  t.is(pre.attrs.approved, "true");
  t.is(pre.attrs.subscription, "none");

  judy.send("<presence to='ivan@localhost' type='subscribe'/>");
  await judy.presence("subscribed", "ivan@localhost");
  t.is(pushed(await judy.push("ivan@localhost", (i) => i.attrs.subscription === "to")).attrs.ask, undefined);
  await judy.presence(undefined, ivan.jid, "ivan's presence once subscribed");
  const after = pushed(await ivan.push("judy@localhost", (i) => i.attrs.subscription === "from"));
  t.is(after.attrs.approved, undefined);
  await ivan.sync();
  t.deepEqual(ivan.received(isPresence("subscribe")), [], "the request was not delivered to ivan");

  // Withdrawing a pre-approval (§3.4.2 implementation note) on another contact: not routed anywhere.
  ivan.send("<presence to='nobody@localhost' type='subscribed'/>");
  t.is(pushed(await ivan.push("nobody@localhost")).attrs.approved, "true");
  ivan.send("<presence to='nobody@localhost' type='unsubscribed'/>");
  t.is(pushed(await ivan.push("nobody@localhost", (i) => i.attrs.approved === undefined)).attrs.subscription, "none");
  await Promise.all([ivan.close(), judy.close()]);
});

test("removing a contact ends the subscriptions both ways (§2.5.2)", async (t) => {
  const kate = await ImClient.login(srv, "kate", "home");
  const leo = await ImClient.login(srv, "leo", "home");
  await mutual(kate, leo);
  t.is((await kate.rosterSet("<item jid='leo@localhost' subscription='remove'/>")).attrs.type, "result");
  await kate.push("leo@localhost", (i) => i.attrs.subscription === "remove");
  await leo.presence("unsubscribe", "kate@localhost");
  await leo.presence("unavailable", kate.jid);
  await leo.presence("unsubscribed", "kate@localhost");
  await leo.push("kate@localhost", (i) => i.attrs.subscription === "none");
  t.is((await leo.items()).get("kate@localhost")!.attrs.subscription, "none");
  t.false((await kate.items()).has("leo@localhost"));
  await Promise.all([kate.close(), leo.close()]);
});

test("subscribing to oneself: answered subscribed, no roster item (§4.2.2 implicit self-subscription)", async (t) => {
  const mia = await ImClient.login(srv, "mia", "home");
  mia.send("<presence to='mia@localhost' type='subscribe'/>");
  const answer = await mia.presence("subscribed", "mia@localhost");
  t.is(answer.attrs.to, mia.jid);
  mia.send("<presence to='mia@localhost' type='unsubscribed'/>");
  mia.send("<presence to='mia@localhost/elsewhere' type='subscribed'/>");
  await mia.sync();
  t.deepEqual(mia.received(isPresence("subscribe")), [], "the request is not delivered to herself");
  t.deepEqual(mia.received(isPushFor("mia@localhost")), []);
  t.false((await mia.items()).has("mia@localhost"));
  await mia.close();
});

test("subscription stanzas to a remote domain are routed (and bounced without s2s), the roster still updated", async (t) => {
  const ned = await ImClient.login(srv, "ned", "home");
  ned.send("<presence to='someone@remote.example' type='subscribe' id='r1'/>");
  t.is(pushed(await ned.push("someone@remote.example")).attrs.ask, "subscribe");
  const bounce = await ned.expect((el) => el.name === "presence" && el.attrs.type === "error" && el.attrs.from === "someone@remote.example");
  t.is(bounce.attrs.id, "r1");
  t.is(bounce.getChild("error")!.getChildElements()[0]!.name, "remote-server-not-found");
  // §3.1.2: still unanswered, the request is sent again when a resource becomes available (and bounced again).
  const ned2 = await ImClient.login(srv, "ned", "again");
  const again = await ned2.expect((el) => el.name === "presence" && el.attrs.type === "error" && el.attrs.from === "someone@remote.example");
  t.regex(again.attrs.id ?? "", /^resend-/);
  t.is(again.getChild("error")!.getChildElements()[0]!.name, "remote-server-not-found");
  await Promise.all([ned.close(), ned2.close()]);
});

test("a request to a local account that does not exist is answered with an error (§3.1.2)", async (t) => {
  const olga = await ImClient.login(srv, "olga", "home");
  olga.send("<presence to='nobody-here@localhost' type='subscribe' id='g1'/>");
  const err = await olga.expect((el) => el.name === "presence" && el.attrs.type === "error" && el.attrs.id === "g1");
  t.is(err.attrs.from, "nobody-here@localhost");
  t.is(err.getChild("error")!.getChildElements()[0]!.name, "service-unavailable");
  await olga.close();
});

test("account deletion removes the roster and tells the contacts", async (t) => {
  await srv.addUser("oscar@localhost", "pw");
  await srv.addUser("pat@localhost", "pw");
  const oscar = await ImClient.login(srv, "oscar", "home");
  const pat = await ImClient.login(srv, "pat", "home");
  await mutual(oscar, pat);
  await oscar.close();
  t.true(await srv.server.accounts.delete(jid("oscar@localhost")));
  await pat.presence("unsubscribe", "oscar@localhost");
  await pat.presence("unsubscribed", "oscar@localhost");
  await pat.push("oscar@localhost", (i) => i.attrs.subscription === "none");
  t.is((await pat.items()).get("oscar@localhost")!.attrs.subscription, "none");
  // Re-created, the account starts with an empty roster.
  await srv.addUser("oscar@localhost", "pw");
  const again = await ImClient.login(srv, "oscar", "new");
  t.is((await again.items()).size, 0);
  await Promise.all([again.close(), pat.close()]);
});
