/** XEP-0049 against a live server: store and read back, the owner only, reserved namespaces, limits, removal. */
import test from "ava";
import type { Element } from "ltx";
import { jid } from "../../src/jid.js";
import { RawClient } from "../../test/helpers/raw-client.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../../test/helpers/server.js";

const NS = "jabber:iq:private";
let srv: TestServer;
let alice: RawClient;
let bob: RawClient;
let seq = 0;

test.before(async () => {
  srv = await startTestServer({ modules: { ...DEFAULT_MODULES, private: { maxBytes: 2048 } } });
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  alice = await RawClient.connect(srv.ports.plain);
  await alice.login("alice", "pw", "home");
  bob = await RawClient.connect(srv.ports.plain);
  await bob.login("bob", "pw", "home");
});

test.after.always(async () => {
  alice?.destroy();
  bob?.destroy();
  await srv?.stop();
});

async function iq(c: RawClient, type: "get" | "set", inner: string, to?: string): Promise<Element> {
  const id = `p${++seq}`;
  c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ""}><query xmlns='${NS}'>${inner}</query></iq>`);
  return c.until((el) => el.name === "iq" && el.attrs.id === id);
}
const condition = (r: Element) => r.getChild("error")?.getChildElements().find((e) => e.name !== "text")?.name;
const stored = (r: Element) => r.getChild("query", NS)!.getChildElements();

test.serial("§2.3: a user stores XML under its namespace and gets it back; several namespaces in one set", async (t) => {
  const set = await iq(alice, "set", "<exodus xmlns='exodus:prefs'><defaultnick>Hamlet</defaultnick></exodus>" +
    "<storage xmlns='storage:bookmarks'><conference jid='council@chat.example' autojoin='true'><nick>Ham</nick></conference></storage>");
  t.is(set.attrs.type, "result");
  const prefs = stored(await iq(alice, "get", "<exodus xmlns='exodus:prefs'/>"));
  t.is(prefs.length, 1);
  t.is(prefs[0]!.getNS(), "exodus:prefs");
  t.is(prefs[0]!.getChildText("defaultnick"), "Hamlet");
  const bookmarks = stored(await iq(alice, "get", "<storage xmlns='storage:bookmarks'/>"));
  t.is(bookmarks[0]!.getChild("conference")!.attrs.jid, "council@chat.example");

  // A set replaces what its namespace held, and leaves the other namespaces alone.
  t.is((await iq(alice, "set", "<exodus xmlns='exodus:prefs'><defaultnick>Prince</defaultnick></exodus>")).attrs.type, "result");
  t.is(stored(await iq(alice, "get", "<exodus xmlns='exodus:prefs'/>"))[0]!.getChildText("defaultnick"), "Prince");
  t.is(stored(await iq(alice, "get", "<storage xmlns='storage:bookmarks'/>")).length, 1);
});

test.serial("nothing stored: the element asked for comes back empty", async (t) => {
  const r = await iq(bob, "get", "<prefs xmlns='urn:example:nothing-yet'/>");
  t.is(r.attrs.type, "result");
  const [el] = stored(r);
  t.is(el!.name, "prefs");
  t.is(el!.getNS(), "urn:example:nothing-yet");
  t.is(el!.children.length, 0);
});

test.serial("§2.3: another user's private data is forbidden, for get and set, as is the server's address", async (t) => {
  for (const type of ["get", "set"] as const) {
    t.is(condition(await iq(bob, type, "<exodus xmlns='exodus:prefs'/>", "alice@localhost")), "forbidden", type);
    t.is(condition(await iq(bob, type, "<exodus xmlns='exodus:prefs'/>", "localhost")), "forbidden", type);
  }
  t.is(stored(await iq(alice, "get", "<exodus xmlns='exodus:prefs'/>"))[0]!.getChildText("defaultnick"), "Prince");
});

test.serial("§2.3: reserved namespaces, no child, and no namespace of its own are not-acceptable; two namespaces in a get are a bad request", async (t) => {
  for (const inner of ["<vCard xmlns='vcard-temp'><FN>Hamlet</FN></vCard>", "<query xmlns='jabber:iq:roster'/>",
    "<x xmlns='http://jabber.org/protocol/muc'/>", "", "<plain/>"]) {
    t.is(condition(await iq(alice, "set", inner)), "not-acceptable", inner || "(empty)");
    t.is(condition(await iq(alice, "get", inner)), "not-acceptable", inner || "(empty)");
  }
  t.is(condition(await iq(alice, "get", "<a xmlns='urn:a'/><b xmlns='urn:b'/>")), "bad-request");
});

test.serial("an account's private data is limited in size, all namespaces together", async (t) => {
  t.is((await iq(bob, "set", `<a xmlns='urn:a'>${"x".repeat(1000)}</a>`)).attrs.type, "result");
  t.is(condition(await iq(bob, "set", `<b xmlns='urn:b'>${"y".repeat(1200)}</b>`)), "not-acceptable");
  // Replacing a namespace counts its new content, not the old.
  t.is((await iq(bob, "set", `<a xmlns='urn:a'>${"z".repeat(1500)}</a>`)).attrs.type, "result");
  t.is(stored(await iq(bob, "get", "<b xmlns='urn:b'/>"))[0]!.children.length, 0);
});

test.serial("private data goes with the account", async (t) => {
  const c = await RawClient.connect(srv.ports.plain);
  await c.login("carol", "pw");
  t.is((await iq(c, "set", "<notes xmlns='urn:notes'>secret</notes>")).attrs.type, "result");
  c.destroy();
  t.true(await srv.server.accounts.delete(jid("carol@localhost")));
  await srv.addUser("carol@localhost", "pw");
  const again = await RawClient.connect(srv.ports.plain);
  t.teardown(() => again.destroy());
  await again.login("carol", "pw");
  t.is(stored(await iq(again, "get", "<notes xmlns='urn:notes'/>"))[0]!.getText(), "");
});
