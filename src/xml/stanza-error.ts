/**
 * Stanza errors (RFC 6120 §8.3) as values: IQ handlers return them, the router turns them into replies.
 */
import { xml } from "@xmpp/xml";
import { clone, type Element } from "ltx";

export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

export type ErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

/** RFC 6120 §8.3.3, with the type §8.3.3 recommends for each. */
export const STANZA_CONDITIONS = {
  "bad-request": "modify",
  "conflict": "cancel",
  "feature-not-implemented": "cancel",
  "forbidden": "auth",
  "gone": "cancel",
  "internal-server-error": "cancel",
  "item-not-found": "cancel",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "policy-violation": "modify",
  "recipient-unavailable": "wait",
  "redirect": "modify",
  "registration-required": "auth",
  "remote-server-not-found": "cancel",
  "remote-server-timeout": "wait",
  "resource-constraint": "wait",
  "service-unavailable": "cancel",
  "subscription-required": "auth",
  "undefined-condition": "cancel",
  "unexpected-request": "wait",
} as const satisfies Record<string, ErrorType>;

export type StanzaCondition = keyof typeof STANZA_CONDITIONS;

export class StanzaError {
  readonly type: ErrorType;
  constructor(
    readonly condition: StanzaCondition,
    readonly text?: string,
    type?: ErrorType,
    /** Application-specific condition element (RFC 6120 §8.3.2), e.g. a XEP's own error child. */
    readonly appCondition?: Element,
  ) {
    this.type = type ?? STANZA_CONDITIONS[condition];
  }

  toElement(by?: string): Element {
    return xml("error", { type: this.type, by },
      xml(this.condition, { xmlns: NS_STANZAS }),
      this.text ? xml("text", { xmlns: NS_STANZAS, "xml:lang": "en" }, this.text) : null,
      this.appCondition ?? null,
    );
  }
}

export function stanzaError(condition: StanzaCondition, text?: string, type?: ErrorType): StanzaError {
  return new StanzaError(condition, text, type);
}

/**
 * The error reply to a stanza (RFC 6120 §8.3.1): addresses swapped, same id, the original payload kept
 * so the sender can tell what failed. Returns null for stanzas that must never be answered with an error
 * (errors themselves and IQ results), which prevents error loops.
 */
export function errorReply(stanza: Element, error: StanzaError): Element | null {
  const type = stanza.attrs.type;
  if (type === "error" || (stanza.name === "iq" && type === "result")) return null;
  const reply = xml(stanza.name, { type: "error", id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from });
  if (stanza.name !== "iq") {
    for (const child of stanza.children) if (typeof child !== "string") reply.cnode(clone(child));
  } else {
    const payload = stanza.getChildElements()[0];
    if (payload) reply.cnode(clone(payload));
  }
  reply.cnode(error.toElement());
  return reply;
}
