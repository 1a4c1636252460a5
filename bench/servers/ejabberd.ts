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
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Endpoint } from "../client/conn.js";
import { dpkgVersion, freePort, spawnLogged, stopProcess, waitReady } from "./common.js";
import type { RunningServer, ServerAdapter, StartOptions } from "./types.js";

let started = 0;

function epmdRunning(): boolean {
  try { execFileSync("epmd", ["-names"], { stdio: "ignore" }); return true; } catch { return false; }
}

export const ejabberd: ServerAdapter = {
  name: "ejabberd",
  debianPackage: "ejabberd",
  version: () => dpkgVersion("ejabberd"),

  async start(o: StartOptions): Promise<RunningServer> {
    const version = dpkgVersion("ejabberd");
    if (!version) throw new Error("ejabberd is not installed");
    const [plainPort, tlsPort] = [await freePort(), await freePort()];
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
${listener(plainPort, false)}${listener(tlsPort, true)}
auth_method: internal
auth_password_format: scram
auth_scram_hash: sha
host_config:
  sha256.localhost:
    auth_scram_hash: sha256
default_db: mnesia
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
`;
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
      capabilities: new Set(["direct-tls"]),
      extra: {},
      logTail: () => proc.tail(),
      stop: () => stopProcess(proc, 20_000),
    };
  },
};
