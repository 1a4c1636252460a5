/**
 * Where a pubsub service keeps its nodes and items: two map stores, so any service (a user's PEP service, or a
 * pubsub component later) shares one layout. `service` is the service's address: a bare JID for PEP, a domain
 * for a component; neither contains "/", so "<service>/<node>" names one node's items unambiguously.
 *
 * nodes: owner = service, key = node id, value = NodeRecord (configuration, affiliations, subscriptions, item
 *        order). items: owner = "<service>/<node>", key = item id, value = StoredItemJson.
 */
import type { Element } from "ltx";
import { parseXml } from "../../src/xml/element.js";
import type { Json, MapStore } from "../../src/storage/types.js";
import type { Affiliation } from "./access.js";
import { storedConfig, type NodeConfig } from "./config.js";

export interface SubscriptionRecord {
  /** The subscribed address, bare or full (§6.1.1). */
  jid: string;
  subid: string;
}

export interface NodeRecord {
  node: string;
  config: NodeConfig;
  /** The bare JID that created the node. */
  creator: string;
  /** Milliseconds since the epoch. */
  created: number;
  /** Item ids, oldest first (the newest is the last published item). */
  order: string[];
  /** Bare JID -> affiliation, for every affiliation but "none" (§4.1). */
  affiliations: Record<string, Affiliation>;
  /** Explicit subscriptions (§6.1); implicit ones (XEP-0163 auto-subscribe) are never stored. */
  subscriptions: SubscriptionRecord[];
}

export interface StoredItem {
  id: string;
  /** The payload (null for an item published without one). */
  payload: Element | null;
  /** Full JID of the publisher (§7.1.2.3: stamped by the service, never taken from the request). */
  publisher: string;
  /** When it was published, in milliseconds since the epoch. */
  when: number;
}

interface StoredItemJson { xml: string | null; publisher: string; when: number }

const itemsOwner = (service: string, node: string) => `${service}/${node}`;

export class PubsubStore {
  constructor(private readonly nodes: MapStore, private readonly items: MapStore, private readonly defaults: () => NodeConfig) {}

  private record(value: Json | undefined): NodeRecord | undefined {
    if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
    const v = value as Record<string, unknown>;
    return {
      node: String(v.node),
      config: storedConfig(v.config, this.defaults()),
      creator: String(v.creator ?? ""),
      created: typeof v.created === "number" ? v.created : 0,
      order: Array.isArray(v.order) ? (v.order as string[]) : [],
      affiliations: (v.affiliations && typeof v.affiliations === "object" ? v.affiliations : {}) as Record<string, Affiliation>,
      subscriptions: Array.isArray(v.subscriptions) ? (v.subscriptions as SubscriptionRecord[]) : [],
    };
  }

  async node(service: string, node: string): Promise<NodeRecord | undefined> {
    return this.record(await this.nodes.get(service, node));
  }

  async allNodes(service: string): Promise<NodeRecord[]> {
    const out: NodeRecord[] = [];
    for (const v of (await this.nodes.all(service)).values()) {
      const r = this.record(v);
      if (r) out.push(r);
    }
    return out;
  }

  saveNode(service: string, rec: NodeRecord): Promise<void> {
    return this.nodes.set(service, rec.node, rec as unknown as Json);
  }

  /** §8.4: items leave persistent storage before the node itself. */
  async deleteNode(service: string, node: string): Promise<void> {
    await this.items.clear(itemsOwner(service, node));
    await this.nodes.delete(service, node);
  }

  async item(service: string, node: string, id: string): Promise<StoredItem | undefined> {
    const v = await this.items.get(itemsOwner(service, node), id);
    if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
    const j = v as unknown as StoredItemJson;
    return { id, payload: j.xml === null ? null : parseXml(j.xml), publisher: j.publisher, when: j.when };
  }

  /** The items with these ids that exist, in the order given. */
  async itemsById(service: string, node: string, ids: readonly string[]): Promise<StoredItem[]> {
    const found = await Promise.all(ids.map((id) => this.item(service, node, id)));
    return found.filter((i): i is StoredItem => i !== undefined);
  }

  saveItem(service: string, node: string, item: StoredItem): Promise<void> {
    const value: StoredItemJson = { xml: item.payload ? item.payload.toString() : null, publisher: item.publisher, when: item.when };
    return this.items.set(itemsOwner(service, node), item.id, value as unknown as Json);
  }

  deleteItem(service: string, node: string, id: string): Promise<void> {
    return this.items.delete(itemsOwner(service, node), id);
  }

  clearItems(service: string, node: string): Promise<void> {
    return this.items.clear(itemsOwner(service, node));
  }

  /** Everything of one service (account removal). */
  async clearService(service: string): Promise<void> {
    for (const node of (await this.nodes.all(service)).keys()) await this.items.clear(itemsOwner(service, node));
    await this.nodes.clear(service);
  }
}
