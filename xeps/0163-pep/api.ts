/**
 * What the PEP module offers other modules (declare `requires: ["pep"]`): publishing and retracting on an
 * account's own nodes from the server side (the user's bookmarks and avatars kept in step with older
 * protocols), reading them, and the `pep:event` hook fired after every change, whoever made it.
 */
import type { Element } from "ltx";
import type { BareJid, Jid } from "../../src/jid.js";
import type { ServerInfo } from "../../src/modules.js";
import type { StanzaError } from "../../src/xml/stanza-error.js";
import type { NodeConfig } from "../0060-pubsub/config.js";
import type { PubsubEvent } from "../0060-pubsub/service.js";
import type { NodeRecord, StoredItem } from "../0060-pubsub/store.js";

export type { NodeConfig } from "../0060-pubsub/config.js";
export type { PubsubEvent } from "../0060-pubsub/service.js";
export type { NodeRecord, StoredItem } from "../0060-pubsub/store.js";

declare module "../../src/hooks.js" {
  interface HookMap {
    /**
     * A change to a node of an account's PEP service, after it is stored and notified. `actor` is the full JID
     * of the client that made it, or the account's bare JID for changes the server made on its behalf.
     */
    "pep:event": { readonly owner: BareJid; readonly event: PubsubEvent; readonly actor: Jid };
  }
}

export type PepResult<T = object> = ({ ok: true } & T) | { ok: false; error: StanzaError };

export interface PepApi {
  /**
   * Publish one item to a node of `owner`'s service as the owner (XEP-0060 §7.1), creating the node if needed;
   * `preconditions` are publish-options (§7.1.5), `createWith` configures a node this creates (unchecked
   * otherwise). Notifications go out as for a client's publication.
   */
  publish(owner: BareJid, node: string, item: { id?: string; payload: Element },
    options?: { preconditions?: Partial<NodeConfig>; createWith?: Partial<NodeConfig> }): Promise<PepResult<{ id: string }>>;
  /** Retract one item (§7.2), notifying per the node's pubsub#notify_retract unless `notify` says otherwise. */
  retract(owner: BareJid, node: string, id: string, notify?: boolean): Promise<PepResult>;
  /** A node of `owner`'s service (its configuration and item order), if it exists. */
  node(owner: BareJid, node: string): Promise<NodeRecord | undefined>;
  /** All items of a node, oldest first (undefined when there is no such node). */
  items(owner: BareJid, node: string): Promise<StoredItem[] | undefined>;
  /** One item of a node. */
  item(owner: BareJid, node: string, id: string): Promise<StoredItem | undefined>;
}

const apis = new WeakMap<ServerInfo, PepApi>();

/** The PEP module's API on this server; throws when the module is not loaded. */
export function pepApi(server: ServerInfo): PepApi {
  const api = apis.get(server);
  if (!api) throw new Error("the pep module is not loaded");
  return api;
}

/** Called by the PEP module at setup; returns the function that withdraws it on unload. */
export function providePepApi(server: ServerInfo, api: PepApi): () => void {
  apis.set(server, api);
  return () => { if (apis.get(server) === api) apis.delete(server); };
}
