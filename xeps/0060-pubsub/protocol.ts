/**
 * XEP-0060 elements built in one place: items and event notifications (§7.1.2, §7.2.2.1, §8.2.5.3, §8.4.2,
 * §8.5.2), results (§6.5, §7.1.2), and publish requests to a pubsub service (§7.1.1, with §7.1.5
 * publish-options) for modules that publish elsewhere (e.g. XEP-0357 push notifications to an app server).
 */
import { xml } from "@xmpp/xml";
import { clone, type Element } from "ltx";
import { addDelay } from "../../src/xml/delay.js";
import { configForm, type NodeConfig } from "./config.js";
import { buildForm } from "../0004-data-forms/form.js";
import { FORM_PUBLISH_OPTIONS, NS_ADDRESS, NS_PUBSUB, NS_PUBSUB_EVENT } from "./ns.js";
import type { PubsubEvent } from "./service.js";
import type { StoredItem } from "./store.js";

/** An <item/> (§7.1.1): with its payload unless notifications carry none (pubsub#deliver_payloads false). */
export function itemElement(item: Pick<StoredItem, "id" | "payload">, withPayload = true): Element {
  return xml("item", { id: item.id }, withPayload && item.payload ? clone(item.payload) : null);
}

/** The <event xmlns='…#event'/> for one event (§7.1.2.1-2, §7.2.2.1, §8.2.5.3, §8.4.2, §8.5.2). */
export function eventElement(event: PubsubEvent): Element {
  const { node, config } = event.rec;
  switch (event.kind) {
    case "items":
      return xml("event", { xmlns: NS_PUBSUB_EVENT }, xml("items", { node }, event.items.map((i) => itemElement(i, config.deliver_payloads))));
    case "retract":
      return xml("event", { xmlns: NS_PUBSUB_EVENT }, xml("items", { node }, event.ids.map((id) => xml("retract", { id }))));
    case "purge":
      return xml("event", { xmlns: NS_PUBSUB_EVENT }, xml("purge", { node }));
    case "delete":
      return xml("event", { xmlns: NS_PUBSUB_EVENT }, xml("delete", { node }, event.redirect ? xml("redirect", { uri: event.redirect }) : null));
    case "configuration":
      // §8.2.5.3: the configuration form only when the node delivers payloads.
      return xml("event", { xmlns: NS_PUBSUB_EVENT }, xml("configuration", { node }, config.deliver_payloads ? configForm(config, "result") : null));
  }
}

export interface NotificationOptions {
  from: string;
  to: string;
  /** §7.1.2: a unique id, so that errors the notification causes can be traced back (§12.4). */
  id: string;
  type: NodeConfig["notification_type"];
  /** XEP-0163 §4.3.1 rule 3: the publishing resource, as an XEP-0033 replyto address. */
  replyTo?: string;
  /** §6.1.7 / XEP-0163 §4.3.4: a last published item sent later than it was published, stamped (XEP-0203). */
  delayed?: { when: number; by: string };
}

/** A notification <message/> carrying `event`. */
export function notificationMessage(event: Element, o: NotificationOptions): Element {
  const m = xml("message", { from: o.from, to: o.to, id: o.id, type: o.type }, clone(event),
    o.replyTo ? xml("addresses", { xmlns: NS_ADDRESS }, xml("address", { type: "replyto", jid: o.replyTo })) : null);
  if (o.delayed) addDelay(m, o.delayed.when, o.delayed.by);
  return m;
}

/** §6.5 result: <pubsub><items node='…'>…</items></pubsub>. */
export function itemsResult(node: string, items: readonly StoredItem[]): Element {
  return xml("pubsub", { xmlns: NS_PUBSUB }, xml("items", { node }, items.map((i) => itemElement(i))));
}

/**
 * §7.1.1 a publish request's <pubsub/> payload (wrap it in an IQ set to the service): one item, with
 * publish-options preconditions (§7.1.5) as field var -> value(s), e.g. { "pubsub#access_model": "whitelist" }.
 */
export function publishRequest(node: string, item: { id?: string; payload: Element | null }, options?: Record<string, string | readonly string[]>): Element {
  const fields = Object.entries(options ?? {}).map(([v, value]) => ({ var: v, values: typeof value === "string" ? [value] : value }));
  return xml("pubsub", { xmlns: NS_PUBSUB },
    xml("publish", { node }, xml("item", { id: item.id }, item.payload ? clone(item.payload) : null)),
    fields.length > 0 ? xml("publish-options", null, buildForm("submit", FORM_PUBLISH_OPTIONS, fields)) : null,
  );
}
