/**
 * The conformance server: a real Palaver started by the test harness (temporary directory, ephemeral ports on
 * 127.0.0.1, its own certificate, the default test modules), seen by the checks as a Target.
 */
import { jid } from "../../src/jid.js";
import type { TestServer } from "../../test/helpers/server.js";
import { DEFAULT_MODULES } from "../../test/helpers/server.js";
import { startWebServer } from "../../test/web/helpers.js";
import type { Target } from "./execute.js";

export function targetFor(srv: TestServer): Target {
  const accounts = srv.server.accounts;
  return {
    domain: srv.domain,
    host: "127.0.0.1",
    ports: srv.ports,
    ca: srv.server.certificates.defaultPem().cert,
    async prepareAccount(address, password) {
      const account = jid(address);
      await accounts.delete(account);
      if (password === null) return;
      const r = await accounts.create(account, password);
      if (!r.ok) throw new Error(`cannot create ${address}: ${r.error}`);
    },
    enabledModules: new Set(srv.server.modules.definitions().map((d) => d.id)),
  };
}

/** The conformance server's external component (XEP-0114) and its secret. */
export const CONFORMANCE_COMPONENT = { domain: "echo.localhost", secret: "conformance component secret" };
/** A TURN service with REST-style credentials, so XEP-0215 answers have something to prove. */
export const CONFORMANCE_TURN = { type: "turn", host: "turn.localhost", port: 3478, transport: "udp" as const, secret: "turn shared secret" };

/**
 * Start the conformance server with the test harness's defaults plus: HTTP and HTTPS listeners (WebSocket, BOSH,
 * upload), a component listener with one configured component, and a configured TURN service.
 */
export async function startConformanceServer(): Promise<{ srv: TestServer; target: Target }> {
  const srv = await startWebServer({}, {
    components: { [CONFORMANCE_COMPONENT.domain]: { secret: CONFORMANCE_COMPONENT.secret, name: "Echo" } },
    modules: { ...DEFAULT_MODULES, "external-services": { services: [CONFORMANCE_TURN] } },
  }, {}, [{ kind: "component", port: 0, address: "127.0.0.1" }]);  return { srv, target: targetFor(srv) };
}
