/**
 * XEP-0060 IQ requests (<pubsub/> in the pubsub and pubsub#owner namespaces) read into calls of a
 * PubsubService, and their results written back (§5.6-§8.9). The service address is the caller's choice (the
 * account's bare JID for PEP); what the operations cause is handed to the host to deliver.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { parseJid, type Jid } from "../../src/jid.js";
import type { IqResult } from "../../src/modules.js";
import type { StanzaError } from "../../src/xml/stanza-error.js";
import { configForm, readOptions } from "./config.js";
import { formIn, readForm } from "../0004-data-forms/form.js";
import { FORM_NODE_CONFIG, FORM_PUBLISH_OPTIONS, NS_PUBSUB, NS_PUBSUB_OWNER, pubsubError, unsupported } from "./ns.js";
import { itemsResult } from "./protocol.js";
import { standalone } from "./xml.js";
import type { PubsubEvent, PubsubService } from "./service.js";
import type { NodeRecord, SubscriptionRecord } from "./store.js";

export interface PubsubHost {
  /** Deliver what an operation caused; `actor` is the full JID of whoever caused it. */
  notify(service: string, events: PubsubEvent[], actor: Jid): void;
  /** §6.1.7: a new explicit subscription (the host sends the last published item if the node says so). */
  subscribed(service: string, rec: NodeRecord, sub: SubscriptionRecord): void;
}

const subscriptionElement = (node: string | undefined, s: SubscriptionRecord) =>
  xml("subscription", { node, jid: s.jid, subid: s.subid, subscription: "subscribed" });

/** The one request element of a <pubsub/>, and what may accompany it (§7.1.5 publish-options, §8.1.3 configure). */
function actionOf(payload: Element): { action: Element; companions: Element[] } | StanzaError {
  const children = payload.getChildElements();
  const companions = children.filter((c) => c.name === "publish-options" || (c.name === "configure" && children.some((o) => o.name === "create")) || (c.name === "options" && children.some((o) => o.name === "subscribe")));
  const actions = children.filter((c) => !companions.includes(c));
  if (actions.length !== 1) return pubsubError("bad-request", undefined, { text: "a <pubsub/> request holds exactly one action" });
  return { action: actions[0]!, companions };
}

/** A required JID attribute, parsed. */
function jidAttr(el: Element): Jid | StanzaError {
  const parsed = parseJid(el.attrs.jid ?? "");
  return parsed.ok ? parsed.jid : pubsubError("bad-request", "invalid-jid", { text: `"${el.attrs.jid ?? ""}" is not a JID` });
}

export class PubsubIqHandler {
  constructor(private readonly svc: PubsubService, private readonly host: PubsubHost) {}

