import test from "ava";
import { createHash } from "node:crypto";
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { parseXml } from "../../src/xml/element.js";
import { directoryFields } from "./directory.js";
import { applyAvatarUpdate, NS_UPDATE, photoHash } from "./photo.js";

const sha1 = (b: Buffer) => createHash("sha1").update(b).digest("hex");
const vcard = (...children: Element[]) => xml("vCard", { xmlns: "vcard-temp" }, ...children);
const photo = (binval: string) => xml("PHOTO", null, xml("TYPE", null, "image/png"), xml("BINVAL", null, binval));

test("XEP-0153 §3.1: the hash is the lower-case hex SHA-1 of the decoded image, whitespace in BINVAL ignored (§4.6)", (t) => {
  const image = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 254, 255]);
  const b64 = image.toString("base64");
  const wrapped = `\n  ${b64.slice(0, 7)}\r\n\t${b64.slice(7)}\n`;
  t.deepEqual(photoHash(vcard(photo(wrapped))), { ok: true, hash: sha1(image) });
  // A known value: SHA-1("hello").
  t.deepEqual(photoHash(vcard(photo("aGVsbG8="))), { ok: true, hash: "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d" });
});

test("no image data means no hash: no PHOTO, an empty BINVAL, or only an EXTVAL link", (t) => {
  t.deepEqual(photoHash(vcard(xml("FN", null, "Juliet"))), { ok: true, hash: null });
  t.deepEqual(photoHash(vcard(photo("  \n "))), { ok: true, hash: null });
  t.deepEqual(photoHash(vcard(xml("PHOTO", null, xml("EXTVAL", null, "https://example.org/a.png")))), { ok: true, hash: null });
});

test("BINVAL that is not Base64 is refused", (t) => {
  for (const bad of ["not base64!", "aGVsbG8", "aGVsbG8=extra", "a==="]) t.false(photoHash(vcard(photo(bad))).ok, bad);
});

const updateOf = (p: Element) => p.getChildren("x", NS_UPDATE);

test("presence without the update element gets one with the hash", (t) => {
  const p = xml("presence", null, xml("show", null, "away"));
  applyAvatarUpdate(p, "01b87fcd030b72895ff8e88db57ec525450f000d");
  t.is(updateOf(p).length, 1);
  t.is(updateOf(p)[0]!.getChildText("photo"), "01b87fcd030b72895ff8e88db57ec525450f000d");
  t.is(p.getChildText("show"), "away");
});

test("a photo the client put is replaced by the stored vCard's (§4.3), and other children of <x/> stay", (t) => {
  const p = parseXml("<presence><x xmlns='vcard-temp:x:update'><photo>AAAA</photo><nickname>jc</nickname></x></presence>")!;
  applyAvatarUpdate(p, "b0b0");
  const [x] = updateOf(p);
  t.deepEqual(x!.getChildren("photo").map((e) => e.getText()), ["b0b0"]);
  t.is(x!.getChildText("nickname"), "jc");
});

test("no stored avatar is advertised as an empty <photo/> (§4.1 rule 3), also over the client's 'not ready' <x/>", (t) => {
  const p = parseXml("<presence><x xmlns='vcard-temp:x:update'/></presence>")!;
  applyAvatarUpdate(p, "");
  const [x] = updateOf(p);
  t.is(x!.getChildren("photo").length, 1);
  t.is(x!.getChild("photo")!.getText(), "");
  t.is(updateOf(p).length, 1);
});

test("directory fields: FN, N/GIVEN, N/FAMILY, NICKNAME and every EMAIL address, trimmed", (t) => {
  const v = parseXml(`<vCard xmlns='vcard-temp'><FN> Peter Saint-Andre </FN><N><FAMILY>Saint-Andre</FAMILY><GIVEN>Peter</GIVEN><MIDDLE/></N>
    <NICKNAME>stpeter</NICKNAME><EMAIL><INTERNET/><PREF/><USERID>stpeter@jabber.org</USERID></EMAIL><EMAIL>old@example.org</EMAIL><EMAIL><USERID/></EMAIL></vCard>`)!;
  t.deepEqual(directoryFields(v), { fn: "Peter Saint-Andre", first: "Peter", last: "Saint-Andre", nick: "stpeter", emails: ["stpeter@jabber.org", "old@example.org"] });
  t.deepEqual(directoryFields(vcard(xml("NICKNAME"))), { emails: [] });
});
