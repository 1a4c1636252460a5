/**
 * XEP-0153 vCard-Based Avatars, the server's part: the SHA-1 of the avatar in a stored vCard (§3.1: of the
 * image data itself, not of its Base64 text), and the <x xmlns='vcard-temp:x:update'/> annotation of presence.
 */
import { createHash } from "node:crypto";
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";

export const NS_UPDATE = "vcard-temp:x:update";

// XML Schema base64Binary (§4.6 rule 5): whitespace is ignored, everything else must be the Base64 alphabet.
const WHITESPACE = /[ \t\r\n]+/g;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type PhotoHash = { ok: true; hash: string | null } | { ok: false; error: string };

/**
 * The hex SHA-1 (lower case, §3.1) of a vCard's PHOTO/BINVAL, decoded; null when the vCard has no image data
 * (no PHOTO, an empty BINVAL, or only an EXTVAL link). BINVAL that is not Base64 is an error.
 */
export function photoHash(vcard: Element): PhotoHash {
  const binval = vcard.getChild("PHOTO")?.getChild("BINVAL");
  if (!binval) return { ok: true, hash: null };
  const text = binval.getText().replace(WHITESPACE, "");
  if (text === "") return { ok: true, hash: null };
  if (!BASE64.test(text)) return { ok: false, error: "PHOTO/BINVAL is not Base64" };
  return { ok: true, hash: createHash("sha1").update(Buffer.from(text, "base64")).digest("hex") };
}

/**
 * Put the account's avatar hash in a presence it sends: `hash` is the stored vCard's ("" when it has no image,
 * which §4.1 rule 3 says is an empty <photo/>). Whatever <photo/> the client gave is replaced: the stored vCard
 * is what contacts will fetch, and §4.3 makes the vCard's content win over a resource's own idea of the hash.
 * Other children of the client's <x/> are kept.
 */
export function applyAvatarUpdate(presence: Element, hash: string): void {
  let x = presence.getChild("x", NS_UPDATE);
  if (!x) x = presence.cnode(xml("x", { xmlns: NS_UPDATE }));
  x.remove("photo");
  x.cnode(hash ? xml("photo", null, hash) : xml("photo"));
}

/** A vCard's image: its PHOTO/TYPE and PHOTO/BINVAL (Base64, whitespace removed). */
export interface VcardPhoto { type: string; binval: string }

/** The image in a vCard's PHOTO, if it holds image data (not only an EXTVAL link). */
export function photoOf(vcard: Element): VcardPhoto | null {
  const photo = vcard.getChild("PHOTO");
  const binval = photo?.getChild("BINVAL")?.getText().replace(WHITESPACE, "") ?? "";
  if (!photo || binval === "") return null;
  return { type: photo.getChildText("TYPE")?.trim() || "image/png", binval };
}

/** The hex SHA-1 of Base64 image data (XEP-0153 §3.1: of the data itself). */
export function binvalHash(binval: string): string {
  return createHash("sha1").update(Buffer.from(binval, "base64")).digest("hex");
}

/** `vcard` with its PHOTO replaced by `photo` (removed for null); every other element is kept as it was. */
export function withPhoto(vcard: Element, photo: VcardPhoto | null): Element {
  const out = xml("vCard", { ...vcard.attrs }, vcard.getChildElements().filter((c) => c.getName() !== "PHOTO"));
  if (photo) out.cnode(xml("PHOTO", null, xml("TYPE", null, photo.type), xml("BINVAL", null, photo.binval)));
  return out;
}
