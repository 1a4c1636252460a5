/**
 * A test server that can be restarted on the same data directory (database, certificates): `restart()` stops
 * it and starts a new server there, with the same configuration, so tests can check what survives a restart.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./server.js";

export interface RestartableServer extends TestServer {
  /** Stop this server (its data stays) and start a new one on the same directory. */
  restart(): Promise<RestartableServer>;
}

async function startIn(dir: string, overrides: Record<string, unknown>): Promise<RestartableServer> {
  const srv = await startTestServer(overrides, dir);
  return Object.assign(srv, {
    async restart() {
      await srv.server.stop();
      return startIn(dir, overrides);
    },
  });
}

/** Start a restartable test server in a new temporary directory (removed by `stop()`, kept by `restart()`). */
export function startRestartableServer(overrides: Record<string, unknown> = {}): Promise<RestartableServer> {
  return startIn(mkdtempSync(join(tmpdir(), "palaver-test-")), overrides);
}
