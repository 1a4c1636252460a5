/**
 * The BOSH wire format (XEP-0124 version 1.11.2, XEP-0206 version 1.4): reading a request's <body/> wrapper into
 * its attributes and payloads, and writing response wrappers. Pure functions, no state.
 */
import type { Element } from "ltx";
import { escapeXML } from "@xmpp/xml";
import { StreamParser, type ParserLimits } from "../xml/parser.js";
import { NS_STREAMS, NS_XMPP_STREAMS } from "../stream/errors.js";

export const NS_HTTPBIND = "http://jabber.org/protocol/httpbind";
export const NS_XBOSH = "urn:xmpp:xbosh";
const NS_CLIENT = "jabber:client";
/** The protocol version this connection manager speaks (XEP-0124 §7.2 'ver'). */
export const BOSH_VERSION = "1.11";
/** XEP-0124 §14.1: rids stay below 2^53 so every client can count them exactly. */
export const MAX_RID = Number.MAX_SAFE_INTEGER;

/** XEP-0124 §17.2 terminal binding conditions. */
export type TerminalCondition =
  | "bad-request" | "host-gone" | "host-unknown" | "improper-addressing" | "internal-server-error"
  | "item-not-found" | "other-request" | "policy-violation" | "remote-connection-failed"
  | "remote-stream-error" | "see-other-uri" | "system-shutdown" | "undefined-condition";

/** XEP-0124 §17.1: what a legacy client (one that sent no 'ver') gets instead of some terminal conditions. */
export const LEGACY_HTTP_STATUS: Partial<Record<TerminalCondition, number>> = {
  "bad-request": 400,
  "policy-violation": 403,
  "item-not-found": 404,
};

export interface BoshRequest {
  rid: number;
  /** Absent on a session creation request (§7.1). */
  sid: string | null;
  /** The <body/> attributes as sent (prefixed names as written). */
  attrs: Record<string, string>;
  /** The payloads, one serialised element each, with the namespaces they had inside <body/>. */
  payloads: string[];
  /** type='terminate' (§12). */
  terminate: boolean;
  /** xmpp:restart='true' (XEP-0206 §5). */
  restart: boolean;
  /** 'pause' in seconds (§10), or null. */
  pause: number | null;
  /** 'ack': the highest rid the client has all responses up to (§9.2), or null. */
  ack: number | null;
  /** The xbosh namespace's 'version' attribute (XEP-0206 §4), or null. */
  xmppVersion: string | null;
}

export type ParseResult = { ok: true; req: BoshRequest } | { ok: false; text: string };

const INTEGER = /^[0-9]{1,16}$/;

/** A non-negative integer attribute; undefined when absent, NaN when malformed or beyond 2^53-1. */
export function intAttr(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!INTEGER.test(v)) return NaN;
  const n = Number(v);
  return n <= MAX_RID ? n : NaN;
}

/** Compare "major.minor" versions as two integers (§7.1: the minor number may exceed 9). */
export function lowerVersion(a: string, b: string): string {
  const pa = /^(\d+)\.(\d+)$/.exec(a);
  const pb = /^(\d+)\.(\d+)$/.exec(b);
  if (!pa) return b;
  if (!pb) return a;
  const [ma, na, mb, nb] = [Number(pa[1]), Number(pa[2]), Number(pb[1]), Number(pb[2])];
  return ma < mb || (ma === mb && na <= nb) ? a : b;
}

function localName(name: string): string {
  const c = name.indexOf(":");
  return c === -1 ? name : name.slice(c + 1);
}

/** Every namespace prefix used in `el`'s subtree (element and attribute names). */
function prefixesUsed(el: Element, into: Set<string>): void {
  const c = el.name.indexOf(":");
  if (c !== -1) into.add(el.name.slice(0, c));
  for (const a in el.attrs) {
    const ac = a.indexOf(":");
    if (ac !== -1 && !a.startsWith("xmlns:") && !a.startsWith("xml:")) into.add(a.slice(0, ac));
  }
  for (const child of el.children) if (typeof child !== "string") prefixesUsed(child as Element, into);
}

/**
 * One payload as the stream will read it on its own: the declarations it relied on from <body/> are copied onto
 * it. A stanza without its own xmlns is, strictly, in the httpbind namespace; clients that omit
 * xmlns='jabber:client' mean jabber:client, so that is what it gets.
 */
function payloadXml(child: Element, body: Element): string {
  if (child.attrs.xmlns === undefined && child.name.indexOf(":") === -1) child.attrs.xmlns = NS_CLIENT;
  else if (child.attrs.xmlns === NS_HTTPBIND) child.attrs.xmlns = NS_CLIENT;
  const used = new Set<string>();
  prefixesUsed(child, used);
  for (const p of used) {
    const key = `xmlns:${p}`;
    if (child.attrs[key] === undefined && body.attrs[key] !== undefined) child.attrs[key] = body.attrs[key];
  }
  child.parent = null;
  return child.toString();
}

