/**
 * What the app server's answer to a publish means for the registration (XEP-0357 §5.1 "Publish Errors"): "If a
 * publish request is returned with an IQ-error, then the server SHOULD consider the particular JID and node
 * combination to be disabled. However, a server MAY choose to keep a service enabled if the error is deemed
 * recoverable or transient, until a sufficient number of errors have been received in a row."
 *
 * Transient: errors of type wait, and the conditions that say the app server could not be reached or was busy
 * for now (remote-server-not-found, remote-server-timeout: federation trouble; internal-server-error,
 * resource-constraint), and no answer at all. Everything else (item-not-found, not-authorized, forbidden,
 * service-unavailable, bad-request, ...: errors of type cancel, auth or modify) is permanent: the node is gone or
 * no longer accepts this server's publishes, and asking again would get the same answer.
 */
import type { Element } from "ltx";

export type Outcome = "ok" | "permanent" | "transient";

const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const TRANSIENT = new Set(["remote-server-not-found", "remote-server-timeout", "internal-server-error", "resource-constraint"]);

/** The condition and type of an IQ error (RFC 6120 §8.3). */
export function errorOf(iq: Element): { condition: string | undefined; type: string | undefined } {
  const error = iq.getChild("error");
  const condition = error?.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== "text")?.name;
  return { condition, type: error?.attrs.type };
}

export function classifyReply(iq: Element): Outcome {
  if (iq.attrs.type === "result") return "ok";
  const { condition, type } = errorOf(iq);
  if (type === "wait" || (condition !== undefined && TRANSIENT.has(condition))) return "transient";
  return "permanent";
}
