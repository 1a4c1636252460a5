/**
 * What the private module offers other modules (declare `requires: ["private"]`): taking over one namespace,
 * so that its gets and sets are answered from elsewhere (XEP-0402 §5.3: XEP-0048 bookmarks in private storage
 * unified with PEP bookmarks), and reading or dropping what the module itself stored there before.
 */
import type { Element } from "ltx";
import type { BareJid } from "../../src/jid.js";
import type { ServerInfo } from "../../src/modules.js";
import type { StanzaError } from "../../src/xml/stanza-error.js";

export interface PrivateNamespaceHandler {
  /** The elements a get of this namespace returns for `owner` (none: the request's element comes back empty). */
  get(owner: BareJid): Promise<Element[]>;
  /** A set replaced the namespace's content with `elements` (standalone copies); an error refuses the set. */
  set(owner: BareJid, elements: Element[]): Promise<StanzaError | null>;
}

export interface PrivateApi {
  /** Answer gets and sets of `ns` with `handler`; returns the function that gives the namespace back. */
  handle(ns: string, handler: PrivateNamespaceHandler): () => void;
  /** What the private module itself keeps under `ns` for `owner` (stored before a handler took it over). */
  stored(owner: BareJid, ns: string): Promise<Element[]>;
  /** Remove that (once a handler has taken it over). */
  drop(owner: BareJid, ns: string): Promise<void>;
}

const apis = new WeakMap<ServerInfo, PrivateApi>();

/** The private module's API on this server; throws when the module is not loaded. */
export function privateApi(server: ServerInfo): PrivateApi {
  const api = apis.get(server);
  if (!api) throw new Error("the private module is not loaded");
  return api;
}

/** Called by the private module at setup; returns the function that withdraws it on unload. */
export function providePrivateApi(server: ServerInfo, api: PrivateApi): () => void {
  apis.set(server, api);
  return () => { if (apis.get(server) === api) apis.delete(server); };
}
