/**
 * XEP-0398 conversions between XEP-0084 User Avatar items and the vCard PHOTO (XEP-0054, XEP-0153), as pure
 * functions: which image a metadata item points at in the data node, and the data and metadata items that
 * publish a vCard's image.
 */
import { createHash } from "node:crypto";
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";

export const NS_DATA = "urn:xmpp:avatar:data";
export const NS_METADATA = "urn:xmpp:avatar:metadata";

export interface AvatarInfo { id: string; type: string; bytes: number }

/**
 * The <info/> of a metadata payload whose image is in the data node (XEP-0084 §4.2.1: no 'url'), or null for
 * an empty <metadata/> (avatar disabled, §3.5). undefined when the payload is not avatar metadata or names
 * no image in the data node (only URLs or pointers): nothing to convert.
 */
export function pepImage(metadata: Element | null): AvatarInfo | null | undefined {
  if (!metadata || metadata.getName() !== "metadata" || metadata.getNS() !== NS_METADATA) return undefined;
  const infos = metadata.getChildren("info");
  if (infos.length === 0 && metadata.getChildElements().length === 0) return null;
  const inNode = infos.filter((i) => !i.attrs.url && i.attrs.id && i.attrs.type);
  // §4.2.1: image/png MUST be among the formats; prefer it, as XEP-0153 readers are sure to handle it.
  const chosen = inNode.find((i) => i.attrs.type === "image/png") ?? inNode[0];
  return chosen ? { id: chosen.attrs.id!, type: chosen.attrs.type!, bytes: Number(chosen.attrs.bytes) || 0 } : undefined;
}

/** The Base64 image of a data payload (§4.1: line feeds MUST be accepted), or undefined. */
export function dataImage(data: Element | null): string | undefined {
  if (!data || data.getName() !== "data" || data.getNS() !== NS_DATA) return undefined;
  const b64 = data.getText().replace(/[ \t\r\n]+/g, "");
  return b64 === "" ? undefined : b64;
}

/** The XEP-0084 items for an image (§4.1, §4.2): the id is the SHA-1 of the image data in both nodes. */
export function avatarItems(binval: string, type: string, id: string): { data: Element; metadata: Element } {
  const bytes = Buffer.from(binval, "base64").length;
  return {
    data: xml("data", { xmlns: NS_DATA }, binval),
    metadata: xml("metadata", { xmlns: NS_METADATA }, xml("info", { id, type, bytes: String(bytes) })),
  };
}

/** §3.5: the metadata that says there is no avatar. */
export const noAvatar = (): Element => xml("metadata", { xmlns: NS_METADATA });

/** §4.1 item ids: the hex SHA-1 of the image data (not of its Base64 text). */
export function imageId(binval: string): string {
  return createHash("sha1").update(Buffer.from(binval, "base64")).digest("hex");
}
