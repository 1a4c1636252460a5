/**
 * Prosody (Debian's package) as a federation peer for interop tests: its own config, data, certificates and log
 * in a temporary directory, listening on loopback test ports, resolving names through the test DNS server
 * (libunbound forwarding: Prosody has no static s2s routes), users made with prosodyctl.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type Pem } from "./helpers.js";

export const PROSODY = "/usr/bin/prosody";
export const PROSODYCTL = "/usr/bin/prosodyctl";

export function prosodyAvailable(): boolean {
  return existsSync(PROSODY) && existsSync(PROSODYCTL);
}

export interface ProsodyOptions {
  domain: string;
  /** Address of its s2s listener. */
  address: string;
  /** Its certificate (self-signed or from a test CA). */
  tls: Pem;
  /** CA certificates it trusts for peers (EXTERNAL), PEM. */
  trust?: string[];
  dnsPort: number;
  /** A MUC component on this domain (rooms unlocked, anyone may create). */
  muc?: string;
  /** Also a Direct TLS s2s listener (XEP-0368). */
  directTls?: boolean;
}

export interface ProsodyServer {
  dir: string;
  ports: { c2s: number; s2s: number; s2sDirectTls: number | null };
  register(user: string, password: string): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

const lua = (s: string) => JSON.stringify(s);

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => { s.destroy(); resolve(true); });
    s.on("error", () => resolve(false));
  });
}

export async function startProsody(o: ProsodyOptions): Promise<ProsodyServer> {
  const dir = mkdtempSync(join(tmpdir(), "palaver-prosody-"));
  mkdirSync(join(dir, "data"), { recursive: true });
  const c2s = await freePort("127.0.0.1");
  const s2s = await freePort(o.address);
  const s2sDirectTls = o.directTls ? await freePort(o.address) : null;
  writeFileSync(join(dir, "host.crt"), o.tls.cert);
  writeFileSync(join(dir, "host.key"), o.tls.key, { mode: 0o600 });
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, (o.trust ?? []).join("\n"));
  const ssl = `{ certificate = ${lua(join(dir, "host.crt"))}; key = ${lua(join(dir, "host.key"))};${o.trust?.length ? ` cafile = ${lua(caFile)};` : ""} }`;
  const config = [
    `run_as_root = true`,
    `daemonize = false`,
    `pidfile = ${lua(join(dir, "prosody.pid"))}`,
    `data_path = ${lua(join(dir, "data"))}`,
    `log = { { levels = { min = "debug" }, to = "file", filename = ${lua(join(dir, "prosody.log"))} } }`,
    `modules_enabled = { "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "version" }`,
    `modules_disabled = { "posix" }`,
    `authentication = "internal_plain"`,
    `storage = "internal"`,
    `c2s_ports = { ${c2s} }`,
    `c2s_interfaces = { "127.0.0.1" }`,
    `s2s_ports = { ${s2s} }`,
    `s2s_interfaces = { ${lua(o.address)} }`,
    `s2s_direct_tls_ports = { ${s2sDirectTls ?? ""} }`,
    `s2s_direct_tls_interfaces = { ${lua(o.address)} }`,
    `c2s_direct_tls_ports = { }`,
    `http_ports = { }`,
    `https_ports = { }`,
    `use_ipv6 = false`,
    `s2s_secure_auth = false`,
    `s2s_timeout = 15`,
    // libunbound: ask the test DNS server for everything; neither /etc/hosts nor the system's resolvers.
    `unbound = { resolvconf = false; hoststxt = false; forward = ${lua(`127.0.0.1@${o.dnsPort}`)} }`,
    `ssl = ${ssl}`,
    `VirtualHost ${lua(o.domain)}`,
    `  ssl = ${ssl}`,
    ...(o.muc ? [`Component ${lua(o.muc)} "muc"`, `  muc_room_locking = false`, `  restrict_room_creation = false`, `  ssl = ${ssl}`] : []),
  ].join("\n");
  const configFile = join(dir, "prosody.cfg.lua");
  writeFileSync(configFile, `${config}\n`);
  const child: ChildProcess = spawn(PROSODY, ["-F", "--config", configFile], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => { output += d; });
  child.stderr!.on("data", (d) => { output += d; });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  // Wait until both listeners accept connections (Prosody binds them at start-up).
  let up = false;
  for (let i = 0; i < 200 && !up && child.exitCode === null; i++) {
    up = (await listening("127.0.0.1", c2s)) && (await listening(o.address, s2s));
    if (!up) await new Promise((r) => setTimeout(r, 50));
  }
  if (!up) {
    child.kill("SIGKILL");
    const log = existsSync(join(dir, "prosody.log")) ? readFileSync(join(dir, "prosody.log"), "utf8") : "";
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Prosody did not start: ${output}\n${log.slice(-3000)}`);
  }
  return {
    dir,
    ports: { c2s, s2s, s2sDirectTls },
    register: async (user, password) => { await run(PROSODYCTL, ["--config", configFile, "register", user, o.domain, password]); },
    log: () => (existsSync(join(dir, "prosody.log")) ? readFileSync(join(dir, "prosody.log"), "utf8") : ""),
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
