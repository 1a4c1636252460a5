/**
 * Start a real Palaver server for a test: temporary directory, ephemeral ports on 127.0.0.1, its own
 * self-signed certificate. Listeners: STARTTLS, Direct TLS, and a plaintext one (allowPlaintext) for raw tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { catalog } from "../../xeps/index.js";
import { configSchema, type Config } from "../../src/config/schema.js";
import { jid } from "../../src/jid.js";
import { configureLogging } from "../../src/log.js";
import { Server } from "../../src/server.js";

export interface TestServer {
  server: Server;
  dir: string;
  domain: string;
  ports: { starttls: number; directTls: number; plain: number };
  addUser(address: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_MODULES = { disco: null, ping: null, version: null, time: null, last: null, register: { open: ["localhost"], minIntervalPerIp: 0 },
  offline: null, carbons: null, "stanza-id": null, addressing: null, mam: null,
  vcard: null, "private": null, blocking: null, search: null, caps: null,
  pep: null, bookmarks: null, "avatar-conversion": null, sm: null, csi: null, muc: null,
  "external-services": null, upload: null, push: null };

/**
 * `dir`: start in this data directory (database, certificates) instead of a new temporary one, e.g. to restart
 * on what a previous server left (test/helpers/restartable-server.ts).
 */
export async function startTestServer(overrides: Record<string, unknown> = {}, dir = mkdtempSync(join(tmpdir(), "palaver-test-"))): Promise<TestServer> {
  configureLogging((process.env.PALAVER_TEST_LOG as "debug") ?? "error");
  const raw = {
    hosts: { localhost: { admins: ["admin@localhost"] } },
    listeners: [
      { kind: "c2s", port: 0, address: "127.0.0.1" },
      { kind: "c2s-tls", port: 0, address: "127.0.0.1" },
      { kind: "c2s", port: 0, address: "127.0.0.1", allowPlaintext: true },
    ],
    // Tests log in many times from 127.0.0.1; throttling is tested on its own with its own settings.
    auth: { throttleFreeFailures: 1000 },
    modules: DEFAULT_MODULES,
    ...overrides,
  };
  const config: Config = configSchema.parse(raw);
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
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
