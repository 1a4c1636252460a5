/**
 * Palaver under test: the built server (dist/src/main.js) with a config of its own in the run's directory.
 * Modules: by default the same features the reference servers are configured with here (roster and presence are
 * Palaver's core; disco, ping, version, time, last activity, registration), so CPU figures compare like with like.
 * `--palaver-modules example` runs what a new install runs (palaver.example.yaml: archive, carbons, PEP, MUC, ...),
 * which the references do not do in this benchmark. Registration is open on localhost with no per-IP interval.
 * Message archiving (module `mam`) runs only when a scenario asks for the "mam" feature. An `http` listener on
 * loopback serves XMPP over WebSocket at /xmpp-websocket (plain ws:// is allowed from loopback by default).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import type { Endpoint } from "../client/conn.js";
import { freePort, spawnLogged, stopProcess, waitReady } from "./common.js";
import type { RunningServer, ServerAdapter, StartOptions } from "./types.js";

/** The repository root, from dist/bench/servers/ (compiled) or bench/servers/ (sources). */
const ROOT = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../../" : "../../", import.meta.url));
const MAIN = join(ROOT, "dist/src/main.js");

function exampleModules(): Record<string, unknown> {
  try {
    const doc = YAML.parse(readFileSync(join(ROOT, "palaver.example.yaml"), "utf8")) as { modules?: Record<string, unknown> };
    return { ...(doc?.modules ?? {}) };
  } catch {
    return { disco: null, ping: null, version: null, time: null, last: null };
  }
}

/** What Prosody's and ejabberd's benchmark configs enable (bench/servers/prosody.ts, ejabberd.ts). */
const MATCHED_MODULES: Record<string, unknown> = { disco: null, ping: null, version: null, time: null, last: null, register: null,
  // Group chat lives on its own domain and costs the one-to-one scenarios nothing; it lets muc-fanout run.
  muc: null };

function version(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  let rev = "";
  try {
    rev = execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["-C", ROOT, "status", "--porcelain", "--", "src", "xeps"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (dirty) rev += "+changes";
  } catch { /* not a git checkout */ }
  return rev ? `${pkg.version} (${rev})` : pkg.version;
}

export const palaver: ServerAdapter = {
  name: "palaver",
  debianPackages: [],
  features: ["mam"],
  version: () => (existsSync(MAIN) ? version() : null),

  async start(o: StartOptions): Promise<RunningServer> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm run bench does)`);
    const [plainPort, tlsPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const modules = o.extra["palaver-modules"] === "example" ? exampleModules() : { ...MATCHED_MODULES };
    // XEP-0313 with its defaults: every one-to-one message archived for both parties, kept forever.
    if (o.features.has("mam") && !("mam" in modules)) modules.mam = null;
    const register = (modules.register ?? {}) as Record<string, unknown>;
    modules.register = { ...register, open: ["localhost"], minIntervalPerIp: 0 };
    const config = {
      hosts: { localhost: { admins: [], tls: { cert: o.cert.certFile, key: o.cert.keyFile } } },
      listeners: [
        { kind: "c2s", port: plainPort, address: "127.0.0.1", allowPlaintext: true },
        { kind: "c2s-tls", port: tlsPort, address: "127.0.0.1" },
        { kind: "http", port: httpPort, address: "127.0.0.1", webClient: false },
      ],
      dataDir: join(o.dir, "data"),
      certsDir: join(o.dir, "certs"),
      storage: { driver: "sqlite", file: "palaver.db" },
      auth: { scramIterations: 4096, throttleFreeFailures: 1_000_000 },
      // Tens of thousands of sessions come from 127.0.0.1; nothing may time out during a run.
      limits: { maxConnectionsPerIp: 1_000_000, negotiationTimeout: 600, idleTimeout: 3600 },
      log: { level: "warn" },
      modules,
    };
    mkdirSync(config.dataDir, { recursive: true });
    const configFile = join(o.dir, "palaver.yaml");
    writeFileSync(configFile, YAML.stringify(config));
    const nodeOptions = typeof o.extra["palaver-node-options"] === "string" ? (o.extra["palaver-node-options"] as string).split(/\s+/).filter(Boolean) : [];
    const proc = spawnLogged(process.execPath, [...nodeOptions, MAIN, "--config", configFile, "start"], { cwd: o.dir, logFile: join(o.dir, "palaver.log") });
    const tcp: Endpoint = { host: "127.0.0.1", port: plainPort, security: "none" };
    try {
      await waitReady(proc, tcp, "localhost");
    } catch (err) {
      await stopProcess(proc, 1000);
      throw err;
    }
    return {
      name: "palaver",
      version: version(),
      pid: proc.child.pid!,
      tcp,
      tls: { host: "127.0.0.1", port: tlsPort, security: "direct" },
      domainFor: () => "localhost",
      capabilities: new Set(["direct-tls", "roster", "websocket", ...("muc" in modules ? ["muc"] : []), ...("mam" in modules ? ["mam"] : [])]),
      extra: { websocket: `ws://127.0.0.1:${httpPort}/xmpp-websocket`, ...("muc" in modules ? { muc: "conference.localhost" } : {}) },
      notes: [],
      logTail: () => proc.tail(),
      stop: () => stopProcess(proc),
    };
  },
};
