/**
 * XEP-0054 and XEP-0153 against a live server: own, another user's and the server's vCard, the size limit,
 * removal with the account, and the avatar hash the server writes into presence.
 */
import test from "ava";
import { createHash } from "node:crypto";
import type { Element } from "ltx";
import { jid } from "../../src/jid.js";
import { RawClient } from "../../test/helpers/raw-client.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../../test/helpers/server.js";

const IMAGE = Buffer.from("\x89PNG\r\n\x1a\n a very small avatar", "latin1");
const IMAGE_HASH = createHash("sha1").update(IMAGE).digest("hex");
const ALICE_VCARD = `<vCard xmlns='vcard-temp'><FN>Alice Liddell</FN><N><FAMILY>Liddell</FAMILY><GIVEN>Alice</GIVEN></N>` +
  `<NICKNAME>ally</NICKNAME><EMAIL><INTERNET/><USERID>alice@wonderland.lit</USERID></EMAIL>` +
  `<PHOTO><TYPE>image/png</TYPE><BINVAL>${IMAGE.toString("base64")}</BINVAL></PHOTO></vCard>`;

let srv: TestServer;
let alice: RawClient;
let bob: RawClient;
let seq = 0;

test.before(async () => {
  srv = await startTestServer({
    modules: { ...DEFAULT_MODULES, vcard: { maxBytes: 4096, server: { fn: "Palaver test server", url: "https://palaver.example" } } },
  });
  for (const u of ["alice", "bob", "carol", "dave"]) await srv.addUser(`${u}@localhost`, "pw");
  alice = await RawClient.connect(srv.ports.plain);
  await alice.login("alice", "pw", "home");
  bob = await RawClient.connect(srv.ports.plain);
  await bob.login("bob", "pw", "phone");
});

test.after.always(async () => {
  alice?.destroy();
  bob?.destroy();
  await srv?.stop();
});

async function iq(c: RawClient, type: "get" | "set", payload: string, to?: string): Promise<Element> {
  const id = `v${++seq}`;
  c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ""}>${payload}</iq>`);
  return c.until((el) => el.name === "iq" && el.attrs.id === id);
}
const condition = (reply: Element) => reply.getChild("error")?.getChildElements()[0]?.name;

test.serial("a user stores a vCard and reads it back; others read it at the user's bare JID (§3.1-§3.3)", async (t) => {
  t.is((await iq(alice, "set", ALICE_VCARD)).attrs.type, "result");
  const own = (await iq(alice, "get", "<vCard xmlns='vcard-temp'/>")).getChild("vCard", "vcard-temp")!;
  t.is(own.getChildText("FN"), "Alice Liddell");
  t.is(own.getChild("PHOTO")!.getChildText("BINVAL"), IMAGE.toString("base64"));
  const also = (await iq(alice, "get", "<vCard xmlns='vcard-temp'/>", "alice@localhost")).getChild("vCard", "vcard-temp")!;
  t.is(also.getChildText("NICKNAME"), "ally");

  const seen = await iq(bob, "get", "<vCard xmlns='vcard-temp'/>", "alice@localhost");
  t.is(seen.attrs.type, "result");
  t.is(seen.attrs.from, "alice@localhost");
  t.is(seen.getChild("vCard", "vcard-temp")!.getChild("EMAIL")!.getChildText("USERID"), "alice@wonderland.lit");
});

test.serial("without a vCard the owner gets an empty one; others get service-unavailable, as for an unknown account (§3.3)", async (t) => {
  const own = await iq(bob, "get", "<vCard xmlns='vcard-temp'/>");
  t.is(own.attrs.type, "result");
  t.is(own.getChild("vCard", "vcard-temp")!.getChildElements().length, 0);
  for (const to of ["carol@localhost", "nobody@localhost"]) {
    const r = await iq(bob, "get", "<vCard xmlns='vcard-temp'/>", to);
    t.is(r.attrs.type, "error", to);
    t.is(condition(r), "service-unavailable", to);
  }
});

test.serial("setting another user's vCard is forbidden (§3.2)", async (t) => {
  const r = await iq(bob, "set", "<vCard xmlns='vcard-temp'><FN>Not Carol</FN></vCard>", "carol@localhost");
  t.is(condition(r), "forbidden");
});

test.serial("the server's vCard comes from the configuration and cannot be set in-band", async (t) => {
  const r = await iq(bob, "get", "<vCard xmlns='vcard-temp'/>", "localhost");
  const v = r.getChild("vCard", "vcard-temp")!;
  t.is(v.getChildText("FN"), "Palaver test server");
  t.is(v.getChildText("URL"), "https://palaver.example");
  t.is(condition(await iq(bob, "set", "<vCard xmlns='vcard-temp'><FN>mine</FN></vCard>", "localhost")), "not-allowed");
});

test.serial("a vCard over the size limit is refused with not-acceptable and the old one is kept; bad Base64 is a bad request", async (t) => {
  const c = await RawClient.connect(srv.ports.plain);
  t.teardown(() => c.destroy());
  await c.login("carol", "pw");
  t.is((await iq(c, "set", "<vCard xmlns='vcard-temp'><FN>Carol</FN></vCard>")).attrs.type, "result");
  t.is(condition(await iq(c, "set", `<vCard xmlns='vcard-temp'><DESC>${"x".repeat(5000)}</DESC></vCard>`)), "not-acceptable");
  t.is(condition(await iq(c, "set", "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>%%%</BINVAL></PHOTO></vCard>")), "bad-request");
  t.is((await iq(c, "get", "<vCard xmlns='vcard-temp'/>")).getChild("vCard")!.getChildText("FN"), "Carol");
});

test.serial("the vCard goes with the account", async (t) => {
  const c = await RawClient.connect(srv.ports.plain);
  await c.login("dave", "pw");
  t.is((await iq(c, "set", "<vCard xmlns='vcard-temp'><FN>Dave</FN></vCard>")).attrs.type, "result");
  c.destroy();
  t.is((await iq(bob, "get", "<vCard xmlns='vcard-temp'/>", "dave@localhost")).attrs.type, "result");
  t.true(await srv.server.accounts.delete(jid("dave@localhost")));
  await srv.addUser("dave@localhost", "pw");
  t.is(condition(await iq(bob, "get", "<vCard xmlns='vcard-temp'/>", "dave@localhost")), "service-unavailable");
});

test.serial("XEP-0153: the avatar hash is written into the presence a user sends, replacing a stale one", async (t) => {
  // Directed presence to another account's resource is delivered as it is routed, annotated on the way.
  const received = async (presence: string) => {
    alice.send(presence);
    return bob.until((el) => el.name === "presence" && el.attrs.from === "alice@localhost/home");
  };
  const photoOf = (p: Element) => p.getChild("x", "vcard-temp:x:update")?.getChildText("photo");

  t.is(photoOf(await received("<presence to='bob@localhost/phone'/>")), IMAGE_HASH);
  t.is(photoOf(await received("<presence to='bob@localhost/phone'><x xmlns='vcard-temp:x:update'><photo>0000</photo></x></presence>")), IMAGE_HASH);

  // After removing the avatar, the next presence says "no image" (an empty <photo/>, XEP-0153 §4.1 rule 3).
  t.is((await iq(alice, "set", "<vCard xmlns='vcard-temp'><FN>Alice Liddell</FN></vCard>")).attrs.type, "result");
  const p = await received("<presence to='bob@localhost/phone'><status>no picture</status></presence>");
  t.is(photoOf(p), "");
  t.is(p.getChildText("status"), "no picture");
  t.is(p.getChildren("x").length, 1);
});
