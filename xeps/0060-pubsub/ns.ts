/**
 * XEP-0060 Publish-Subscribe: namespaces, and the errors of §7-§8 as StanzaError values carrying the
 * pubsub-specific condition (schema `http://jabber.org/protocol/pubsub#errors`, §14).
 */
import { xml } from "@xmpp/xml";
import { StanzaError, type ErrorType, type StanzaCondition } from "../../src/xml/stanza-error.js";

export const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
export const NS_PUBSUB_OWNER = "http://jabber.org/protocol/pubsub#owner";
export const NS_PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";
export const NS_PUBSUB_ERRORS = "http://jabber.org/protocol/pubsub#errors";
export const NS_DATA = "jabber:x:data";
export const NS_ADDRESS = "http://jabber.org/protocol/address";

/** FORM_TYPEs of the registered forms (§16.4). */
export const FORM_NODE_CONFIG = "http://jabber.org/protocol/pubsub#node_config";
export const FORM_PUBLISH_OPTIONS = "http://jabber.org/protocol/pubsub#publish-options";
export const FORM_META_DATA = "http://jabber.org/protocol/pubsub#meta-data";

/** A feature name of §10 as disco#info lists it ("http://jabber.org/protocol/pubsub#publish"). */
export const feature = (name: string): string => `${NS_PUBSUB}#${name}`;

/** The pubsub-specific conditions of §14 that this implementation sends. */
export type PubsubCondition =
  | "closed-node" | "invalid-jid" | "invalid-payload" | "invalid-subid" | "item-forbidden" | "item-required"
  | "node-full" | "nodeid-required" | "not-in-roster-group" | "not-subscribed" | "payload-required"
  | "payload-too-big" | "precondition-not-met" | "presence-subscription-required" | "subid-required"
  | "unsupported" | "unsupported-access-model";

/**
 * A stanza error with a pubsub-specific condition. `feature` is for <unsupported feature='...'/> (§7-§8:
 * feature-not-implemented names the missing feature).
 */
export function pubsubError(condition: StanzaCondition, pubsub?: PubsubCondition, opts: { text?: string; feature?: string; type?: ErrorType } = {}): StanzaError {
  const app = pubsub ? xml(pubsub, { xmlns: NS_PUBSUB_ERRORS, feature: pubsub === "unsupported" ? opts.feature : undefined }) : undefined;
  return new StanzaError(condition, opts.text, opts.type, app);
}

/** §7-§8 "<unsupported feature='X'/>" with feature-not-implemented. */
export const unsupported = (feat: string, text?: string): StanzaError =>
  pubsubError("feature-not-implemented", "unsupported", { feature: feat, text });
