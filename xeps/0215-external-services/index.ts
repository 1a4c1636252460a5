import { xml } from "@xmpp/xml";
import { z } from "zod";
import { defineModule } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { credentialsFor, matchCredentials, NS, serviceElement, servicesResult, type ServiceConfig } from "./services.js";

const service = z.strictObject({
  type: z.string().min(1),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
  transport: z.enum(["udp", "tcp"]).optional(),
  name: z.string().optional(),
  secret: z.string().min(1).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
}).refine((s) => (s.username === undefined) === (s.password === undefined), { message: "give both username and password, or neither" });

/**
 * XEP-0215 External Service Discovery: the configured STUN and TURN services (for audio and video calls) to the
 * server's own users, with per-user, time-limited TURN credentials from a secret shared with the TURN server.
 * Remote entities and anyone not logged in here get forbidden (§2: no permission to receive the list).
 */
export default defineModule({
  id: "external-services",
  xeps: [{ xep: 215, version: "1.0.0", status: "complete", note: "no service pushes (§3.2 MAY): credentials are long-lived enough to be asked again" }],
  config: z.strictObject({
    services: z.array(service).default([]),
    /** How long time-limited credentials stay valid, in seconds. */
    credentialLifetime: z.number().int().min(60).default(86400),
  }),
  disco: { features: [NS] },
  setup(api) {
    const services: readonly ServiceConfig[] = api.config.services;
    const ttl = api.config.credentialLifetime;

    /** The bare JID of a local user asking from a client session of this server, or null. */
    const localUser = (from: { local: string; domain: string; bare: string }, origin: { kind: string } | null) =>
      origin?.kind === "c2s" && from.local && api.server.isLocalHost(from.domain) ? from.bare : null;

    api.iq("get", NS, "services", ({ payload, from, origin }) => {
      const user = localUser(from, origin);
      if (!user) return new StanzaError("forbidden", "external services are for this server's users");
      return servicesResult(services, payload.attrs.type || undefined, user, Date.now(), ttl);
    });

    // §3.3: fresh credentials for a service the client knows by host and type.
    api.iq("get", NS, "credentials", ({ payload, from, origin }) => {
      const user = localUser(from, origin);
      if (!user) return new StanzaError("forbidden", "external services are for this server's users");
      const want = payload.getChild("service");
      if (!want?.attrs.host || !want.attrs.type) return new StanzaError("bad-request", "<service/> needs host and type");
      const found = matchCredentials(services, { host: want.attrs.host, type: want.attrs.type, port: want.attrs.port });
      if (found.length === 0) return new StanzaError("item-not-found", "no such service with credentials");
      const now = Date.now();
      return xml("credentials", { xmlns: NS }, found.map((s) => serviceElement(s, credentialsFor(s, user, now, ttl))));
    });
  },
});
