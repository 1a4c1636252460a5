/**
 * XEP-0055 against a live server: the fields and form, legacy and data-form searches over usernames and vCard
 * fields, the result limit, who may search (`visibility: local`) and the directory turned off.
 */
import test from "ava";
import type { Element } from "ltx";
import { RawClient } from "../../test/helpers/raw-client.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../../test/helpers/server.js";

const NS = "jabber:iq:search";
const NS_DATA = "jabber:x:data";
let srv: TestServer;
let alice: RawClient;
let seq = 0;

/** Log in on the plaintext listener at `domain` (RawClient.login always opens a stream to localhost). */
async function loginAt(domain: string, user: string): Promise<RawClient> {
  const c = await RawClient.connect(srv.ports.plain);
  await c.open(domain);
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0pw`).toString("base64")}</auth>`);
  if ((await c.next())?.name !== "success") throw new Error(`cannot log in as ${user}@${domain}`);
  c.resetParser();
  await c.open(domain);
  c.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  await c.until((el) => el.attrs.id === "bind");
  return c;
}

async function iq(c: RawClient, type: "get" | "set", inner: string, to = "localhost"): Promise<Element> {
  const id = `s${++seq}`;
  c.send(`<iq type='${type}' id='${id}' to='${to}'>${inner}</iq>`);
  return c.until((el) => el.name === "iq" && el.attrs.id === id);
}
const condition = (r: Element) => r.getChild("error")?.getChildElements().find((e) => e.name !== "text")?.name;
const legacy = (fields: string) => `<query xmlns='${NS}'>${fields}</query>`;
const form = (fields: Record<string, string>) => `<query xmlns='${NS}'><x xmlns='${NS_DATA}' type='submit'>` +
  `<field var='FORM_TYPE' type='hidden'><value>${NS}</value></field>` +
  Object.entries(fields).map(([k, v]) => `<field var='${k}'><value>${v}</value></field>`).join("") + "</x></query>";
