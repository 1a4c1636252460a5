/**
 * How a stream is opened and closed on the wire. TCP (RFC 6120 §4.2) wraps everything in one
 * <stream:stream> element; WebSocket (RFC 7395 §3.3) sends <open/> and <close/> as whole elements.
 */
import { escapeXML } from "@xmpp/xml";
import { NS_STREAMS } from "./errors.js";

export const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";

export interface Framing {
  readonly parserMode: "stream" | "framed";
  open(attrs: Record<string, string>): string;
  close(): string;
}

function attrString(attrs: Record<string, string>): string {
  let s = "";
  for (const k in attrs) s += ` ${k}='${escapeXML(attrs[k]!)}'`;
  return s;
}

export const tcpFraming: Framing = {
  parserMode: "stream",
  open: (attrs) => `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='${NS_STREAMS}'${attrString(attrs)}>`,
  close: () => "</stream:stream>",
};

export const websocketFraming: Framing = {
  parserMode: "framed",
  open: (attrs) => `<open xmlns='${NS_FRAMING}'${attrString(attrs)}/>`,
  close: () => `<close xmlns='${NS_FRAMING}'/>`,
};