/**
 * Parse a request body. It must be exactly one <body/> in the httpbind namespace (§5) whose children are
 * complete elements and no text; restricted XML and the limits apply as on any stream.
 */
export function parseBoshBody(data: Buffer | string, limits: ParserLimits): ParseResult {
  let text = typeof data === "string" ? data : null;
  let bytes = typeof data === "string" ? null : data;
  // An XML declaration before <body/> is tolerated (some clients send one); any other prolog is refused.
  const head = (text ?? bytes!.subarray(0, 128).toString("latin1")).replace(/^\uFEFF/, "");
  const decl = /^\s*<\?xml\s[^>]*\?>/.exec(head);
  if (decl) {
    if (/encoding\s*=\s*["'](?!utf-8["'])/i.test(decl[0])) return { ok: false, text: "only UTF-8 is supported" };
    if (text !== null) text = head.slice(decl[0].length);
    else bytes = bytes!.subarray(Buffer.byteLength(decl[0], "latin1"));
  }
  const found: Array<[Element, string]> = [];
  let error: string | null = null;
  const parser = new StreamParser({
    streamOpen: () => {},
    element: (el, ns) => { found.push([el, ns]); },
    streamClose: () => {},
    error: (condition, message) => { error ??= `${condition}: ${message}`; },
  }, limits, "framed");
  parser.write(text ?? bytes!);
  if (error) return { ok: false, text: error };
  if (found.length !== 1 || parser.inElement) return { ok: false, text: "the request must be one complete <body/> element" };
  const [body, ns] = found[0]!;
  if (localName(body.name) !== "body" || ns !== NS_HTTPBIND) return { ok: false, text: `expected <body xmlns='${NS_HTTPBIND}'/>` };
  for (const c of body.children) {
    if (typeof c === "string" && c.trim() !== "") return { ok: false, text: "<body/> may not contain character data" };
  }
  const a = body.attrs;
  const rid = intAttr(a.rid);
  if (rid === undefined || Number.isNaN(rid) || rid === 0) return { ok: false, text: "a positive integer 'rid' is required" };
  const pause = intAttr(a.pause);
  const ack = intAttr(a.ack);
  if (Number.isNaN(pause) || Number.isNaN(ack)) return { ok: false, text: "'pause' and 'ack' must be integers" };
  let xbosh: string | null = null;
  for (const k in a) if (k.startsWith("xmlns:") && a[k] === NS_XBOSH) xbosh = k.slice(6);
  const restart = xbosh !== null && /^(true|1)$/.test(a[`${xbosh}:restart`] ?? "");
  const payloads = body.getChildElements().map((child) => payloadXml(child, body));
  return {
    ok: true,
    req: {
      rid,
      sid: a.sid ?? null,
      attrs: a,
      payloads,
      terminate: a.type === "terminate",
      restart,
      pause: pause ?? null,
      ack: ack ?? null,
      xmppVersion: xbosh !== null ? a[`${xbosh}:version`] ?? null : null,
    },
  };
}

export type BodyAttrs = Record<string, string | number | undefined>;

/** A response <body/> wrapping already serialised payloads. */
export function responseBody(attrs: BodyAttrs, payload = ""): string {
  let s = `<body xmlns='${NS_HTTPBIND}'`;
  if (payload.includes("<stream:")) s += ` xmlns:stream='${NS_STREAMS}'`;
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== undefined) s += ` ${k}='${escapeXML(String(v))}'`;
  }
  return payload ? `${s}>${payload}</body>` : `${s}/>`;
}

/** §17.2: a terminal binding error; see-other-uri carries the other endpoint in <uri/>. */
export function terminalBody(condition: TerminalCondition | null, payload = "", uri?: string): string {
  const inner = uri ? `<uri>${escapeXML(uri)}</uri>${payload}` : payload;
  return responseBody({ type: "terminate", condition: condition ?? undefined }, inner);
}

/** §17.3: a recoverable binding error: the client resends the requests it has no answer for. */
export function recoverableBody(): string {
  return responseBody({ type: "error" });
}

/**
 * How a stream error reaches a BOSH client. XEP-0124 §17.2 has conditions of its own for a host the server does
 * not serve or a shutdown; anything else is remote-stream-error with a copy of the <stream:error/> (XEP-0206 §6).
 */
export function terminalForStreamError(streamError: string | null): { condition: TerminalCondition | null; includeError: boolean } {
  if (streamError === null) return { condition: null, includeError: false };
  const m = new RegExp(`<([a-z-]+) xmlns=["']${NS_XMPP_STREAMS}["']`).exec(streamError);
  switch (m?.[1]) {
    case "host-unknown": return { condition: "host-unknown", includeError: false };
    case "host-gone": return { condition: "host-gone", includeError: false };
    case "improper-addressing": return { condition: "improper-addressing", includeError: false };
    case "system-shutdown": return { condition: "system-shutdown", includeError: false };
    default: return { condition: "remote-stream-error", includeError: true };
  }
}
