/**
 * What the vcard module offers other modules (the search module `requires: ["vcard"]` and reads the directory
 * here, never the vcard module's stores). One API per running server, looked up by its ServerInfo.
 */
import type { ServerInfo } from "../../src/modules.js";
import type { DirectoryFields } from "./directory.js";

export type { DirectoryFields } from "./directory.js";

export interface DirectoryEntry extends DirectoryFields {
  /** The account's bare JID. */
  jid: string;
}

export interface VcardApi {
  /** The searchable vCard fields of every account of `host` that has published a vCard. */
  directory(host: string): Promise<DirectoryEntry[]>;
}

const apis = new WeakMap<ServerInfo, VcardApi>();

/** The vcard module's API on this server; throws when the module is not loaded (declare `requires: ["vcard"]`). */
export function vcardApi(server: ServerInfo): VcardApi {
  const api = apis.get(server);
  if (!api) throw new Error("the vcard module is not loaded");
  return api;
}

/** Called by the vcard module at setup; returns the function that withdraws it on unload. */
export function provideVcardApi(server: ServerInfo, api: VcardApi): () => void {
  apis.set(server, api);
  return () => { if (apis.get(server) === api) apis.delete(server); };
}