  /** IQ get/set with <pubsub xmlns='http://jabber.org/protocol/pubsub'/> to `service`. */
  async user(type: "get" | "set", service: string, from: Jid, payload: Element): Promise<IqResult> {
    const parsed = actionOf(payload);
    if (!("action" in parsed)) return parsed;
    const { action, companions } = parsed;
    const node: string | undefined = action.attrs.node;
    switch (`${type} ${action.name}`) {
      case "get items": return this.items(service, from, action);
      case "get subscriptions": {
        const subs = await this.svc.subscriptionsOf(service, from, node);
        return xml("pubsub", { xmlns: NS_PUBSUB }, xml("subscriptions", { node }, subs.map((s) => subscriptionElement(s.node, s.sub))));
      }
      case "get affiliations": {
        const affs = await this.svc.affiliationsOf(service, from, node);
        return xml("pubsub", { xmlns: NS_PUBSUB }, xml("affiliations", { node }, affs.map((a) => xml("affiliation", { node: a.node, affiliation: a.affiliation }))));
      }
      case "set publish": return this.publish(service, from, action, companions.find((c) => c.name === "publish-options"));
      case "set retract": {
        const r = await this.svc.retract(service, from, node ?? "", action.getChild("item")?.attrs.id, parseNotify(action.attrs.notify));
        if (!r.ok) return r.error;
        this.host.notify(service, r.events, from);
        return null;
      }
      case "set create": {
        const x = formIn(companions.find((c) => c.name === "configure"));
        let options = {};
        if (x) {
          const form = readForm(x);
          if (form.formType !== undefined && form.formType !== FORM_NODE_CONFIG) return pubsubError("bad-request", undefined, { text: `the configuration form's FORM_TYPE must be ${FORM_NODE_CONFIG}` });
          const read = readOptions(form.fields, this.svc.limits, "ignore");
          if (!read.ok) return read.error;
          options = read.value;
        }
        const r = await this.svc.create(service, from, node, options);
        return r.ok ? xml("pubsub", { xmlns: NS_PUBSUB }, xml("create", { node: r.node })) : r.error;
      }
      case "set subscribe": {
        const jid = jidAttr(action);
        if (!("bare" in jid)) return jid;
        if (node === undefined) return pubsubError("bad-request", "nodeid-required");
        const r = await this.svc.subscribe(service, from, node, jid);
        if (!r.ok) return r.error;
        if (r.isNew) this.host.subscribed(service, r.rec, r.sub);
        return xml("pubsub", { xmlns: NS_PUBSUB }, subscriptionElement(node, r.sub));
      }
      case "set unsubscribe": {
        const jid = jidAttr(action);
        if (!("bare" in jid)) return jid;
        if (node === undefined) return pubsubError("bad-request", "nodeid-required");
        const r = await this.svc.unsubscribe(service, from, node, jid, action.attrs.subid);
        return r.ok ? null : r.error;
      }
      case "get options": case "set options": return unsupported("subscription-options");
      case "get default": return unsupported("retrieve-default-sub");
      default: return pubsubError("feature-not-implemented", undefined, { text: `<${action.name}/> (${type}) is not a pubsub request this service knows` });
    }
  }

  /** IQ get/set with <pubsub xmlns='http://jabber.org/protocol/pubsub#owner'/> to `service` (§8). */
  async owner(type: "get" | "set", service: string, from: Jid, payload: Element): Promise<IqResult> {
    const children = payload.getChildElements();
    if (children.length !== 1) return pubsubError("bad-request", undefined, { text: "a <pubsub/> request holds exactly one action" });
    const action = children[0]!;
    const node: string | undefined = action.attrs.node;
    const owner = (...content: Element[]) => xml("pubsub", { xmlns: NS_PUBSUB_OWNER }, ...content);
    if (`${type} ${action.name}` === "get default") return owner(xml("default", null, configForm(this.svc.defaults())));
    if (node === undefined || node === "") return pubsubError("bad-request", "nodeid-required");
    switch (`${type} ${action.name}`) {
      case "get configure": {
        const r = await this.svc.configuration(service, from, node);
        return r.ok ? owner(xml("configure", { node }, configForm(r.rec.config))) : r.error;
      }
      case "set configure": {
        const x = formIn(action);
        if (!x) return pubsubError("bad-request", undefined, { text: "submit a configuration form" });
        const form = readForm(x);
        if (form.type === "cancel") {
          // §8.2.4: cancelling keeps the configuration (the node must still exist and be the requester's).
          const r = await this.svc.configuration(service, from, node);
          return r.ok ? null : r.error;
        }
        if (form.formType !== undefined && form.formType !== FORM_NODE_CONFIG) return pubsubError("bad-request", undefined, { text: `the FORM_TYPE must be ${FORM_NODE_CONFIG}` });
        const r = await this.svc.configure(service, from, node, form.fields);
        if (!r.ok) return r.error;
        this.host.notify(service, r.events, from);
        return null;
      }
      case "set delete": {
        const r = await this.svc.deleteNode(service, from, node, action.getChild("redirect")?.attrs.uri);
        if (!r.ok) return r.error;
        this.host.notify(service, r.events, from);
        return null;
      }
      case "set purge": {
        const r = await this.svc.purge(service, from, node);
        if (!r.ok) return r.error;
        this.host.notify(service, r.events, from);
        return null;
      }
      case "get subscriptions": {
        const r = await this.svc.configuration(service, from, node);
        if (!r.ok) return r.error;
        return owner(xml("subscriptions", { node }, r.rec.subscriptions.map((s) => subscriptionElement(undefined, s))));
      }
      case "set subscriptions": {
        const changes: { jid: Jid; subscription: string }[] = [];
        for (const s of action.getChildren("subscription")) {
          const jid = jidAttr(s);
          if (!("bare" in jid)) return jid;
          if (s.attrs.subscription !== undefined) changes.push({ jid, subscription: s.attrs.subscription });
        }
        const r = await this.svc.setSubscriptions(service, from, node, changes);
        return r.ok ? null : r.error;
      }
      case "get affiliations": {
        const r = await this.svc.configuration(service, from, node);
        if (!r.ok) return r.error;
        return owner(xml("affiliations", { node }, Object.entries(r.rec.affiliations).map(([jid, affiliation]) => xml("affiliation", { jid, affiliation }))));
      }
      case "set affiliations": {
        const changes: { jid: Jid; affiliation: string }[] = [];
        for (const a of action.getChildren("affiliation")) {
          const jid = jidAttr(a);
          if (!("bare" in jid)) return jid;
          if (a.attrs.affiliation !== undefined) changes.push({ jid, affiliation: a.attrs.affiliation });
        }
        const r = await this.svc.setAffiliations(service, from, node, changes);
        return r.ok ? null : r.error;
      }
      default: return pubsubError("feature-not-implemented", undefined, { text: `<${action.name}/> (${type}) is not an owner request this service knows` });
    }
  }

