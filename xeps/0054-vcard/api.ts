/**
 * What the vcard module offers other modules (the search module `requires: ["vcard"]` and reads the directory
 * here, never the vcard module's stores). One API per running server, looked up by its ServerInfo.
 */
import type { BareJid } from "../../src/jid.js";
import type { ServerInfo } from "../../src/modules.js";
import type { DirectoryFields } from "./directory.js";
import type { VcardPhoto } from "./photo.js";

export type { DirectoryFields } from "./directory.js";
export type { VcardPhoto } from "./photo.js";

declare module "../../src/hooks.js" {
  interface HookMap {
    /**
     * A user stored a vCard whose photo differs from the one stored before (null: it has none now). Not fired
     * for photos set through VcardApi.setPhoto, so a module mirroring avatars elsewhere does not loop.
     */
    "vcard:photo": { readonly owner: BareJid; readonly photo: VcardPhoto | null };
  }
}

export interface DirectoryEntry extends DirectoryFields {
  /** The account's bare JID. */
  jid: string;
}

export interface VcardApi {
  /** The searchable vCard fields of every account of `host` that has published a vCard. */
  directory(host: string): Promise<DirectoryEntry[]>;
  /** The image in the account's stored vCard, if any. */
  photo(owner: BareJid): Promise<VcardPhoto | null>;
  /**
   * Replace the PHOTO of the account's vCard (remove it, for null), keeping everything else; the XEP-0153 hash
   * in the account's presence follows. `changed` is false when the vCard already had that image; "too-large"
   * when the vCard would exceed the configured size.
   */
  setPhoto(owner: BareJid, photo: VcardPhoto | null): Promise<{ ok: true; changed: boolean } | { ok: false; error: "too-large" }>;
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
