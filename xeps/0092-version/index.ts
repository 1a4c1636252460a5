import os from "node:os";
import { xml } from "@xmpp/xml";
import { z } from "zod";
import { defineModule } from "../../src/modules.js";

const NS = "jabber:iq:version";

/** XEP-0092 Software Version: the server's name and version (§2); the OS only when the admin allows it. */
export default defineModule({
  id: "version",
  xeps: [{ xep: 92, version: "1.1", status: "complete" }],
  config: z.strictObject({
    /** Also tell the operating system (XEP-0092 §2 makes it optional; off by default for privacy). */
    showOs: z.boolean().default(false),
  }),
  disco: { features: [NS] },
  setup(api) {
    const osName = `${os.type()} ${os.release()}`;
    api.iq("get", NS, "query", () =>
      xml("query", { xmlns: NS },
        xml("name", null, "Palaver"),
        xml("version", null, api.server.version),
        api.config.showOs ? xml("os", null, osName) : null,
      ), { to: "host" });
  },
});
