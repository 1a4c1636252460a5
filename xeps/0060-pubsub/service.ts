/**
 * A XEP-0060 publish-subscribe service over PubsubStore: the node, item, affiliation and subscription rules of
 * §5-§8, independent of how the service is addressed. A user's PEP service (XEP-0163) is one instance per
 * account; a pubsub component would be another. Operations return values (a result, or the StanzaError the
 * XEP prescribes) and the events they cause; delivering those events is the caller's business, since who is
 * notified depends on presence (PEP) or on stored subscriptions only (a component).
 *
 * Changes to one service run one at a time (a keyed queue), so concurrent publications to the same node
 * keep a consistent item order.
 */
import { randomBytes } from "node:crypto";
import type { Element } from "ltx";
import { KeyedQueue } from "../../src/keyed-queue.js";
import type { Jid } from "../../src/jid.js";
import type { StanzaError } from "../../src/xml/stanza-error.js";
import { accessDecision, AFFILIATIONS, denialError, mayPublish, type AccessDecision, type Affiliation, type Relation } from "./access.js";
import { effectiveMaxItems, readOptions, unmetPreconditions, type ConfigLimits, type NodeConfig } from "./config.js";
import { mostRecent, publishOrder, trimOrder } from "./items.js";
import { pubsubError, unsupported } from "./ns.js";
import type { NodeRecord, PubsubStore, StoredItem, SubscriptionRecord } from "./store.js";

export interface ServiceLimits extends ConfigLimits {
  /** Largest item payload, in bytes of serialised XML (§7.1.3.5 payload-too-big beyond it). */
  maxItemBytes: number;
  /** Most nodes one service holds. */
  maxNodes: number;
  /** Most explicit subscriptions one node holds. */
  maxSubscriptions: number;
}

export interface ServicePolicy {
  /** The configuration a new node starts from (§8.1.2, and auto-create §7.1.4). */
  defaults(): NodeConfig;
  /** May `requester` create nodes here (and so have them auto-created when publishing)? */
  mayCreate(service: string, requester: Jid): boolean;
  /** The affiliation of a bare JID the node does not list (PEP: the account owns all its nodes). */
  implicitAffiliation(service: string, bare: string): Affiliation;
  /** What the presence and roster access models need to know about `bare` (XEP-0060 §4.5). */
  relation(service: string, bare: string): Promise<{ presenceSubscribed: boolean; groups: readonly string[] }>;
  /** XEP-0163 §2 "One Publisher Per Node": only owners publish, whatever pubsub#publish_model says. */
  ownersOnlyPublish: boolean;
  /** Affiliations an owner may give other entities (§8.9). */
  assignableAffiliations: readonly Affiliation[];
}

export type Result<T = object> = ({ ok: true } & T) | { ok: false; error: StanzaError };

/** What happened to a node, for the caller to notify (§7.1.2, §7.2.2.1, §8.2.5.3, §8.4.2, §8.5.2). */
export type PubsubEvent =
  | { kind: "items"; rec: NodeRecord; items: StoredItem[] }
  | { kind: "retract"; rec: NodeRecord; ids: string[] }
  | { kind: "purge"; rec: NodeRecord }
  | { kind: "delete"; rec: NodeRecord; redirect?: string }
  | { kind: "configuration"; rec: NodeRecord };

export interface PublishRequest {
  node: string;
  /** The <item/> of the request (null: none, §7.1.3.7); `id` absent when the publisher gave none. */
  item: { id?: string; payload: Element | null; extra: number } | null;
  /** §7.1.5 publish-options preconditions, already read from the form. */
  preconditions?: Partial<NodeConfig>;
  /** Configuration for the node if this publication creates it, beyond the preconditions (never checked). */
  createWith?: Partial<NodeConfig>;
}

export interface PublishResult {
  id: string | undefined;
  /** The service generated the id (§7.1.2: then the result carries it). */
  generated: boolean;
  /** The node was auto-created by this publication (§7.1.4). */
  created: boolean;
  events: PubsubEvent[];
}

const MAX_ID_BYTES = 1023;

/** A node or item id the service generates: unique, opaque. */
export const newId = (): string => `${Date.now().toString(36)}-${randomBytes(8).toString("hex")}`;

