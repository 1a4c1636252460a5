/** Loading the config for a CLI command: problems printed on stderr, in the same form as check-config. */
import { formatConfigErrors } from "../config/errors.js";
import { loadConfig, type LoadResult } from "../config/load.js";
import type { CliIO } from "./types.js";

export type Loaded = Extract<LoadResult, { ok: true }>;

export function loadForCli(configPath: string, io: CliIO, opts: { now?: Date } = {}): Loaded | null {
  const r = loadConfig(configPath, opts);
  if (!r.ok) {
    io.stderr.write(`${formatConfigErrors(r.errors)}\n`);
    const n = r.errors.length;
    io.stderr.write(`${n} problem${n === 1 ? "" : "s"} in ${configPath}\n`);
    return null;
  }
  if (r.warnings.length > 0) io.stderr.write(`${formatConfigErrors(r.warnings.map((w) => ({ ...w, message: `warning: ${w.message}` })))}\n`);
  return r;
}
