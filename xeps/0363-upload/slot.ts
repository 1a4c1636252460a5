/**
 * Slot requests (XEP-0363 §4 and §4.1-§4.4 purposes, §5 errors) as pure decisions: read the <request/>, check it
 * against the service's limits and the user's usage, and build the <slot/> or the error.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { filenameProblem, normaliseType, typeAccepted } from "./files.js";

export const NS = "urn:xmpp:http:upload:0";
export const NS_PURPOSE = "urn:xmpp:http:upload:purpose:0";

export interface SlotRequest {
  filename: string;
  size: number;
  /** Normalised content type (files.ts). */
  type: string;
  /** §4.3 ephemeral: ms since the epoch before which the file must stop being served. */
  until?: number;
}

export interface SlotPolicy {
  maxFileSize: number;
  /** Bytes per user; 0: no quota. */
  quota: number;
  allowTypes: readonly string[];
  denyTypes: readonly string[];
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** XEP-0082 DateTime in UTC, to the second. */
export const xep0082 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** §4: the filename and size attributes (required) and content-type (optional); §4.3 an ephemeral purpose. */
export function parseRequest(el: Element, now: number): { ok: true; request: SlotRequest } | { ok: false; error: StanzaError } {
  const bad = (text: string) => ({ ok: false as const, error: new StanzaError("bad-request", text) });
  const filename = el.attrs.filename;
  if (typeof filename !== "string") return bad("the request needs a filename");
  const problem = filenameProblem(filename);
  if (problem) return bad(problem);
  const sizeText = el.attrs.size;
  if (typeof sizeText !== "string" || !/^\d{1,15}$/.test(sizeText.trim())) return bad("the request needs a size in bytes");
  const type = normaliseType(el.attrs["content-type"]);
  if (type === null) return bad("the content-type is not a media type");
  const request: SlotRequest = { filename, size: Number(sizeText.trim()), type };
  const ephemeral = el.getChild("ephemeral", NS_PURPOSE);
  if (ephemeral) {
    const stamp = ephemeral.attrs["expire-before"];
    const until = typeof stamp === "string" && DATETIME.test(stamp.trim()) ? Date.parse(stamp.trim()) : NaN;
    if (Number.isNaN(until)) return bad("expire-before must be an XEP-0082 DateTime");
    if (until <= now) return bad("expire-before is in the past");
    request.until = until;
  }
  return { ok: true, request };
}

/** §5 "file too large", with the limit in <file-too-large/>. */
export function fileTooLarge(max: number): StanzaError {
  return new StanzaError("not-acceptable", `File too large. The maximum file size is ${max} bytes`, "modify",
    xml("file-too-large", { xmlns: NS }, xml("max-file-size", null, String(max))));
}

/**
 * Whether the request may have a slot: size within the limit (§5 not-acceptable + file-too-large), an accepted
 * type, and room in the user's quota (§5 resource-constraint, with <retry/> at the time the user's next file
 * expires, when one does). `used` is what the user stores now.
 */
export function checkRequest(r: SlotRequest, p: SlotPolicy, used: { bytes: number; nextExpiry: number | null }): StanzaError | null {
  if (r.size > p.maxFileSize) return fileTooLarge(p.maxFileSize);
  if (!typeAccepted(r.type, p.allowTypes, p.denyTypes)) return new StanzaError("not-acceptable", `files of type ${r.type} are not accepted here`, "modify");
  if (p.quota > 0 && used.bytes + r.size > p.quota) {
    const retry = used.nextExpiry !== null ? xml("retry", { xmlns: NS, stamp: xep0082(used.nextExpiry) }) : undefined;
    const left = Math.max(0, p.quota - used.bytes);
    return new StanzaError("resource-constraint", `Quota reached: ${left} of your ${p.quota} bytes are left`, "wait", retry);
  }
  return null;
}

/** §4: the slot, with the PUT's Authorization header. */
export function slotElement(putUrl: string, getUrl: string, token: string): Element {
  return xml("slot", { xmlns: NS },
    xml("put", { url: putUrl }, xml("header", { name: "Authorization" }, `Bearer ${token}`)),
    xml("get", { url: getUrl }),
  );
}
