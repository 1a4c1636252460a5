/**
 * What CLI commands are given: the terminal as streams (so tests use their own), and factories for the
 * parts other layers provide (account storage), wired by src/main.ts.
 */
import type { Readable, Writable } from "node:stream";
import type { Config } from "../config/schema.js";
import type { AccountsApi } from "../modules.js";

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** True when stdin is a terminal: passwords are then prompted for, twice, without echo. */
  isTTY: boolean;
}

/** Account management over the configured storage; `close()` releases the database. */
export interface CliAccounts extends Pick<AccountsApi, "exists" | "create" | "setPassword" | "delete" | "list"> {
  close(): Promise<void>;
}

/** Opens the accounts of a loaded config (`dir` is the config file's directory, for relative paths). */
export type OpenAccounts = (config: Config, dir: string) => Promise<CliAccounts>;

/** Exit code of a command: 0 success, 1 failure, 2 wrong usage. */
export type ExitCode = 0 | 1 | 2;
