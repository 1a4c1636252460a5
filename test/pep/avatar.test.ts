/**
 * XEP-0084 avatars through PEP and the XEP-0398 conversion, on a live server: an avatar published by one
 * device reaches the account's other device and a contact (metadata notification, data fetched by id); the
 * vCard PHOTO and the XEP-0153 hash in presence follow; a vCard avatar set by an older client is published
 * to PEP; disabling the avatar empties the vCard's photo.
 */
import test from "ava";
import { createHash } from "node:crypto";
import type { Element } from "ltx";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { firstPayload, mutual, PepClient } from "./pep-client.js";

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer();
  for (const u of ["alice", "bea", "carl", "dina"]) await srv.addUser(`${u}@localhost`, "pw");
});
test.after.always(async () => {
  PepClient.destroyAll();
  await srv?.stop();
});

const DATA = "urn:xmpp:avatar:data";
const METADATA = "urn:xmpp:avatar:metadata";
const image = (label: string) => Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "binary"), Buffer.from(label.repeat(200))]);
const sha1 = (b: Buffer) => createHash("sha1").update(b).digest("hex");
const vcardOf = async (c: PepClient, who: string): Promise<Element> => (await c.iq(`<iq type='get' to='${who}'><vCard xmlns='vcard-temp'/></iq>`)).getChild("vCard", "vcard-temp")!;
const photoUpdate = (p: Element) => p.getChild("x", "vcard-temp:x:update")?.getChildText("photo");

test("a PEP avatar reaches the other device and a contact, and becomes the vCard photo and presence hash (XEP-0084, XEP-0398)", async (t) => {
  const phone = await PepClient.login(srv, "alice", "phone", { notify: [METADATA] });
  const desk = await PepClient.login(srv, "alice", "desk", { notify: [METADATA] });
  const bea = await PepClient.login(srv, "bea", "home", { notify: [METADATA] });
  await mutual(phone, bea);
  const info = await phone.iq("<iq type='get' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  t.truthy(info.getChild("query")!.getChildren("feature").find((f) => f.attrs.var === "urn:xmpp:pep-vcard-conversion:0"));

  const png = image("a");
  const id = sha1(png);
  // §3.1 data first, then §3.2 the metadata.
  t.is((await phone.publish(DATA, `<data xmlns='${DATA}'>${png.toString("base64")}</data>`, { id })).attrs.type, "result");
  t.is((await phone.publish(METADATA, `<metadata xmlns='${METADATA}'><info id='${id}' type='image/png' bytes='${png.length}' width='64' height='64'/></metadata>`, { id })).attrs.type, "result");
  for (const c of [desk, bea]) {
    const m = await c.event("alice@localhost", METADATA, (items) => items.getChild("item")?.attrs.id === id);
    t.is(firstPayload(m.getChild("event")!.getChild("items"))!.getChild("info")!.attrs.id, id);
  }
  // §3.4: the contact fetches the data it does not have, by item id.
  const fetched = await bea.pubsub("get", `<items node='${DATA}'><item id='${id}'/></items>`, "alice@localhost");
  t.is(firstPayload(fetched.getChild("pubsub")!.getChild("items"))!.getText(), png.toString("base64"));

  // XEP-0398: the vCard now holds it, and the next presence carries its hash (XEP-0153 §4.2).
  const card = await vcardOf(bea, "alice@localhost");
  t.is(card.getChild("PHOTO")!.getChildText("BINVAL"), png.toString("base64"));
  t.is(card.getChild("PHOTO")!.getChildText("TYPE"), "image/png");
  phone.send(phone.presenceXml("<status>new avatar</status>"));
  const presence = await bea.expect((el) => el.name === "presence" && el.attrs.from === phone.jid && el.getChildText("status") === "new avatar");
  t.is(photoUpdate(presence), id);

  // Disabling the avatar (§3.5) empties the vCard photo.
  t.is((await phone.publish(METADATA, `<metadata xmlns='${METADATA}'/>`)).attrs.type, "result");
  await bea.event("alice@localhost", METADATA, (items) => items.getChild("item")?.getChild("metadata")?.getChildElements().length === 0);
  await phone.sync();
  const after = await vcardOf(phone, "alice@localhost");
  t.is(after.getChild("PHOTO"), undefined);
  await Promise.all([phone.close(), desk.close(), bea.close()]);
});

test("a vCard avatar set by an older client is published to PEP for the others (XEP-0398)", async (t) => {
  const legacy = await PepClient.login(srv, "carl", "old");
  const dina = await PepClient.login(srv, "dina", "new", { notify: [METADATA] });
  await mutual(legacy, dina);
  const png = image("c");
  const id = sha1(png);
  const set = await legacy.iq(`<iq type='set'><vCard xmlns='vcard-temp'><FN>Carl</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>${png.toString("base64")}</BINVAL></PHOTO></vCard></iq>`);
  t.is(set.attrs.type, "result");
  const m = await dina.event("carl@localhost", METADATA, (items) => items.getChild("item")?.attrs.id === id);
  t.is(firstPayload(m.getChild("event")!.getChild("items"))!.getChild("info")!.attrs.type, "image/png");
  const data = await dina.pubsub("get", `<items node='${DATA}'><item id='${id}'/></items>`, "carl@localhost");
  t.is(firstPayload(data.getChild("pubsub")!.getChild("items"))!.getText(), png.toString("base64"));
  // The vCard itself is as the client stored it, other fields included.
  t.is((await vcardOf(dina, "carl@localhost")).getChildText("FN"), "Carl");
  await Promise.all([legacy.close(), dina.close()]);
});
