/**
 * A test server that can be restarted on the same data directory (database, certificates): `restart()` stops
 * it and starts a new server there, with the same configuration, so tests can check what survives a restart.
 * Built like startTestServer (server.ts): ephemeral ports on 127.0.0.1, the default modules, a plaintext listener.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { catalog } from "../../xeps/index.js";
import { configSchema } from "../../src/config/schema.js";
import { jid } from "../../src/jid.js";
import { configureLogging } from "../../src/log.js";
import { Server } from "../../src/server.js";
import { DEFAULT_MODULES, type TestServer } from "./server.js";

export interface RestartableServer extends TestServer {
  /** Stop this server (its data stays) and start a new one on the same directory. */
  restart(): Promise<RestartableServer>;
}

async function startIn(dir: string, overrides: Record<string, unknown>): Promise<RestartableServer> {
  const config = configSchema.parse({
    hosts: { localhost: { admins: ["admin@localhost"] } },
    listeners: [
      { kind: "c2s", port: 0, address: "127.0.0.1" },
      { kind: "c2s-tls", port: 0, address: "127.0.0.1" },
      { kind: "c2s", port: 0, address: "127.0.0.1", allowPlaintext: true },
    ],
    auth: { throttleFreeFailures: 1000 },
    modules: DEFAULT_MODULES,
    ...overrides,
  });
  const server = await Server.start({ config, dir, catalog });
  const port = (i: number) => server.listeners[i]!.port;
  return {
    server,
    dir,
    domain: "localhost",
    ports: { starttls: port(0), directTls: port(1), plain: port(2) },
    async addUser(address, password) {
      const r = await server.accounts.create(jid(address), password);
      if (!r.ok) throw new Error(`cannot create ${address}: ${r.error}`);
    },
    async restart() {
      await server.stop();
      return startIn(dir, overrides);
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Start a restartable test server in a new temporary directory (removed by `stop()`, kept by `restart()`). */
export function startRestartableServer(overrides: Record<string, unknown> = {}): Promise<RestartableServer> {
  configureLogging((process.env.PALAVER_TEST_LOG as "debug") ?? "error");
  return startIn(mkdtempSync(join(tmpdir(), "palaver-test-")), overrides);
}
