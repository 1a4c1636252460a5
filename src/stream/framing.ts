/**
 * How a stream is opened and closed on the wire. TCP (RFC 6120 §4.2) wraps everything in one
 * <stream:stream> element; WebSocket (RFC 7395 §3.3) sends <open/> and <close/> as whole elements.
 */
import { escapeXML } from "@xmpp/xml";
import { NS_STREAMS } from "./errors.js";

export const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";

export interface Framing {
  readonly parserMode: "stream" | "framed";
  /**
   * Every chunk the transport delivers is one whole message that must hold exactly one complete top-level
   * element (RFC 7395 §3.3.3: WebSocket messages are standalone XML documents, one element each).
   */
  readonly oneElementPerMessage?: boolean;
  open(attrs: Record<string, string>): string;
  close(): string;
}

// Header values (ids, domains, "1.0", "en") almost never hold a character to escape: test once, escape rarely.
const NEEDS_ESCAPE = /[&<>"']/;

function attrString(attrs: Record<string, string>): string {
  let s = "";
  for (const k in attrs) {
    const v = attrs[k]!;
    s += ` ${k}='${NEEDS_ESCAPE.test(v) ? escapeXML(v) : v}'`;
  }
  return s;
}

export const tcpFraming: Framing = {
  parserMode: "stream",
  open: (attrs) => `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='${NS_STREAMS}'${attrString(attrs)}>`,
  close: () => "</stream:stream>",
};

export const websocketFraming: Framing = {
  parserMode: "framed",
  oneElementPerMessage: true,
  open: (attrs) => `<open xmlns='${NS_FRAMING}'${attrString(attrs)}/>`,
  close: () => `<close xmlns='${NS_FRAMING}'/>`,
};

const NS_CLIENT_DECL = " xmlns='jabber:client'";

/**
 * Over TCP a stanza inherits `jabber:client` from the stream header, so the server serialises stanzas without
 * it (once, for every recipient). Framed transports have no enclosing element: a WebSocket message must carry all
 * its namespace declarations (RFC 7395 §3.3.3), and in BOSH the enclosing <body/> has the httpbind namespace
 * (XEP-0206 §5 shows stanzas qualified by jabber:client). `xml` is one serialised top-level element; a
 * message, presence or iq without its own xmlns gets `xmlns='jabber:client'`, anything else is returned as is.
 */
export function qualifyStanza(xml: string): string {
  let nameEnd: number;
  if (xml.startsWith("<message")) nameEnd = 8;
  else if (xml.startsWith("<presence")) nameEnd = 9;
  else if (xml.startsWith("<iq")) nameEnd = 3;
  else return xml;
  const after = xml.charCodeAt(nameEnd);
  // The name must end there (">", "/" or white space), so <iqx/> or <message2> are left alone.
  if (after !== 62 && after !== 47 && after !== 32 && after !== 9 && after !== 10 && after !== 13) return xml;
  // Serialised attribute values escape '>', so the first '>' ends the start tag.
  const tagEnd = xml.indexOf(">");
  const xmlns = xml.indexOf(" xmlns=", nameEnd);
  if (xmlns !== -1 && xmlns < tagEnd) return xml;
  return xml.slice(0, nameEnd) + NS_CLIENT_DECL + xml.slice(nameEnd);
}
