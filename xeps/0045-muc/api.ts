/**
 * What the muc module offers other modules (e.g. push notifications deciding whether a group chat message
 * mentions its recipient): one API per running server, looked up by its ServerInfo. Absent when the module is
 * not loaded.
 */
import type { ServerInfo } from "../../src/modules.js";

export interface MucApi {
  /** Whether `domain` is one of this server's conference services. */
  isService(domain: string): boolean;
  /** The nickname under which a session (its real full JID) is in a room (the room's bare JID), if it is. */
  nickOf(room: string, full: string): string | undefined;
}

const apis = new WeakMap<ServerInfo, MucApi>();

export function mucApi(server: ServerInfo): MucApi | undefined {
  return apis.get(server);
}

/** Called by the muc module at setup; returns the function that withdraws it on unload. */
export function provideMucApi(server: ServerInfo, api: MucApi): () => void {
  apis.set(server, api);
  return () => { if (apis.get(server) === api) apis.delete(server); };
}
