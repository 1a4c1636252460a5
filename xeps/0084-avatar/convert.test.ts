import test from "ava";
import { xml } from "@xmpp/xml";
import { avatarItems, dataImage, imageId, noAvatar, pepImage } from "./convert.js";

const NS_METADATA = "urn:xmpp:avatar:metadata";
const PNG = Buffer.from("\x89PNG\r\n\x1a\n fake image", "binary").toString("base64");

test("the image a metadata item names in the data node: PNG preferred, URLs left out, empty metadata = no avatar (XEP-0084 §4.2)", (t) => {
  const meta = xml("metadata", { xmlns: NS_METADATA },
    xml("info", { id: "u", type: "image/png", bytes: "10", url: "https://example.org/a.png" }),
    xml("info", { id: "j", type: "image/jpeg", bytes: "20" }),
    xml("info", { id: "p", type: "image/png", bytes: "30" }));
  t.deepEqual(pepImage(meta), { id: "p", type: "image/png", bytes: 30 });
  t.deepEqual(pepImage(xml("metadata", { xmlns: NS_METADATA }, xml("info", { id: "j", type: "image/jpeg", bytes: "20" }))), { id: "j", type: "image/jpeg", bytes: 20 });
  t.is(pepImage(noAvatar()), null);
  t.is(pepImage(xml("metadata", { xmlns: NS_METADATA }, xml("info", { id: "u", type: "image/png", url: "https://x/" }))), undefined, "only a URL");
  t.is(pepImage(xml("nick", { xmlns: "http://jabber.org/protocol/nick" })), undefined);
});

test("data payloads: Base64 with line feeds accepted (§4.1)", (t) => {
  t.is(dataImage(xml("data", { xmlns: "urn:xmpp:avatar:data" }, `${PNG.slice(0, 8)}\n${PNG.slice(8)}`)), PNG);
  t.is(dataImage(xml("data", { xmlns: "urn:xmpp:avatar:data" })), undefined);
});

test("a vCard image as XEP-0084 items, ids being the SHA-1 of the image data", (t) => {
  const id = imageId(PNG);
  t.regex(id, /^[0-9a-f]{40}$/);
  const items = avatarItems(PNG, "image/png", id);
  t.is(items.data.getText(), PNG);
  t.deepEqual(items.metadata.getChild("info")!.attrs, { id, type: "image/png", bytes: String(Buffer.from(PNG, "base64").length) });
});
