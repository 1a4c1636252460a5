/**
 * Account-level service discovery that other modules contribute to (XEP-0030 §3.1 info and §4 items of a
 * user's bare JID, and the nodes below it): a PEP service (XEP-0163 §6) adds the pubsub/pep identity, lists
 * its nodes as items and answers for each node. A module adds a provider in its setup and withdraws it on
 * unload (`api.onUnload(addAccountDiscoProvider(api.server, provider))`); the disco module asks them all.
 * Features stay in DiscoDeclaration.accountFeatures, which entity capabilities can hash.
 */
import type { Element } from "ltx";
import type { BareJid, Jid } from "../../src/jid.js";
import type { DiscoItem, Identity, ServerInfo } from "../../src/modules.js";
import type { StanzaError } from "../../src/xml/stanza-error.js";

export interface AccountDiscoProvider {
  /** Identities the account has besides account/registered. */
  identities?: readonly Identity[];
  /** Items of the account's disco#items that `requester` may see. */
  items?(owner: BareJid, requester: Jid): Promise<DiscoItem[]>;
  /**
   * The <query/> of disco#info at `node` of the account, or an error; undefined when this provider has nothing
   * to say to `requester` about that node (unknown to it, or not visible to the requester).
   */
  nodeInfo?(owner: BareJid, requester: Jid, node: string): Promise<Element | StanzaError | undefined>;
  /** The same for disco#items at `node`. */
  nodeItems?(owner: BareJid, requester: Jid, node: string): Promise<Element | StanzaError | undefined>;
}

const providers = new WeakMap<ServerInfo, Set<AccountDiscoProvider>>();

/** Add a provider on this server; returns the function that withdraws it. */
export function addAccountDiscoProvider(server: ServerInfo, provider: AccountDiscoProvider): () => void {
  let set = providers.get(server);
  if (!set) providers.set(server, (set = new Set()));
  set.add(provider);
  return () => { set!.delete(provider); };
}

export function accountDiscoProviders(server: ServerInfo): readonly AccountDiscoProvider[] {
  return [...(providers.get(server) ?? [])];
}