const badId = (what: string, id: string | undefined): StanzaError | null => {
  if (id === undefined || id === "") return pubsubError("bad-request", what === "node" ? "nodeid-required" : "item-required");
  if (Buffer.byteLength(id, "utf8") > MAX_ID_BYTES) return pubsubError("not-acceptable", undefined, { text: `${what} id longer than ${MAX_ID_BYTES} bytes` });
  return null;
};

const notFound = (): { ok: false; error: StanzaError } => ({ ok: false, error: pubsubError("item-not-found") });
const fail = (error: StanzaError): { ok: false; error: StanzaError } => ({ ok: false, error });

export class PubsubService {
  private readonly queue = new KeyedQueue();

  constructor(readonly store: PubsubStore, private readonly policy: ServicePolicy, readonly limits: ServiceLimits) {}

  // --- decisions ---

  affiliation(service: string, rec: NodeRecord | undefined, bare: string): Affiliation {
    return rec?.affiliations[bare] ?? this.policy.implicitAffiliation(service, bare);
  }

  /** Full facts about a requester, for decisions that need them all (publishing, addressing). */
  async relation(service: string, rec: NodeRecord | undefined, bare: string): Promise<Relation> {
    const affiliation = this.affiliation(service, rec, bare);
    const facts = affiliation === "owner" ? { presenceSubscribed: true, groups: [] } : await this.policy.relation(service, bare);
    return { affiliation, presenceSubscribed: facts.presenceSubscribed, groups: facts.groups };
  }

  /**
   * May `bare` retrieve the node's items and receive its notifications (§6.5.1)? The roster is read only for
   * the presence and roster access models.
   */
  async access(service: string, rec: NodeRecord, bare: string): Promise<AccessDecision> {
    const affiliation = this.affiliation(service, rec, bare);
    const needsRoster = affiliation === "none" && (rec.config.access_model === "presence" || rec.config.access_model === "roster");
    const facts = needsRoster ? await this.policy.relation(service, bare) : { presenceSubscribed: false, groups: [] };
    return accessDecision(rec.config, { affiliation, ...facts });
  }

  private isOwner(service: string, rec: NodeRecord | undefined, bare: string): boolean {
    return this.affiliation(service, rec, bare) === "owner";
  }

  private async mayPublishTo(service: string, rec: NodeRecord, bare: string): Promise<boolean> {
    const affiliation = this.affiliation(service, rec, bare);
    if (affiliation === "owner") return true;
    if (this.policy.ownersOnlyPublish) return false;
    const needsRoster = affiliation === "none" && rec.config.publish_model === "subscribers";
    const facts = needsRoster ? await this.policy.relation(service, bare) : { presenceSubscribed: false, groups: [] };
    return mayPublish(rec.config, { affiliation, ...facts });
  }

  // --- reading ---

  /** The configuration new nodes get (§8.3). */
  defaults(): NodeConfig {
    return this.policy.defaults();
  }

  node(service: string, node: string): Promise<NodeRecord | undefined> {
    return this.store.node(service, node);
  }

  /** §5.2 / XEP-0163 §6.2: the nodes `requester` may see (those it may retrieve items from). */
  async visibleNodes(service: string, requester: Jid): Promise<NodeRecord[]> {
    const all = await this.store.allNodes(service);
    const out: NodeRecord[] = [];
    for (const rec of all) if ((await this.access(service, rec, requester.bare)).ok) out.push(rec);
    return out;
  }

  /** A node `requester` may see, or the error to answer: item-not-found for a node it may not see either. */
  async visibleNode(service: string, requester: Jid, node: string): Promise<Result<{ rec: NodeRecord }>> {
    const rec = await this.store.node(service, node);
    if (!rec) return notFound();
    const decision = await this.access(service, rec, requester.bare);
    return decision.ok ? { ok: true, rec } : fail(denialError(decision.reason));
  }

  /** §6.5: all items, the `max` most recent, or those with the given ids (missing ones left out, §6.5.11). */
  async items(service: string, requester: Jid, node: string, q: { ids?: string[]; max?: number } = {}): Promise<Result<{ rec: NodeRecord; items: StoredItem[] }>> {
    const visible = await this.visibleNode(service, requester, node);
    if (!visible.ok) return visible;
    const { rec } = visible;
    const ids = q.ids && q.ids.length > 0 ? q.ids.filter((id) => rec.order.includes(id)) : mostRecent(rec.order, q.max ?? rec.order.length);
    return { ok: true, rec, items: await this.store.itemsById(service, node, ids) };
  }