  /** §6.5: all items, the most recent `max_items`, or the items named. */
  private async items(service: string, from: Jid, action: Element): Promise<IqResult> {
    const node = action.attrs.node;
    if (node === undefined || node === "") return pubsubError("bad-request", "nodeid-required");
    let max: number | undefined;
    if (action.attrs.max_items !== undefined) {
      max = Number(action.attrs.max_items);
      if (!/^[0-9]+$/.test(action.attrs.max_items) || max < 1) return pubsubError("bad-request", undefined, { text: "max_items is a positive number" });
    }
    const ids: string[] = [];
    for (const i of action.getChildren("item")) {
      if (!i.attrs.id) return pubsubError("bad-request", "item-required");
      ids.push(i.attrs.id);
    }
    const r = await this.svc.items(service, from, node, { ids, max });
    return r.ok ? itemsResult(node, r.items) : r.error;
  }

  /** §7.1: one item at most (§7.1.1), with its single payload; publish-options read strictly (§7.1.5). */
  private async publish(service: string, from: Jid, action: Element, options: Element | undefined): Promise<IqResult> {
    const node = action.attrs.node;
    const items = action.getChildren("item");
    if (items.length > 1) return pubsubError("bad-request", "invalid-payload", { text: "one item per publication" });
    const item = items[0];
    let preconditions;
    if (options) {
      const x = formIn(options);
      if (x) {
        const form = readForm(x);
        if (form.formType !== FORM_PUBLISH_OPTIONS) return pubsubError("bad-request", undefined, { text: `the publish-options form's FORM_TYPE must be ${FORM_PUBLISH_OPTIONS}` });
        if (form.duplicate) return pubsubError("bad-request", undefined, { text: `${form.duplicate} is given twice` });
        const read = readOptions(form.fields, this.svc.limits, "reject");
        if (!read.ok) return read.error;
        preconditions = read.value;
      }
    }
    const payloads = item?.getChildElements() ?? [];
    const r = await this.svc.publish(service, from, {
      node: node ?? "",
      item: item ? { id: item.attrs.id || undefined, payload: payloads[0] ? standalone(payloads[0]) : null, extra: Math.max(0, payloads.length - 1) } : null,
      preconditions,
    });
    if (!r.ok) return r.error;
    this.host.notify(service, r.events, from);
    return xml("pubsub", { xmlns: NS_PUBSUB }, xml("publish", { node }, r.id !== undefined ? xml("item", { id: r.id }) : null));
  }
}

/** The retract 'notify' attribute (§7.2.2.1): "true"/"1", "false"/"0", or absent. */
function parseNotify(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return v === "true" || v === "1";
}
