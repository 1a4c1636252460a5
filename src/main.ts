#!/usr/bin/env node
/**
 * `palaver <command>`: the CLI entry. Wires the commands to the real server, storage and module catalog.
 */
import { catalog } from "../xeps/index.js";
import { loadConfig } from "./config/load.js";
import { formatConfigErrors } from "./config/errors.js";
import { runCli, type CliIO } from "./cli/index.js";
import { configureLogging, rootLogger } from "./log.js";
import { checkModules, Server, StartError } from "./server.js";

const io: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdin.isTTY) };

async function start(configPath: string, out: CliIO): Promise<number> {
  const loaded = loadConfig(configPath);
  if (!loaded.ok) {
    out.stderr.write(`${formatConfigErrors(loaded.errors)}\n`);
    return 1;
  }
  for (const w of loaded.warnings) out.stderr.write(`warning: ${formatConfigErrors([w])}\n`);
  configureLogging(loaded.config.log.level);
  let server: Server;
  try {
    server = await Server.start({ config: loaded.config, dir: loaded.dir, source: loaded.source, catalog });
  } catch (err) {
    out.stderr.write(`palaver: ${err instanceof StartError ? err.message : (err as Error).stack}\n`);
    return 1;
  }
  for (const l of server.listeners) out.stderr.write(`listening: ${l.kind} on ${l.address} port ${l.port}\n`);
  process.on("SIGHUP", () => server.reloadCertificates());
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      rootLogger.info("stopping", { signal });
      server.stop().then(() => resolve(0), (err) => { rootLogger.error("error while stopping", { err }); resolve(1); });
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
}

const code = await runCli(process.argv.slice(2), io, {
  start,
  // Account commands run the server's core without listeners, so account hooks reach the modules
  // (removing a user also removes what modules keep for it).
  openAccounts: async (config, dir) => {
    configureLogging("warn");
    const server = await Server.start({ config: { ...config, listeners: [] }, dir, catalog });
    return {
      exists: (j) => server.accounts.exists(j),
      create: (j, p) => server.accounts.create(j, p),
      setPassword: (j, p) => server.accounts.setPassword(j, p),
      delete: (j) => server.accounts.delete(j),
      list: (d) => server.accounts.list(d),
      close: () => server.stop(),
    };
  },
  validateModules: (config, source) => checkModules(config, catalog, source).errors,
});
process.exit(code);
