/** `palaver cert`: each host's certificate (making missing or expired self-signed ones), and what to renew. */
import { resolve } from "node:path";
import { CertificateStore, certSources } from "../tls/store.js";
import { ensureSelfSigned } from "../tls/self-signed.js";
import { loadForCli } from "./load.js";
import type { CliIO, ExitCode } from "./types.js";

/** Warn this many days before a configured certificate expires. */
const WARN_DAYS = 14;

export async function cert(configPath: string, io: CliIO, opts: { now?: Date } = {}): Promise<ExitCode> {
  const loaded = loadForCli(configPath, io, opts);
  if (!loaded) return 1;
  const { config, dir } = loaded;
  const sources = certSources(config, dir);
  const certsDir = resolve(dir, config.certsDir);
  try {
    const made = await ensureSelfSigned(sources.filter((s) => s.source === "self-signed").map((s) => s.domain), certsDir, opts);
    for (const m of made) {
      if (m.created) io.stdout.write(`created a self-signed certificate for ${m.domain} (${m.reason}): ${m.certFile}\n`);
    }
  } catch (e) {
    io.stderr.write(`error: cannot make self-signed certificates in ${certsDir}: ${(e as Error).message}\n`);
    return 1;
  }
  const r = CertificateStore.load(sources);
  if (!r.ok) {
    for (const e of r.errors) io.stderr.write(`error: ${e}\n`);
    return 1;
  }
  let expired = false;
  for (const c of r.store.describe(opts.now)) {
    io.stdout.write(
      `${c.domain} (${c.source})\n` +
      `  certificate: ${c.file}\n` +
      `  key:         ${c.keyFile}\n` +
      `  subject:     ${c.subject.replace(/\n/g, ", ")}\n` +
      `  issuer:      ${c.issuer.replace(/\n/g, ", ")}\n` +
      `  names:       ${c.altNames.join(", ") || "(none)"}\n` +
      `  expires:     ${c.notAfter.toISOString()} (${c.daysLeft} days left)\n` +
      `  sha-256:     ${c.fingerprint256}\n`,
    );
    if (c.daysLeft < 0) {
      expired = true;
      io.stderr.write(`warning: the certificate of ${c.domain} has EXPIRED: clients will refuse to connect\n`);
    } else if (c.source === "configured" && c.daysLeft < WARN_DAYS) {
      io.stderr.write(`warning: the certificate of ${c.domain} expires in ${c.daysLeft} days: renew it, then send SIGHUP\n`);
    }
    if (c.source === "self-signed") {
      io.stderr.write(`note: ${c.domain} uses a self-signed certificate: clients will warn; ` +
        `set hosts.${c.domain}.tls to real certificate files (see palaver.example.yaml)\n`);
    }
  }
  return expired ? 1 : 0;
}
