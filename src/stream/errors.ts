/** Stream errors (RFC 6120 §4.9.3). A stream error is unrecoverable: it is sent, then the stream is closed. */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";

export const NS_STREAMS = "http://etherx.jabber.org/streams";
export const NS_XMPP_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";

export const STREAM_CONDITIONS = [
  "bad-format", "bad-namespace-prefix", "conflict", "connection-timeout", "host-gone", "host-unknown",
  "improper-addressing", "internal-server-error", "invalid-from", "invalid-namespace", "invalid-xml",
  "not-authorized", "not-well-formed", "policy-violation", "remote-connection-failed", "reset",
  "resource-constraint", "restricted-xml", "see-other-host", "system-shutdown", "undefined-condition",
  "unsupported-encoding", "unsupported-feature", "unsupported-stanza-type", "unsupported-version",
] as const;

export type StreamErrorCondition = (typeof STREAM_CONDITIONS)[number];

/** A stream error; `appCondition` is an application-specific condition element (RFC 6120 §4.9.4). */
export function streamErrorElement(condition: StreamErrorCondition, text?: string, appCondition?: Element): Element {
  return xml("stream:error", null,
    xml(condition, { xmlns: NS_XMPP_STREAMS }),
    appCondition ?? null,
    text ? xml("text", { xmlns: NS_XMPP_STREAMS, "xml:lang": "en" }, text) : null,
  );
}