  /** The last published item of a node (§4.3 send_last_published_item), if any. */
  async lastItem(service: string, rec: NodeRecord): Promise<StoredItem | undefined> {
    const id = rec.order[rec.order.length - 1];
    return id === undefined ? undefined : this.store.item(service, rec.node, id);
  }

  /** §5.6: the requester's own subscriptions (its bare JID and its full JIDs), on one node or all. */
  async subscriptionsOf(service: string, requester: Jid, node?: string): Promise<{ node: string; sub: SubscriptionRecord }[]> {
    const recs = node === undefined ? await this.store.allNodes(service) : [await this.store.node(service, node)].filter((r): r is NodeRecord => !!r);
    const out: { node: string; sub: SubscriptionRecord }[] = [];
    for (const rec of recs) for (const sub of rec.subscriptions) if (bareOf(sub.jid) === requester.bare) out.push({ node: rec.node, sub });
    return out;
  }

  /** §5.7: the requester's affiliations, on one node or all ("none" left out). */
  async affiliationsOf(service: string, requester: Jid, node?: string): Promise<{ node: string; affiliation: Affiliation }[]> {
    const recs = node === undefined ? await this.store.allNodes(service) : [await this.store.node(service, node)].filter((r): r is NodeRecord => !!r);
    return recs.map((rec) => ({ node: rec.node, affiliation: this.affiliation(service, rec, requester.bare) })).filter((a) => a.affiliation !== "none");
  }

  // --- changing ---

  private run<T>(service: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(service, task);
  }

  private async newNode(service: string, creator: Jid, node: string, config: NodeConfig): Promise<Result<{ rec: NodeRecord }>> {
    const count = (await this.store.allNodes(service)).length;
    if (count >= this.limits.maxNodes) return fail(pubsubError("policy-violation", undefined, { text: `at most ${this.limits.maxNodes} nodes per service` }));
    const rec: NodeRecord = {
      node, config, creator: creator.bare, created: Date.now(), order: [],
      affiliations: { [creator.bare]: "owner" }, subscriptions: [],
    };
    return { ok: true, rec };
  }

  /** §8.1: create a node, with the default configuration or the one submitted (§8.1.3). */
  create(service: string, requester: Jid, node: string | undefined, options: Partial<NodeConfig> = {}): Promise<Result<{ node: string }>> {
    return this.run(service, async () => {
      if (!this.policy.mayCreate(service, requester)) return fail(pubsubError("forbidden"));
      const id = node ?? newId(); // §8.1.1 instant nodes
      const invalid = badId("node", id);
      if (invalid) return fail(invalid);
      if (await this.store.node(service, id)) return fail(pubsubError("conflict"));
      const made = await this.newNode(service, requester, id, { ...this.policy.defaults(), ...options });
      if (!made.ok) return made;
      await this.store.saveNode(service, made.rec);
      return { ok: true, node: id };
    });
  }

