/**
 * Prosody (Debian package) under test: `prosody -F --config FILE` in the foreground, with a config in the
 * run's directory: loopback ports, plain TCP with PLAIN allowed, Direct TLS (c2s_direct_tls_ports), files
 * ("internal") storage, SCRAM with 4096 iterations like Palaver, in-band registration, no rate limits.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Endpoint } from "../client/conn.js";
import { dpkgVersion, freePort, spawnLogged, stopProcess, waitReady } from "./common.js";
import type { RunningServer, ServerAdapter, StartOptions } from "./types.js";

const lua = (s: string) => JSON.stringify(s); // a JSON string is a valid Lua string literal for plain paths

export const prosody: ServerAdapter = {
  name: "prosody",
  debianPackage: "prosody",
  version: () => dpkgVersion("prosody"),

  async start(o: StartOptions): Promise<RunningServer> {
    const version = dpkgVersion("prosody");
    if (!version) throw new Error("prosody is not installed");
    const [plainPort, tlsPort] = [await freePort(), await freePort()];
    const data = join(o.dir, "data");
    mkdirSync(data, { recursive: true });
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
storage = "internal"
allow_registration = true
registration_whitelist = { "127.0.0.1", "::1" }
network_settings = { tcp_backlog = 1024, nagle = false }
ssl = { certificate = ${lua(o.cert.certFile)}, key = ${lua(o.cert.keyFile)} }
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "register", "version", "time", "uptime", "lastactivity" }

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
      capabilities: new Set(["direct-tls", "muc"]),
      extra: { muc: "conference.localhost" },
      logTail: () => proc.tail(),
      stop: () => stopProcess(proc),
    };
  },
};
