/**
 * Room avatars through vCards (XEP-0054 on the room JID, XEP-0153 hashes, as XEP-0486 describes for rooms):
 * anyone reads the room's vCard; owners set it (whole, an empty one removes it); a change is announced to the
 * occupants with a presence from the room carrying the new photo hash, and the hash is in the room's
 * muc#roominfo form (muc#roominfo_avatarhash).
 */
import { createHash } from "node:crypto";
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import type { StanzaEvent } from "../../src/hooks.js";
import type { IqResult } from "../../src/modules.js";
import { parseXml } from "../../src/xml/element.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import type { ServiceContext } from "./context.js";
import { Outgoing, stanza } from "./fanout.js";
import { NS_VCARD, NS_VCARD_UPDATE } from "./ns.js";
import type { Room } from "./room.js";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** XEP-0153 §3.1: the SHA-1 (hex) of the decoded PHOTO/BINVAL; "" without one; null when it is not Base64. */
export function photoHash(vcard: Element): string | null {
  const text = vcard.getChild("PHOTO")?.getChild("BINVAL")?.getText().replace(/\s+/g, "") ?? "";
  if (text === "") return "";
  if (!BASE64.test(text)) return null;
  return createHash("sha1").update(Buffer.from(text, "base64")).digest("hex");
}

export function getVcard(room: Room): IqResult {
  return (room.vcard && parseXml(room.vcard.xml)) || xml("vCard", { xmlns: NS_VCARD });
}

export async function setVcard(ctx: ServiceContext, room: Room, event: StanzaEvent, vcard: Element): Promise<IqResult> {
  if (room.affiliationOf(event.from.bare) !== "owner") return new StanzaError("forbidden", "only owners may set the room's vCard");
  const serialized = vcard.toString();
  if (Buffer.byteLength(serialized, "utf8") > ctx.options.maxVcardBytes) return new StanzaError("not-acceptable", `a room vCard may not exceed ${ctx.options.maxVcardBytes} bytes`);
  const hash = photoHash(vcard);
  if (hash === null) return new StanzaError("bad-request", "PHOTO/BINVAL is not Base64");
  const before = room.vcard?.hash ?? "";
  room.vcard = vcard.getChildElements().length === 0 ? null : { xml: serialized, hash };
  if (hash !== before) {
    const p = stanza("presence", { from: room.jid });
    p.cnode(xml("x", { xmlns: NS_VCARD_UPDATE }, hash ? xml("photo", null, hash) : xml("photo")));
    const out = new Outgoing(p);
    for (const s of room.recipients()) out.deliver(s, ctx.route);
  }
  await ctx.save(room);
  return null;
}
