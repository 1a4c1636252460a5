/** Command line: `palaver [--config FILE] <command> [args]`. */
import { resolve } from "node:path";

export const DEFAULT_CONFIG = "palaver.yaml";

export const USAGE = `Usage: palaver [--config FILE] <command> [arguments]

Commands:
  start                 run the server (creates FILE from the example on first start)
  adduser <user@host>   create an account; asks for the password (or reads one line from stdin)
  passwd <user@host>    set an account's password
  deluser <user@host>   delete an account and its data
  users [host]          list accounts, of every host or of one
  check-config          check the configuration file and report every problem
  cert                  show each host's certificate (making missing self-signed ones)
  help                  show this text

Options:
  -c, --config FILE     configuration file (default ./${DEFAULT_CONFIG})
  -h, --help            show this text
`;

export type Command =
  | { name: "start" }
  | { name: "adduser"; jid: string }
  | { name: "passwd"; jid: string }
  | { name: "deluser"; jid: string }
  | { name: "users"; domain?: string }
  | { name: "check-config" }
  | { name: "cert" }
  | { name: "help" };

export type ParsedArgs =
  | { ok: true; configPath: string; command: Command }
  | { ok: false; error: string };

const COMMANDS = ["start", "adduser", "passwd", "deluser", "users", "check-config", "cert", "help"] as const;

/** `argv` without node and the script (process.argv.slice(2)). The config path comes back absolute. */
export function parseArgs(argv: readonly string[], cwd: string = process.cwd()): ParsedArgs {
  let config: string | undefined;
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") { positional.push(...argv.slice(i + 1)); break; }
    if (a === "-c" || a === "--config") {
      const v = argv[i + 1];
      if (v === undefined || v === "") return { ok: false, error: `${a} needs a file name` };
      config = v;
      i++;
    } else if (a.startsWith("--config=")) {
      config = a.slice("--config=".length);
      if (config === "") return { ok: false, error: "--config needs a file name" };
    } else if (a === "-h" || a === "--help") {
      help = true;
    } else if (a.startsWith("-") && a !== "-") {
      return { ok: false, error: `unknown option ${a}` };
    } else {
      positional.push(a);
    }
  }
  const configPath = resolve(cwd, config ?? DEFAULT_CONFIG);
  if (help) return { ok: true, configPath, command: { name: "help" } };
  const [name, ...rest] = positional;
  if (name === undefined) return { ok: false, error: "no command given" };
  if (!(COMMANDS as readonly string[]).includes(name)) return { ok: false, error: `unknown command "${name}"` };
  const arity = (min: number, max: number, what: string): string | null =>
    rest.length < min ? `${name} needs ${what}` : rest.length > max ? `too many arguments for ${name}` : null;
  let err: string | null;
  switch (name as (typeof COMMANDS)[number]) {
    case "adduser": case "passwd": case "deluser":
      if ((err = arity(1, 1, "an account address, like alice@example.org"))) return { ok: false, error: err };
      return { ok: true, configPath, command: { name: name as "adduser" | "passwd" | "deluser", jid: rest[0] } };
    case "users":
      if ((err = arity(0, 1, ""))) return { ok: false, error: err };
      return { ok: true, configPath, command: rest.length ? { name: "users", domain: rest[0] } : { name: "users" } };
    default:
      if ((err = arity(0, 0, ""))) return { ok: false, error: err };
      return { ok: true, configPath, command: { name } as Command };
  }
}
