/**
 * The conformance server: a real Palaver started by the test harness (temporary directory, ephemeral ports on
 * 127.0.0.1, its own certificate, the default test modules), seen by the checks as a Target.
 */
import { jid } from "../../src/jid.js";
import type { TestServer } from "../../test/helpers/server.js";
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

/** Start the conformance server with the test harness's defaults, plus HTTP and HTTPS listeners (WebSocket, BOSH). */
export async function startConformanceServer(): Promise<{ srv: TestServer; target: Target }> {
  const srv = await startWebServer();
  return { srv, target: targetFor(srv) };
}