  /** §7.1: publish (auto-creating the node, §7.1.4), honouring publish-options (§7.1.5) and max_items (§7.1.2). */
  publish(service: string, publisher: Jid, req: PublishRequest): Promise<Result<PublishResult>> {
    return this.run(service, async () => {
      const invalidNode = badId("node", req.node);
      if (invalidNode) return fail(invalidNode);
      let rec = await this.store.node(service, req.node);
      let created = false;
      if (!rec) {
        // §7.1.3.3 / §7.1.4: the node is created only for whoever may create nodes; to others the answer is
        // the one for publishing without the right to (it also says nothing about which nodes exist).
        if (!this.policy.mayCreate(service, publisher)) return fail(pubsubError("forbidden"));
        // §7.1.5 rule 3: default configuration "in all respects except those specified in the preconditions".
        const made = await this.newNode(service, publisher, req.node, { ...this.policy.defaults(), ...req.createWith, ...req.preconditions });
        if (!made.ok) return made;
        rec = made.rec;
        created = true;
      } else {
        if (!(await this.mayPublishTo(service, rec, publisher.bare))) return fail(pubsubError("forbidden"));
        // §7.1.5 rule 1.
        const unmet = req.preconditions ? unmetPreconditions(rec.config, req.preconditions) : [];
        if (unmet.length > 0) {
          return fail(pubsubError("conflict", "precondition-not-met", { text: `the node's ${unmet.map((k) => `pubsub#${k}`).join(", ")} differ` }));
        }
      }
      const { config } = rec;
      const item = req.item;
      // §7.1.3.6 and the table of §4.3.
      const notificationOnlyTransient = !config.persist_items && !config.deliver_payloads;
      if (!item) {
        if (!notificationOnlyTransient) return fail(pubsubError("bad-request", "item-required"));
      } else {
        if (notificationOnlyTransient) return fail(pubsubError("bad-request", "item-forbidden"));
        if (item.extra > 0) return fail(pubsubError("bad-request", "invalid-payload", { text: "an item holds one payload element" }));
        if (!item.payload && config.deliver_payloads) return fail(pubsubError("bad-request", "payload-required"));
        if (item.id !== undefined) {
          const invalidItem = badId("item", item.id);
          if (invalidItem) return fail(invalidItem);
        }
        if (item.payload && Buffer.byteLength(item.payload.toString(), "utf8") > this.limits.maxItemBytes) {
          return fail(pubsubError("not-acceptable", "payload-too-big", { text: `items are limited to ${this.limits.maxItemBytes} bytes` }));
        }
      }
      const events: PubsubEvent[] = [];
      if (!item) {
        if (created) await this.store.saveNode(service, rec);
        events.push({ kind: "items", rec, items: [] });
        return { ok: true, id: undefined, generated: false, created, events };
      }
      const generated = item.id === undefined;
      const stored: StoredItem = { id: item.id ?? newId(), payload: item.payload, publisher: publisher.full, when: Date.now() };
      const placed = publishOrder(rec.order, stored.id, effectiveMaxItems(config, this.limits));
      await this.store.saveItem(service, rec.node, stored);
      for (const id of placed.dropped) await this.store.deleteItem(service, rec.node, id);
      rec = { ...rec, order: placed.order };
      await this.store.saveNode(service, rec);
      // §7.1.2 "Node is full": retract-oldest, with retraction notifications when the node sends them.
      if (placed.dropped.length > 0 && config.notify_retract) events.push({ kind: "retract", rec, ids: placed.dropped });
      events.push({ kind: "items", rec, items: [stored] });
      return { ok: true, id: stored.id, generated, created, events };
    });
  }

  /** §7.2: delete an item; `notify` is the request's attribute (absent: the node's pubsub#notify_retract). */
  retract(service: string, requester: Jid, node: string, id: string | undefined, notify: boolean | undefined): Promise<Result<{ events: PubsubEvent[] }>> {
    return this.run(service, async () => {
      const invalidNode = badId("node", node);
      if (invalidNode) return fail(invalidNode);
      if (id === undefined || id === "") return fail(pubsubError("bad-request", "item-required"));
      const rec = await this.store.node(service, node);
      if (!rec) return notFound();
      if (!(await this.mayPublishTo(service, rec, requester.bare))) return fail(pubsubError("forbidden"));
      if (!rec.order.includes(id)) return notFound();
      await this.store.deleteItem(service, node, id);
      const next = { ...rec, order: rec.order.filter((x) => x !== id) };
      await this.store.saveNode(service, next);
      const events: PubsubEvent[] = (notify ?? rec.config.notify_retract) ? [{ kind: "retract", rec: next, ids: [id] }] : [];
      return { ok: true, events };
    });
  }

  /** §8.2: the owner's view of the configuration. */
  async configuration(service: string, requester: Jid, node: string): Promise<Result<{ rec: NodeRecord }>> {
    const rec = await this.store.node(service, node);
    if (!rec) return notFound();
    if (!this.isOwner(service, rec, requester.bare)) return fail(pubsubError("forbidden"));
    return { ok: true, rec };
  }

  /** §8.2.4-§8.2.5: apply a submitted configuration; a smaller max_items drops the oldest items. */
  configure(service: string, requester: Jid, node: string, fields: Map<string, string[]>): Promise<Result<{ events: PubsubEvent[] }>> {
    return this.run(service, async () => {
      const rec = await this.store.node(service, node);
      if (!rec) return notFound();
      if (!this.isOwner(service, rec, requester.bare)) return fail(pubsubError("forbidden"));
      const options = readOptions(fields, this.limits, "ignore");
      if (!options.ok) return options;
      const config: NodeConfig = { ...rec.config, ...options.value };
      const trimmed = trimOrder(rec.order, effectiveMaxItems(config, this.limits));
      for (const id of trimmed.dropped) await this.store.deleteItem(service, node, id);
      const next: NodeRecord = { ...rec, config, order: trimmed.order };
      await this.store.saveNode(service, next);
      const events: PubsubEvent[] = [];
      if (trimmed.dropped.length > 0 && config.notify_retract) events.push({ kind: "retract", rec: next, ids: trimmed.dropped });
      if (config.notify_config) events.push({ kind: "configuration", rec: next });
      return { ok: true, events };
    });
  }

  /** §8.4: delete a node and its items; subscribers are told (pubsub#notify_delete). */
  deleteNode(service: string, requester: Jid, node: string, redirect?: string): Promise<Result<{ events: PubsubEvent[] }>> {
    return this.run(service, async () => {
      const rec = await this.store.node(service, node);
      if (!rec) return notFound();
      if (!this.isOwner(service, rec, requester.bare)) return fail(pubsubError("forbidden"));
      await this.store.deleteNode(service, node);
      return { ok: true, events: rec.config.notify_delete ? [{ kind: "delete", rec, redirect }] : [] };
    });
  }

  /** §8.5: remove every item; one <purge/> notification when the node notifies retractions. */
  purge(service: string, requester: Jid, node: string): Promise<Result<{ events: PubsubEvent[] }>> {
    return this.run(service, async () => {
      const rec = await this.store.node(service, node);
      if (!rec) return notFound();
      if (!this.isOwner(service, rec, requester.bare)) return fail(pubsubError("forbidden"));
      if (!rec.config.persist_items) return fail(unsupported("persistent-items"));
      await this.store.clearItems(service, node);
      const next = { ...rec, order: [] };
      await this.store.saveNode(service, next);
      return { ok: true, events: rec.config.notify_retract ? [{ kind: "purge", rec: next }] : [] };
    });
  }

  /**
   * §6.1: subscribe `jid` (whose bare JID must be the requester's, §6.1.3.1). A second request for the same JID
   * returns the existing subscription (§6.1.6, no multi-subscribe).
   */
  subscribe(service: string, requester: Jid, node: string, jid: Jid): Promise<Result<{ rec: NodeRecord; sub: SubscriptionRecord; isNew: boolean }>> {
    return this.run(service, async () => {
      if (jid.bare !== requester.bare) return fail(pubsubError("bad-request", "invalid-jid"));
      const rec = await this.store.node(service, node);
      if (!rec) return notFound();
      const decision = await this.access(service, rec, requester.bare);
      if (!decision.ok) return fail(denialError(decision.reason));
      const existing = rec.subscriptions.find((s) => s.jid === jid.full);
      if (existing) return { ok: true, rec, sub: existing, isNew: false };
      if (rec.subscriptions.length >= this.limits.maxSubscriptions) {
        return fail(pubsubError("policy-violation", undefined, { text: `at most ${this.limits.maxSubscriptions} subscriptions per node` }));
      }
      const sub: SubscriptionRecord = { jid: jid.full, subid: newId() };
      const next = { ...rec, subscriptions: [...rec.subscriptions, sub] };
      await this.store.saveNode(service, next);
      return { ok: true, rec: next, sub, isNew: true };
    });
  }

  /** §6.2: end a subscription of `jid` (the requester's own, §6.2.3.3). */
  unsubscribe(service: string, requester: Jid, node: string, jid: Jid, subid: string | undefined): Promise<Result> {
    return this.run(service, async () => {
      const rec = await this.store.node(service, node);
      if (!rec) return notFound();
      if (jid.bare !== requester.bare && !this.isOwner(service, rec, requester.bare)) return fail(pubsubError("forbidden"));
      const existing = rec.subscriptions.find((s) => s.jid === jid.full);
      if (!existing) return fail(pubsubError("unexpected-request", "not-subscribed", { type: "cancel" }));
      if (subid !== undefined && subid !== existing.subid) return fail(pubsubError("not-acceptable", "invalid-subid"));
      await this.store.saveNode(service, { ...rec, subscriptions: rec.subscriptions.filter((s) => s !== existing) });
      return { ok: true };
    });
  }

  /** §8.8.2: the owner sets subscription states ("subscribed" or "none"), a delta. */
  setSubscriptions(service: string, requester: Jid, node: string, changes: { jid: Jid; subscription: string }[]): Promise<Result> {
    return this.run(service, async () => {
      const rec = await this.store.node(service, node);
      if (!rec) return notFound();
      if (!this.isOwner(service, rec, requester.bare)) return fail(pubsubError("forbidden"));
      let subs = [...rec.subscriptions];
      for (const c of changes) {
        if (c.subscription === "none") subs = subs.filter((s) => s.jid !== c.jid.full);
        else if (c.subscription === "subscribed") { if (!subs.some((s) => s.jid === c.jid.full)) subs.push({ jid: c.jid.full, subid: newId() }); }
        else return fail(pubsubError("not-acceptable", undefined, { text: `subscription state "${c.subscription}" cannot be set` }));
      }
      if (subs.length > this.limits.maxSubscriptions) return fail(pubsubError("policy-violation", undefined, { text: `at most ${this.limits.maxSubscriptions} subscriptions per node` }));
      await this.store.saveNode(service, { ...rec, subscriptions: subs });
      return { ok: true };
    });
  }

  /**
   * §8.9.2: the owner sets affiliations, a delta. Outcasts lose their subscriptions (§4.1: they may not
   * subscribe). The owner cannot give up ownership here: a node keeps an owner (§8.9.2.4 "not-acceptable").
   */
  setAffiliations(service: string, requester: Jid, node: string, changes: { jid: Jid; affiliation: string }[]): Promise<Result> {
    return this.run(service, async () => {
      const rec = await this.store.node(service, node);
      if (!rec) return notFound();
      if (!this.isOwner(service, rec, requester.bare)) return fail(pubsubError("forbidden"));
      const affiliations = { ...rec.affiliations };
      let subscriptions = rec.subscriptions;
      for (const c of changes) {
        const a = c.affiliation as Affiliation;
        if (!(AFFILIATIONS as readonly string[]).includes(a)) return fail(pubsubError("bad-request", undefined, { text: `unknown affiliation "${c.affiliation}"` }));
        if (a !== "none" && !this.policy.assignableAffiliations.includes(a)) return fail(unsupported(`${a}-affiliation`));
        const bare = c.jid.bare;
        if (this.affiliation(service, rec, bare) === "owner") return fail(pubsubError("not-acceptable", undefined, { text: "the owner's affiliation cannot be changed" }));
        if (a === "none") delete affiliations[bare];
        else affiliations[bare] = a;
        if (a === "outcast") subscriptions = subscriptions.filter((s) => bareOf(s.jid) !== bare);
      }
      await this.store.saveNode(service, { ...rec, affiliations, subscriptions });
      return { ok: true };
    });
  }

  /**
   * Drop the explicit subscriptions of `bare` that its relation no longer allows (XEP-0163 §7.1: access is
   * recalculated when a presence subscription or a roster item changes).
   */
  revalidate(service: string, bare: string): Promise<void> {
    return this.run(service, async () => {
      for (const rec of await this.store.allNodes(service)) {
        const theirs = rec.subscriptions.filter((s) => bareOf(s.jid) === bare);
        if (theirs.length === 0 || (await this.access(service, rec, bare)).ok) continue;
        await this.store.saveNode(service, { ...rec, subscriptions: rec.subscriptions.filter((s) => bareOf(s.jid) !== bare) });
      }
    });
  }

  /**
   * §12.4: a notification to `jid` bounced with an error of type "cancel" (or "gone"): its subscriptions at the
   * service end, at every node ("MAY terminate the subscription of that entity to all nodes").
   */
  dropSubscriber(service: string, jid: string): Promise<void> {
    return this.run(service, async () => {
      for (const rec of await this.store.allNodes(service)) {
        const subscriptions = rec.subscriptions.filter((s) => s.jid !== jid);
        if (subscriptions.length !== rec.subscriptions.length) await this.store.saveNode(service, { ...rec, subscriptions });
      }
    });
  }

  /** Remove the whole service (the account is deleted). */
  remove(service: string): Promise<void> {
    return this.run(service, () => this.store.clearService(service));
  }
}

/** The bare part of a stored (prepared) JID string. */
export function bareOf(jid: string): string {
  const slash = jid.indexOf("/");
  return slash === -1 ? jid : jid.slice(0, slash);
}