const itemJids = (r: Element) => r.getChild("query", NS)!.getChildren("item").map((i) => i.attrs.jid);
const formItems = (r: Element) => r.getChild("query", NS)!.getChild("x", NS_DATA)!.getChildren("item")
  .map((i) => Object.fromEntries(i.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")])));

async function setVcard(user: string, vcard: string): Promise<void> {
  const c = await RawClient.connect(srv.ports.plain);
  await c.login(user, "pw");
  c.send(`<iq type='set' id='vc'>${vcard}</iq>`);
  const r = await c.until((el) => el.attrs.id === "vc");
  c.destroy();
  if (r.attrs.type !== "result") throw new Error(`cannot set ${user}'s vCard`);
}

test.before(async () => {
  srv = await startTestServer({
    hosts: { localhost: { admins: [] }, "other.test": { admins: [] } },
    modules: { ...DEFAULT_MODULES, vcard: null, search: { maxResults: 3 } },
  });
  for (const u of ["alice", "bob", "bobby", "robert", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  await srv.addUser("eve@other.test", "pw");
  await setVcard("alice", "<vCard xmlns='vcard-temp'><FN>Alice Liddell</FN><N><FAMILY>Liddell</FAMILY><GIVEN>Alice</GIVEN></N>" +
    "<NICKNAME>ally</NICKNAME><EMAIL><INTERNET/><USERID>alice@wonderland.lit</USERID></EMAIL></vCard>");
  await setVcard("bobby", "<vCard xmlns='vcard-temp'><FN>Robert Tables</FN><N><FAMILY>Tables</FAMILY><GIVEN>Robert</GIVEN></N>" +
    "<NICKNAME>Little Bobby</NICKNAME><EMAIL><USERID>bobby@school.example</USERID></EMAIL></vCard>");
  alice = await RawClient.connect(srv.ports.plain);
  await alice.login("alice", "pw");
});

test.after.always(async () => {
  alice?.destroy();
  await srv?.stop();
});

test.serial("the host lists jabber:iq:search and hands out the fields: legacy elements and a data form (§2, §3)", async (t) => {
  const info = await iq(alice, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  t.true(info.getChild("query")!.getChildren("feature").some((f) => f.attrs.var === NS));
  const fields = (await iq(alice, "get", legacy(""))).getChild("query", NS)!;
  t.truthy(fields.getChildText("instructions"));
  for (const f of ["first", "last", "nick", "email"]) t.truthy(fields.getChild(f), f);
  const x = fields.getChild("x", NS_DATA)!;
  t.is(x.attrs.type, "form");
  const vars = x.getChildren("field").map((f) => f.attrs.var);
  t.deepEqual(vars, ["FORM_TYPE", "first", "last", "nick", "email", "x-username", "x-fn"]);
  t.is(x.getChildren("field")[0]!.getChildText("value"), NS);
});

test.serial("legacy search by vCard fields and by username through nick; results carry the four fields", async (t) => {
  const byLast = await iq(alice, "set", legacy("<last>LIDDELL</last>"));
  t.deepEqual(itemJids(byLast), ["alice@localhost"]);
  const item = byLast.getChild("query", NS)!.getChild("item")!;
  t.deepEqual(["first", "last", "nick", "email"].map((f) => item.getChildText(f)), ["Alice", "Liddell", "ally", "alice@wonderland.lit"]);

  t.deepEqual(itemJids(await iq(alice, "set", legacy("<email>school.example</email>"))), ["bobby@localhost"]);
  // nick is the vCard nickname, or the username for accounts without one.
  const bobs = await iq(alice, "set", legacy("<nick>bob</nick>"));
  t.deepEqual(itemJids(bobs), ["bob@localhost", "bobby@localhost"]);
  t.deepEqual(bobs.getChild("query", NS)!.getChildren("item").map((i) => i.getChildText("nick")), ["bob", "Little Bobby"]);
  t.deepEqual(itemJids(await iq(alice, "set", legacy("<first>nobody</first>"))), [], "no match: an empty <query/>");
});

test.serial("data-form search: x-username, x-fn and the standard fields, all given fields at once", async (t) => {
  const r = await iq(alice, "set", form({ "x-fn": "robert", "last": "tab" }));
  t.is(r.attrs.type, "result");
  const x = r.getChild("query", NS)!.getChild("x", NS_DATA)!;
  t.is(x.attrs.type, "result");
  t.deepEqual(x.getChild("reported")!.getChildren("field").map((f) => f.attrs.var), ["jid", "first", "last", "nick", "email", "x-username", "x-fn"]);
  t.deepEqual(formItems(r), [{ "jid": "bobby@localhost", "first": "Robert", "last": "Tables", "nick": "Little Bobby",
    "email": "bobby@school.example", "x-username": "bobby", "x-fn": "Robert Tables" }]);
  t.deepEqual(formItems(await iq(alice, "set", form({ "x-username": "rob" }))).map((i) => i.jid), ["robert@localhost"]);
  t.deepEqual(formItems(await iq(alice, "set", form({ "x-fn": "robert", "last": "smith" }))), []);
});

test.serial("results stop at maxResults; the form says some were left out", async (t) => {
  t.deepEqual(itemJids(await iq(alice, "set", legacy("<nick>o</nick>"))), ["bob@localhost", "bobby@localhost", "carol@localhost"]);
  const r = await iq(alice, "set", form({ "x-username": "o" }));
  t.is(formItems(r).length, 3);
  t.regex(r.getChild("query", NS)!.getChild("x", NS_DATA)!.getChildText("instructions") ?? "", /first 3/);
});

test.serial("bad searches: nothing filled in, or a form that is not a submission", async (t) => {
  t.is(condition(await iq(alice, "set", legacy("<first> </first>"))), "not-acceptable");
  t.is(condition(await iq(alice, "set", `<query xmlns='${NS}'><x xmlns='${NS_DATA}' type='cancel'/></query>`)), "bad-request");
});

test.serial("visibility local: a user of another host may not search this one's directory", async (t) => {
  const eve = await loginAt("other.test", "eve");
  t.teardown(() => eve.destroy());
  t.is(condition(await iq(eve, "get", legacy(""))), "forbidden");
  t.is(condition(await iq(eve, "set", legacy("<nick>alice</nick>"))), "forbidden");
  // Her own host's directory holds only her.
  t.deepEqual(itemJids(await iq(eve, "set", legacy("<nick>e</nick>"), "other.test")), ["eve@other.test"]);
});

test("visibility off: no feature, and service-unavailable", async (t) => {
  const off = await startTestServer({ modules: { ...DEFAULT_MODULES, vcard: null, search: { visibility: "off" } } });
  t.teardown(() => off.stop());
  await off.addUser("dan@localhost", "pw");
  const c = await RawClient.connect(off.ports.plain);
  t.teardown(() => c.destroy());
  await c.login("dan", "pw");
  const info = await iq(c, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  t.false(info.getChild("query")!.getChildren("feature").some((f) => f.attrs.var === NS));
  t.is(condition(await iq(c, "get", legacy(""))), "service-unavailable");
  t.is(condition(await iq(c, "set", legacy("<nick>dan</nick>"))), "service-unavailable");
});
