/**
 * Run the real-client scripts of conformance/clients/ against a test server: each runs in its own process,
 * prints one JSON line with what happened and exits 0 (everything worked) or 1.
 */
import { execFile } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestServer } from "./server.js";

/** conformance/clients/, from dist/test/helpers/ where this file runs after compilation. */
export const CLIENTS_DIR = fileURLToPath(new URL("../../../conformance/clients/", import.meta.url));

/** Debian's python3-slixmpp is installed for the system interpreter only. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

export interface ClientRun<R> {
  code: number;
  /** The script's JSON report (its last line on stdout). */
  report: R;
  stderr: string;
}

/** Run `command args`, wait for it to exit and parse the report; throws when there is no JSON report. */
export function runClient<R>(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 40_000): Promise<ClientRun<R>> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve({ code, report: JSON.parse(line) as R, stderr });
      } catch {
        reject(new Error(`${command} ${args.join(" ")} exited ${code} without a JSON report:\n${stdout}\n${stderr}`));
      }
    });
  });
}

export interface SlixmppReport {
  ok: boolean;
  authenticated: boolean;
  /** The SASL mechanism that succeeded. */
  mechanism: string | null;
  /** Mechanisms slixmpp tried and the server refused, in order, with the SASL condition. */
  failedMechanisms: { mechanism: string; condition: string }[];
  jid: string | null;
  /** "TLSv1.3", "TLSv1.2", or null without TLS. */
  tls: string | null;
  streamError: string | null;
  error: string | null;
  features?: string[];
  identities?: [string, string, string | null, string | null][];
  ping?: boolean;
  version?: { name: string; version: string };
  time?: { utc: string; tzo: string };
  // slixmpp_register.py
  action?: string;
  condition?: string | null;
  registered?: boolean;
  formFields?: string[];
}

export interface SlixmppOptions {
  port: number;
  jid: string;
  password: string;
  mode?: "starttls" | "direct" | "plain";
  tls12?: boolean;
  extra?: string[];
}

export function slixmppAvailable(): boolean {
  return existsSync(SYSTEM_PYTHON);
}

/** Run conformance/clients/<script> (slixmpp_login.py or slixmpp_register.py) with the system Python. */
export function runSlixmpp(script: string, o: SlixmppOptions): Promise<ClientRun<SlixmppReport>> {
  const args = [join(CLIENTS_DIR, script), "--host", "127.0.0.1", "--port", String(o.port), "--jid", o.jid, "--password", o.password,
    "--mode", o.mode ?? "starttls", ...(o.tls12 ? ["--tls12"] : []), ...(o.extra ?? [])];
  return runClient<SlixmppReport>(SYSTEM_PYTHON, args);
}

export interface XmppjsReport {
  ok: boolean;
  mechanism: string | null;
  jid: string | null;
  tls: string | null;
  features: string[] | null;
  ping: boolean;
  error: string | null;
}

/**
 * Write the server's certificate where a client process can be told to trust it (NODE_EXTRA_CA_CERTS), so
 * the certificate is verified for real and nothing is relaxed in the test process itself.
 */
export function trustFile(srv: TestServer): string {
  const file = join(srv.dir, "trusted-localhost.pem");
  if (!existsSync(file)) writeFileSync(file, srv.server.certificates.defaultPem().cert);
  return file;
}

/** Run conformance/clients/xmppjs_login.mjs in a child Node process that trusts the test server's certificate. */
export function runXmppjs(srv: TestServer, o: { service: string; username: string; password: string }): Promise<ClientRun<XmppjsReport>> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: trustFile(srv) };
  delete env.NODE_TLS_REJECT_UNAUTHORIZED;
  const args = [join(CLIENTS_DIR, "xmppjs_login.mjs"), "--service", o.service, "--domain", srv.domain, "--username", o.username, "--password", o.password];
  return runClient<XmppjsReport>(process.execPath, args, env);
}

export interface XmppjsImReport {
  ok: boolean;
  steps: Record<string, unknown>;
  error: string | null;
}

/** Two xmpp.js accounts (one on two devices) through the IM scenario of conformance/clients/xmppjs_im.mjs. */
export function runXmppjsIm(srv: TestServer, o: { service: string; alice: string; bob: string }): Promise<ClientRun<XmppjsImReport>> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: trustFile(srv) };
  delete env.NODE_TLS_REJECT_UNAUTHORIZED;
  const args = [join(CLIENTS_DIR, "xmppjs_im.mjs"), "--service", o.service, "--domain", srv.domain, "--alice", o.alice, "--bob", o.bob];
  return runClient<XmppjsImReport>(process.execPath, args, env);
}
