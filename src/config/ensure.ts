/** First start: without a config file, copy the documented example into place and say so. */
import { constants, copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** palaver.example.yaml at the package root (this file runs as dist/src/config/ensure.js). */
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL("../../../palaver.example.yaml", import.meta.url));

export type EnsureResult = { ok: true; created: boolean; path: string } | { ok: false; error: string };

export function ensureConfigFile(
  path: string, examplePath: string = EXAMPLE_CONFIG_PATH, say: (line: string) => void = () => {},
): EnsureResult {
  const target = resolve(path);
  if (existsSync(target)) return { ok: true, created: false, path: target };
  if (!existsSync(examplePath)) {
    return { ok: false, error: `no configuration file at ${target}, and no example to copy (${examplePath} is missing)` };
  }
  try {
    mkdirSync(dirname(target), { recursive: true });
    // COPYFILE_EXCL: never overwrite a config another process wrote in the meantime.
    copyFileSync(examplePath, target, constants.COPYFILE_EXCL);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return { ok: true, created: false, path: target };
    return { ok: false, error: `cannot create ${target}: ${(e as Error).message}` };
  }
  say(`no configuration found: created ${target} from the example; edit it to add your domain`);
  return { ok: true, created: true, path: target };
}
