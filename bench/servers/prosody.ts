/**
 * Prosody (Debian package) under test: `prosody -F --config FILE` in the foreground, with a config in the
 * run's directory: loopback ports, plain TCP with PLAIN allowed, Direct TLS (c2s_direct_tls_ports), SQLite
 * storage like Palaver's (mod_storage_sql through Debian's lua-dbi-sqlite3; files, "internal", without it or with
 * `--reference-storage native`), SCRAM with 4096 iterations like Palaver, in-band registration, no rate limits,
 * XMPP over WebSocket (mod_websocket on a loopback HTTP port), MUC on conference.localhost, and mod_mam only when
 * a scenario asks for the "mam" feature.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Endpoint } from "../client/conn.js";
import { dpkgVersion, freePort, spawnLogged, stopProcess, waitReady } from "./common.js";

/** Prosody's SQL storage needs LuaDBI's SQLite driver. */
const SQLITE_DRIVER = "lua-dbi-sqlite3";
import type { RunningServer, ServerAdapter, StartOptions } from "./types.js";

const lua = (s: string) => JSON.stringify(s); // a JSON string is a valid Lua string literal for plain paths

export const prosody: ServerAdapter = {
  name: "prosody",
  debianPackages: ["prosody", SQLITE_DRIVER],
  features: ["mam"],
  version: () => dpkgVersion("prosody"),

  async start(o: StartOptions): Promise<RunningServer> {
    const version = dpkgVersion("prosody");
    if (!version) throw new Error("prosody is not installed");
    const [plainPort, tlsPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const data = join(o.dir, "data");
    mkdirSync(data, { recursive: true });
    const notes: string[] = [];
    let sql = o.extra["reference-storage"] !== "native";
    if (sql && !dpkgVersion(SQLITE_DRIVER)) {
      sql = false;
      notes.push(`files ("internal") storage: ${SQLITE_DRIVER} is not installed, so no SQLite`);
    } else if (!sql) {
      notes.push(`files ("internal") storage (--reference-storage native)`);
    }
    const mam = o.features.has("mam");
    const config = `-- written by Palaver's bench runner
run_as_root = true -- the bench runs as root in a throwaway directory; prosody never switches user here
pidfile = ${lua(join(o.dir, "prosody.pid"))}
data_path = ${lua(data)}
log = { { levels = { min = "warn" }, to = "file", filename = ${lua(join(o.dir, "prosody.log"))} } }
interfaces = { "127.0.0.1" }
c2s_ports = { ${plainPort} }
c2s_direct_tls_ports = { ${tlsPort} }
s2s_ports = { }
modules_disabled = { "s2s" }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
default_iteration_count = 4096
${sql ? `storage = "sql"
sql = { driver = "SQLite3", database = "prosody.sqlite" } -- under data_path` : `storage = "internal"`}
allow_registration = true
registration_whitelist = { "127.0.0.1", "::1" }
network_settings = { tcp_backlog = 1024, nagle = false }
ssl = { certificate = ${lua(o.cert.certFile)}, key = ${lua(o.cert.keyFile)} }
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "register", "version", "time", "uptime", "lastactivity", "websocket"${mam ? `, "mam"` : ""} }

-- XMPP over WebSocket (RFC 7395) at ws://127.0.0.1:PORT/xmpp-websocket; no HTTPS port.
http_ports = { ${httpPort} }
http_interfaces = { "127.0.0.1" }
https_ports = { }
http_default_host = "localhost"
consider_websocket_secure = true
cross_domain_websocket = true
${mam ? `
-- Message archive (XEP-0313) like Palaver's defaults: everything archived, kept forever, pages of up to 250.
default_archive_policy = true
archive_expires_after = "never"
max_archive_query_results = 250
` : ""}
VirtualHost "localhost"

-- Group chat for muc-fanout: rooms on conference.localhost, no history replayed on join, room for large rooms.
Component "conference.localhost" "muc"
  max_history_messages = 0
  muc_room_default_history_length = 0
  muc_max_occupants = 100000
`;
    const configFile = join(o.dir, "prosody.cfg.lua");
    writeFileSync(configFile, config);
    const proc = spawnLogged("prosody", ["-F", "--config", configFile], { cwd: o.dir, logFile: join(o.dir, "prosody.out") });
    const tcp: Endpoint = { host: "127.0.0.1", port: plainPort, security: "none" };
    try {
      await waitReady(proc, tcp, "localhost");
    } catch (err) {
      await stopProcess(proc, 1000);
      throw err;
    }
    return {
      name: "prosody",
      version,
      pid: proc.child.pid!,
      tcp,
      tls: { host: "127.0.0.1", port: tlsPort, security: "direct" },
      domainFor: () => "localhost",
      capabilities: new Set(["direct-tls", "roster", "muc", "websocket", ...(mam ? ["mam"] : [])]),
      extra: { muc: "conference.localhost", websocket: `ws://127.0.0.1:${httpPort}/xmpp-websocket` },
      notes,
      logTail: () => proc.tail(),
      stop: () => stopProcess(proc),
    };
  },
};
