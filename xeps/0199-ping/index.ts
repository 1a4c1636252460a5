import { defineModule } from "../../src/modules.js";

const NS = "urn:xmpp:ping";

/** XEP-0199 XMPP Ping: answer pings to the server and to an account's bare JID (§4.2). */
export default defineModule({
  id: "ping",
  xeps: [{ xep: 199, version: "2.0.1", status: "complete" }],
  disco: { features: [NS] },
  setup(api) {
    api.iq("get", NS, "ping", () => null, { to: "host" });
    api.iq("get", NS, "ping", () => null, { to: "bare" });
  },
});
