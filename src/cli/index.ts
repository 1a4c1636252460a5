/** The CLI's public surface: src/main.ts calls runCli, or the commands one by one. */
export { runCli, type CliDeps } from "./run.js";
export { parseArgs, USAGE, DEFAULT_CONFIG, type Command, type ParsedArgs } from "./args.js";
export { checkConfig, type CheckConfigOptions } from "./check-config.js";
export { adduser, passwd, deluser, users, accountJid } from "./accounts.js";
export { cert } from "./cert.js";
export { readNewPassword, readLine } from "./password.js";
export type { CliIO, CliAccounts, OpenAccounts, ExitCode } from "./types.js";
