/**
 * Helpers shared by the server adapters: free loopback ports, starting a server process with its output in
 * a log file, waiting until it answers XMPP, stopping it, and the certificate every server of a run uses.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { XmppConn, type Endpoint } from "../client/conn.js";
import { sleep } from "../lib/stats.js";
import type { RunningServer } from "./types.js";

/** A port nobody listens on right now, on 127.0.0.1 (others' tests run on this machine too). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** `dpkg-query -W` version of a Debian package, or null. (Never `prosody --version`: it starts a server.) */
export function dpkgVersion(pkg: string): string | null {
  try {
    const v = execFileSync("dpkg-query", ["-W", "-f", "${Status}\t${Version}", pkg], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const [status, version] = v.split("\t");
    return status?.includes("install ok installed") ? version ?? null : null;
  } catch {
    return null;
  }
}

/** Processes started by this run, killed if the runner dies. */
const children = new Set<ChildProcess>();
process.on("exit", () => { for (const c of children) try { c.kill("SIGKILL"); } catch { /* gone */ } });

export interface Spawned {
  child: ChildProcess;
  exited: Promise<number | null>;
  logFile: string;
  tail(lines?: number): string;
}

export function spawnLogged(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; logFile: string }): Spawned {
  const fd = openSync(opts.logFile, "a");
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  children.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => { children.delete(child); resolve(code ?? (signal ? -1 : null)); });
    child.once("error", () => { children.delete(child); resolve(-1); });
  });
  const tail = (lines = 25) => {
    try { return readFileSync(opts.logFile, "utf8").split("\n").slice(-lines).join("\n"); } catch { return ""; }
  };
  return { child, exited, logFile: opts.logFile, tail };
}

/** Wait until the server opens an XMPP stream on `endpoint` (it answers with stream features). */
export async function waitReady(s: Spawned, endpoint: Endpoint, domain: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  s.exited.then(() => { exited = true; });
  let lastError = "";
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the server exited at start; its log ends with:\n${s.tail()}`);
    try {
      const conn = await XmppConn.connect(endpoint, domain, 2000);
      try { await conn.openStream(domain); return; } finally { conn.destroy(); }
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`the server did not answer on port ${endpoint.port} within ${timeoutMs / 1000} s (${lastError}); its log ends with:\n${s.tail()}`);
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(s: Spawned, graceMs = 15_000): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill("SIGTERM");
  const timer = setTimeout(() => s.child.kill("SIGKILL"), graceMs);
  await s.exited;
  clearTimeout(timer);
}

/**
 * A self-signed ECDSA P-256 certificate for localhost and *.localhost (openssl), with a combined PEM:
 * the key type certbot makes by default, and the same for every server of the run.
 */
export function makeCertificate(dir: string): { certFile: string; keyFile: string; pemFile: string } {
  const certFile = join(dir, "localhost.crt");
  const keyFile = join(dir, "localhost.key");
  const pemFile = join(dir, "localhost.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "30",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,DNS:*.localhost",
  ], { stdio: "ignore" });
  writeFileSync(pemFile, readFileSync(certFile, "utf8") + readFileSync(keyFile, "utf8"));
  return { certFile, keyFile, pemFile };
}

/** Add "ibr" and "sasl:<MECHANISM>" capabilities from what the server offers in its stream features. */
export async function probeCapabilities(server: RunningServer): Promise<void> {
  const features = new Map<string, string>();
  for (const mechanism of ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"] as const) {
    const domain = server.domainFor(mechanism);
    if (!features.has(domain)) {
      const conn = await XmppConn.connect(server.tcp, domain, 10_000);
      try { features.set(domain, await conn.openStream(domain)); } finally { conn.destroy(); }
    }
    const f = features.get(domain)!;
    if (f.includes(`>${mechanism}<`)) server.capabilities.add(`sasl:${mechanism}`);
    if (f.includes("jabber.org/features/iq-register")) server.capabilities.add("ibr");
  }
}
