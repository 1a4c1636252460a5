/**
 * ejabberd (Debian package) under test. `ejabberdctl` switches to the ejabberd user and uses the system
 * node, so the runner launches the Erlang VM itself the way ejabberdctl's `foreground` does
 * (`erl -sname NODE ... -mnesia dir SPOOL -s ejabberd -noinput`), with its own node name, config
 * (EJABBERD_CONFIG_PATH), spool, logs and HOME in the run's directory. The process is beam.smp; its
 * children (erl_child_setup, eimp, ...) are measured with it.
 *
 * ejabberd keeps one SCRAM hash per host (auth_scram_hash), so accounts on "localhost" have SHA-1 keys and
 * accounts on "sha256.localhost" SHA-256 keys; `domainFor("SCRAM-SHA-256")` picks the second. Both use
 * 4096 iterations, ejabberd's fixed count, as Palaver does.
 *
 * The schedulers' busy-waiting is off (+sbwt none ...): spinning burns CPU time that is not work, and would
 * inflate ejabberd's CPU per message. `--ejabberd-busy-wait` keeps Erlang's default.
 *
 * Storage is SQLite like Palaver's (`sql_type: sqlite` through Debian's erlang-p1-sqlite3; ejabberd creates the
 * schema, the "new" multi-host one, in a new database file): accounts, rosters, archives. Sessions and routes stay
 * in memory (mnesia RAM tables) as ejabberd always keeps them. Without the driver, or with
 * `--reference-storage native`, everything is in mnesia. Also: XMPP over WebSocket (ejabberd_http_ws at /websocket),
 * MUC on conference.localhost, and mod_mam only when a scenario asks for the "mam" feature. No shaper on any
 * listener; max_fsm_queue keeps its default (10,000 stanzas queued per process), far above what any scenario
 * keeps in flight on one connection or in one room.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Endpoint } from "../client/conn.js";
import { dpkgVersion, freePort, spawnLogged, stopProcess, waitReady } from "./common.js";
import type { RunningServer, ServerAdapter, StartOptions } from "./types.js";

/** ejabberd's SQLite driver (the sqlite3 Erlang application). */
const SQLITE_DRIVER = "erlang-p1-sqlite3";

let started = 0;

function epmdRunning(): boolean {
  try { execFileSync("epmd", ["-names"], { stdio: "ignore" }); return true; } catch { return false; }
}

export const ejabberd: ServerAdapter = {
  name: "ejabberd",
  debianPackages: ["ejabberd", SQLITE_DRIVER],
  features: ["mam"],
  version: () => dpkgVersion("ejabberd"),

  async start(o: StartOptions): Promise<RunningServer> {
    const version = dpkgVersion("ejabberd");
    if (!version) throw new Error("ejabberd is not installed");
    const [plainPort, tlsPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const notes: string[] = [];
    let sql = o.extra["reference-storage"] !== "native";
    if (sql && !dpkgVersion(SQLITE_DRIVER)) {
      sql = false;
      notes.push(`mnesia storage: ${SQLITE_DRIVER} is not installed, so no SQLite`);
    } else if (!sql) {
      notes.push("mnesia storage (--reference-storage native)");
    }
    const mam = o.features.has("mam");
    const spool = join(o.dir, "spool");
    const logs = join(o.dir, "logs");
    mkdirSync(spool, { recursive: true });
    mkdirSync(logs, { recursive: true });
    const listener = (port: number, tls: boolean) => `  -
    port: ${port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    ${tls ? "tls: true" : "starttls: true\n    starttls_required: false"}
    max_stanza_size: 262144
    backlog: 1024
    access: c2s
`;
    const config = `# written by Palaver's bench runner
hosts:
  - localhost
  - sha256.localhost
loglevel: warning
log_rotate_count: 0
certfiles:
  - ${JSON.stringify(o.cert.pemFile)}
listen:
${listener(plainPort, false)}${listener(tlsPort, true)}  -
    port: ${httpPort}
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      "/websocket": ejabberd_http_ws
${sql ? `sql_type: sqlite
sql_database: ${JSON.stringify(join(spool, "ejabberd.db"))}
new_sql_schema: true
default_db: sql
auth_method: sql` : `default_db: mnesia
auth_method: internal`}
auth_password_format: scram
auth_scram_hash: sha
host_config:
  sha256.localhost:
    auth_scram_hash: sha256
registration_timeout: infinity
shaper_rules:
  max_user_sessions: 1000000
acl:
  local:
    user_regexp: ""
access_rules:
  c2s:
    allow: all
  register:
    allow: all
modules:
  mod_disco: {}
  mod_ping: {}
  mod_register:
    access: register
  mod_roster: {}
  mod_version: {}
  mod_time: {}
  mod_last: {}
  # Group chat for muc-fanout: conference.localhost, no history, rooms of up to 100,000 occupants with every
  # presence broadcast (max_users_presence: a room is not "overcrowded" below it), no shapers (the default).
  mod_muc:
    host: "conference.@HOST@"
    history_size: 0
    max_users: 100000
    max_users_presence: 100000
    default_room_options:
      max_users: 100000
${mam ? `  # Message archive (XEP-0313) like Palaver's defaults: every one-to-one message archived, kept forever.
  mod_mam:
    default: always
` : ""}`;
    const configFile = join(o.dir, "ejabberd.yml");
    writeFileSync(configFile, config);
    const node = `palaverbench${process.pid}x${++started}@localhost`;
    if (!epmdRunning()) o.log("epmd (Erlang's port mapper) is not running: erl starts it, and it stays running afterwards as usual");
    const busyWait = o.extra["ejabberd-busy-wait"] === true ? [] : ["+sbwt", "none", "+sbwtdcpu", "none", "+sbwtdio", "none"];
    const env = {
      ...process.env,
      HOME: o.dir,
      EJABBERD_CONFIG_PATH: configFile,
      EJABBERD_LOG_PATH: join(logs, "ejabberd.log"),
      ERL_LIBS: "/usr/lib/x86_64-linux-gnu",
      ERL_CRASH_DUMP: join(logs, "erl_crash.dump"),
      ERL_MAX_PORTS: "65536",
      ERL_INETRC: "/etc/ejabberd/inetrc",
    };
    const args = [
      "-sname", node, "-setcookie", `bench${process.pid}`, "+K", "true", "+P", "250000", ...busyWait,
      "-env", "ERL_CRASH_DUMP_BYTES", "0",
      "-mnesia", "dir", JSON.stringify(spool), "-s", "ejabberd", "-noinput",
    ];
    const proc = spawnLogged("erl", args, { cwd: o.dir, env, logFile: join(logs, "erl.out") });
    const tcp: Endpoint = { host: "127.0.0.1", port: plainPort, security: "none" };
    try {
      await waitReady(proc, tcp, "localhost", 90_000);
    } catch (err) {
      await stopProcess(proc, 1000);
      throw err;
    }
    return {
      name: "ejabberd",
      version,
      pid: proc.child.pid!,
      tcp,
      tls: { host: "127.0.0.1", port: tlsPort, security: "direct" },
      domainFor: (mechanism) => (mechanism === "SCRAM-SHA-256" ? "sha256.localhost" : "localhost"),
      capabilities: new Set(["direct-tls", "roster", "muc", "websocket", ...(mam ? ["mam"] : [])]),
      extra: { muc: "conference.localhost", websocket: `ws://127.0.0.1:${httpPort}/websocket` },
      notes,
      logTail: () => proc.tail(),
      stop: () => stopProcess(proc, 20_000),
    };
  },
};
