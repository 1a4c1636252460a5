/**
 * XEP-0357 against a live server, with an app server that is a client of its own (its full JID is the push
 * service): enabling and disabling, notifications for an offline account, for a session that stream management
 * keeps after its connection was lost (chat and group chat), errors that disable, and registrations that outlive
 * the module's state.
 */
import test from "ava";
import type { Element } from "ltx";
import pushModule from "./index.js";
import { RawClient } from "../../test/helpers/raw-client.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../../test/helpers/server.js";
import { createInstant, groupchat, join } from "../../test/muc/util.js";
import { Inbox } from "../../test/web/helpers.js";

const NS = "urn:xmpp:push:0";
const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
const APP = "appserver@localhost/push";
let srv: TestServer;
let app: RawClient;
/** What the app server receives, taken by whichever test waits for it. */
let inbox: Inbox;
let bob: RawClient;
let seq = 0;
const clients: RawClient[] = [];

async function login(user: string, resource = "phone"): Promise<RawClient> {
  const c = await RawClient.connect(srv.ports.plain);
  clients.push(c);
  await c.login(user, "pw", resource);
  return c;
}
async function iq(c: RawClient, type: string, inner: string, to?: string): Promise<Element> {
  const id = `p${++seq}`;
  c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ""}>${inner}</iq>`);
  return c.until((el) => el.name === "iq" && el.attrs.id === id);
}
const enable = (c: RawClient, node: string, secret?: string) => iq(c, "set", `<enable xmlns='${NS}' jid='${APP}' node='${node}'>` +
  (secret ? "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>" +
    `<field var='secret'><value>${secret}</value></field></x>` : "") + "</enable>");
const chat = (to: string, body: string) => bob.send(`<message to='${to}' type='chat' id='m${++seq}'><body>${body}</body></message>`);

/** Wait for a condition the server reaches asynchronously (no time limit of its own: the test's applies). */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 10));
}
const gone = (jid: string) => until(() => srv.server.sessions.resources(jid).length === 0);
const detached = (full: string) => until(() => (srv.server.sessions.get(full) as { attached?: boolean } | undefined)?.attached === false);
const registrations = async (owner: string) => [...(await srv.server.storage.map("push/registrations").all(owner)).keys()];

/** The next publish the app server receives for `node`. */
const publishFor = (node: string) => inbox.wait((el) => el.name === "iq" && el.attrs.type === "set" &&
  el.getChild("pubsub", NS_PUBSUB)?.getChild("publish")?.attrs.node === node);
const summary = (publish: Element) => Object.fromEntries(publish.getChild("pubsub")!.getChild("publish")!.getChild("item")!
  .getChild("notification", NS)!.getChild("x", "jabber:x:data")!.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]));
const answer = (publish: Element, error?: string) => app.send(error
  ? `<iq type='error' id='${publish.attrs.id}' to='${publish.attrs.from}'><error type='cancel'><${error} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`
  : `<iq type='result' id='${publish.attrs.id}' to='${publish.attrs.from}'/>`);

test.before(async () => {
  srv = await startTestServer({ modules: { ...DEFAULT_MODULES, push: { minInterval: 0 }, sm: null, muc: null } });
  for (const u of ["appserver", "alice", "bob", "carol", "dave", "erin", "frank"]) await srv.addUser(`${u}@localhost`, "pw");
  app = await login("appserver", "push");
  inbox = new Inbox(app);
  bob = await login("bob", "desk");
  bob.send("<presence/>");
});

test.after.always(async () => {
  for (const c of clients) c.destroy();
  await srv?.stop();
});

test.serial("the account announces urn:xmpp:push:0 (§3); only the account itself enables and disables", async (t) => {
  const alice = await login("alice");
  const info = await iq(alice, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", "alice@localhost");
  t.true(info.getChild("query")!.getChildren("feature").some((f) => f.attrs.var === NS));
  const other = await iq(bob, "set", `<enable xmlns='${NS}' jid='${APP}' node='x'/>`, "alice@localhost");
  t.is(other.getChild("error")?.getChildElements()[0]?.name, "forbidden");
  t.is((await iq(alice, "set", `<enable xmlns='${NS}' node='x'/>`)).attrs.type, "error", "no jid");
  t.is((await enable(alice, "a1")).attrs.type, "result");
  t.is((await enable(alice, "a2")).attrs.type, "result");
  t.is((await enable(alice, "a2", "again")).attrs.type, "result", "enabling the same pair again replaces it");
  t.is((await registrations("alice@localhost")).length, 2);
  t.is((await iq(alice, "set", `<disable xmlns='${NS}' jid='${APP}' node='a1'/>`)).attrs.type, "result");
  t.is((await registrations("alice@localhost")).length, 1);
  t.is((await iq(alice, "set", `<disable xmlns='${NS}' jid='${APP}'/>`)).attrs.type, "result");
  t.deepEqual(await registrations("alice@localhost"), []);
  alice.destroy();
});

test.serial("an offline account's app server gets a publish with the summary and the publish options (§5)", async (t) => {
  const carol = await login("carol");
  await enable(carol, "carol-node", "eruio234vzxc2kla-91");
  carol.end();
  await gone("carol@localhost");
  chat("carol@localhost", "Wherefore art thou, Romeo?");
  const publish = await publishFor("carol-node");
  t.like(publish.attrs, { type: "set", from: "localhost", to: APP });
  t.deepEqual(summary(publish), { FORM_TYPE: "urn:xmpp:push:summary", "message-count": "1", "last-message-sender": "bob@localhost/desk" },
    "no body: it is not configured to leave the server");
  const options = publish.getChild("pubsub")!.getChild("publish-options")!.getChild("x", "jabber:x:data")!;
  t.deepEqual(options.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]),
    [["FORM_TYPE", "http://jabber.org/protocol/pubsub#publish-options"], ["secret", "eruio234vzxc2kla-91"]]);
  answer(publish);
  // A second message: the count goes on while the account stays away.
  chat("carol@localhost", "Deny thy father");
  t.is(summary(await publishFor("carol-node"))["message-count"], "2");
});

test.serial("an app server's permanent error disables the registration; others stay (§5.1)", async (t) => {
  const dave = await login("dave");
  await enable(dave, "dave-dead");
  await enable(dave, "dave-live");
  dave.end();
  await gone("dave@localhost");
  chat("dave@localhost", "hello?");
  const dead = await publishFor("dave-dead");
  const live = await publishFor("dave-live");
  answer(dead, "item-not-found");
  answer(live);
  await until(async () => (await registrations("dave@localhost")).length === 1);
  t.deepEqual(await registrations("dave@localhost"), [JSON.stringify([APP, "dave-live"])]);
});

test.serial("registrations are stored: a fresh module instance notifies with them", async (t) => {
  const config = pushModule.config!.parse({ minInterval: 0 });
  await srv.server.modules.unload("push");
  await srv.server.modules.load({ def: pushModule, config });
  chat("dave@localhost", "still there?");
  const publish = await publishFor("dave-live");
  t.is(summary(publish)["last-message-sender"], "bob@localhost/desk");
  answer(publish);
});

async function resumable(user: string): Promise<{ c: RawClient; full: string }> {
  const c = await RawClient.connect(srv.ports.plain);
  clients.push(c);
  const full = await c.login(user, "pw", "phone");
  c.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  const enabled = await c.until((el) => el.name === "enabled" || el.name === "failed");
  if (enabled.name !== "enabled") throw new Error(`no stream management: ${enabled.toString()}`);
  return { c, full };
}

test.serial("a session kept for resumption (XEP-0198) whose connection was lost: its device is notified", async (t) => {
  const { c: erin, full } = await resumable("erin");
  erin.send("<presence/>");
  await enable(erin, "erin-phone");
  erin.destroy();
  await detached(full);
  chat("erin@localhost", "are you there?");
  const publish = await publishFor("erin-phone");
  t.like(summary(publish), { "message-count": "1", "last-message-sender": "bob@localhost/desk" });
  answer(publish);
});

test.serial("group chat: a room's messages to an occupant whose session waits for resumption notify its device", async (t) => {
  const room = "balcony@conference.localhost";
  const { c: frank, full } = await resumable("frank");
  frank.send("<presence/>");
  await enable(frank, "frank-phone");
  await createInstant(frank, room, "Frank");
  await join(bob, room, "Bob");
  frank.destroy();
  await detached(full);
  groupchat(bob, room, "Frank, the moon is up");
  const publish = await publishFor("frank-phone");
  t.like(summary(publish), { "last-message-sender": `${room}/Bob` });
  answer(publish);
});
