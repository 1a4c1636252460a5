/** `palaver <command>`: parse the arguments and run the command; main.ts provides what the commands need. */
import { EXAMPLE_CONFIG_PATH, ensureConfigFile } from "../config/ensure.js";
import { adduser, deluser, passwd, users } from "./accounts.js";
import { parseArgs, USAGE } from "./args.js";
import { cert } from "./cert.js";
import { checkConfig, type CheckConfigOptions } from "./check-config.js";
import type { CliIO, OpenAccounts } from "./types.js";

export interface CliDeps {
  openAccounts: OpenAccounts;
  /** Run the server until it stops; resolves to the exit code. The config file exists when it is called. */
  start(configPath: string, io: CliIO): Promise<number>;
  validateModules?: CheckConfigOptions["validateModules"];
  /** The example copied to the config path on first start (default: palaver.example.yaml of the package). */
  examplePath?: string;
}

export async function runCli(argv: readonly string[], io: CliIO, deps: CliDeps): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.stderr.write(`palaver: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  const { configPath, command } = parsed;
  switch (command.name) {
    case "help":
      io.stdout.write(USAGE);
      return 0;
    case "start": {
      const ensured = ensureConfigFile(configPath, deps.examplePath ?? EXAMPLE_CONFIG_PATH, (line) => io.stderr.write(`${line}\n`));
      if (!ensured.ok) {
        io.stderr.write(`error: ${ensured.error}\n`);
        return 1;
      }
      return deps.start(configPath, io);
    }
    case "check-config": return checkConfig(configPath, io, { validateModules: deps.validateModules });
    case "adduser": return adduser(configPath, command.jid, io, deps.openAccounts);
    case "passwd": return passwd(configPath, command.jid, io, deps.openAccounts);
    case "deluser": return deluser(configPath, command.jid, io, deps.openAccounts);
    case "users": return users(configPath, command.domain, io, deps.openAccounts);
    case "cert": return cert(configPath, io);
  }
}
