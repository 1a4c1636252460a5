import { xml } from "@xmpp/xml";
import { z } from "zod";
import { defineModule, type DiscoInfo } from "../../src/modules.js";
import { capsForms, capsVer } from "./ver.js";

const NS = "http://jabber.org/protocol/caps";

/** The server's own verification string: what its disco#info to `host` answers (§5.1). */
export function serverVer(info: DiscoInfo): string {
  return capsVer(info.identities, info.features, capsForms(info.extensions));
}

/**
 * XEP-0115 Entity Capabilities for the server itself: the <c/> stream feature (§6.3) after authentication, and
 * the caps node `node#ver` answered by the disco module with the server's disco#info (§6.2). The hash always
 * follows what the enabled modules declare, so it changes when they do.
 */
export default defineModule({
  id: "caps",
  xeps: [{ xep: 115, version: "1.6.0", status: "partial", note: "the server's own capabilities (stream feature, caps node); no caps optimization" }],
  config: z.strictObject({
    /** §4: a URI identifying the software (the caps `node`). */
    node: z.url().default("https://palaver.im"),
  }),
  disco: {
    // §7: an entity that supports caps says so in its disco#info.
    features: [NS],
    infoNodes: (_host, info, config) => [`${config.node}#${serverVer(info)}`],
  },
  setup(api) {
    // §6.3 lets a server offer its caps as a stream feature. Only after authentication: before it, a client
    // cannot send the disco#info request the hash stands for, and nothing about the server is disclosed.
    api.streamFeature({
      stage: "post-auth",
      offer: (ctx) => xml("c", { xmlns: NS, hash: "sha-1", node: api.config.node, ver: serverVer(api.discoInfo(ctx.host)) }),
    });
  },
});
