/** `palaver check-config`: load and validate the config, print every problem, or a one-line summary. */
import type { ConfigError } from "../config/errors.js";
import { formatConfigErrors } from "../config/errors.js";
import type { Config } from "../config/schema.js";
import type { ConfigSource } from "../config/source.js";
import { loadForCli } from "./load.js";
import type { CliIO, ExitCode } from "./types.js";

export interface CheckConfigOptions {
  /**
   * Checks of the `modules:` section by the module registry (unknown ids, each module's options), so
   * check-config reports what `start` would refuse. See checkModuleIds and validateModuleConfig.
   */
  validateModules?: (config: Config, source: ConfigSource) => ConfigError[];
  now?: Date;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export async function checkConfig(configPath: string, io: CliIO, opts: CheckConfigOptions = {}): Promise<ExitCode> {
  const r = loadForCli(configPath, io, opts);
  if (!r) return 1;
  const moduleErrors = opts.validateModules?.(r.config, r.source) ?? [];
  if (moduleErrors.length > 0) {
    io.stderr.write(`${formatConfigErrors(moduleErrors)}\n`);
    io.stderr.write(`${plural(moduleErrors.length, "problem")} in ${configPath}\n`);
    return 1;
  }
  const { config } = r;
  const hosts = Object.keys(config.hosts);
  const modules = Object.keys(config.modules).sort();
  for (const [i, l] of config.listeners.entries()) {
    if (l.allowPlaintext) {
      io.stderr.write(`warning: listeners[${i}] (${l.address} port ${l.port}) allows unencrypted streams and ` +
        `plain-text passwords; keep it on a loopback address\n`);
    }
  }
  io.stdout.write(
    `configuration OK: ${plural(hosts.length, "host")} (${hosts.join(", ")}), ` +
    `${plural(config.listeners.length, "listener")}, modules: ${modules.length ? modules.join(", ") : "none"}\n`,
  );
  return 0;
}
