/**
 * XEP-0115 for the server, against a live server: the <c/> stream feature after authentication (§6.3), its
 * hash recomputed from the server's own disco#info answer, and the caps node answered by disco (§6.2).
 */
import test from "ava";
import type { Element } from "ltx";
import { RawClient } from "../../test/helpers/raw-client.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../../test/helpers/server.js";
import { capsForms, capsVer } from "./ver.js";

const NS_CAPS = "http://jabber.org/protocol/caps";
const NS_INFO = "http://jabber.org/protocol/disco#info";

let srv: TestServer;

test.before(async () => {
  // Contact addresses add an XEP-0128 form to disco#info, which the hash must cover.
  srv = await startTestServer({
    modules: { ...DEFAULT_MODULES, caps: null, disco: { contactAddresses: { admin: ["xmpp:admin@localhost"], abuse: ["mailto:abuse@localhost"] } } },
  });
  await srv.addUser("alice@localhost", "pencil");
});

test.after.always(async () => { await srv?.stop(); });

/** Log in step by step, keeping the stream features offered before and after authentication. */
async function loginKeepingFeatures(c: RawClient): Promise<{ before: Element; after: Element }> {
  const before = await c.open();
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from("\0alice\0pencil").toString("base64")}</auth>`);
  const r = await c.next();
  if (r?.name !== "success") throw new Error(`login failed: ${r?.toString()}`);
  c.resetParser();
  const after = await c.open();
  c.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>caps</resource></bind></iq>");
  await c.until((el) => el.attrs.id === "bind");
  return { before, after };
}

function verOf(query: Element): string {
  const identities = query.getChildren("identity").map((i) => ({ category: i.attrs.category, type: i.attrs.type, lang: i.attrs["xml:lang"], name: i.attrs.name }));
  const features = query.getChildren("feature").map((f) => f.attrs.var as string);
  return capsVer(identities, features, capsForms(query.getChildElements()));
}

test("the caps stream feature after authentication carries the hash of the server's disco#info, and disco answers its node", async (t) => {
  const c = await RawClient.connect(srv.ports.plain);
  t.teardown(() => c.destroy());
  const { before, after } = await loginKeepingFeatures(c);
  t.falsy(before.getChild("c", NS_CAPS), "not offered before authentication");
  const caps = after.getChild("c", NS_CAPS);
  t.truthy(caps);
  t.is(caps!.attrs.hash, "sha-1");
  t.is(caps!.attrs.node, "https://palaver.im");

  c.send(`<iq type='get' id='i1' to='localhost'><query xmlns='${NS_INFO}'/></iq>`);
  const info = (await c.until((el) => el.attrs.id === "i1")).getChild("query", NS_INFO)!;
  t.true(info.getChildren("feature").some((f) => f.attrs.var === NS_CAPS));
  t.is(info.getChildren("x").length, 1, "the contact-address form is part of what is hashed");
  t.is(verOf(info), caps!.attrs.ver);

  const node = `https://palaver.im#${caps!.attrs.ver}`;
  c.send(`<iq type='get' id='i2' to='localhost'><query xmlns='${NS_INFO}' node='${node}'/></iq>`);
  const atNode = await c.until((el) => el.attrs.id === "i2");
  t.is(atNode.attrs.type, "result");
  const q = atNode.getChild("query", NS_INFO)!;
  t.is(q.attrs.node, node);
  t.is(verOf(q), caps!.attrs.ver);
  t.deepEqual(q.getChildren("feature").map((f) => f.attrs.var), info.getChildren("feature").map((f) => f.attrs.var));

  c.send(`<iq type='get' id='i3' to='localhost'><query xmlns='${NS_INFO}' node='https://palaver.im#not-the-hash'/></iq>`);
  const stale = await c.until((el) => el.attrs.id === "i3");
  t.is(stale.attrs.type, "error");
  t.truthy(stale.getChild("error")!.getChild("item-not-found"));
});
