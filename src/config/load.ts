/**
 * Loading `palaver.yaml`: YAML syntax, then the schema (schema.ts), then the rules between fields (rules.ts).
 * Every problem is reported at once, each naming the file, the key, its line and what is wrong.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { ConfigError } from "./errors.js";
import { checkAdmins, checkListeners, checkTlsFiles, canonicalHosts } from "./rules.js";
import { configSchema, type Config } from "./schema.js";
import { documentSource, type ConfigSource } from "./source.js";
import { validateWith } from "./zod-issues.js";

export type LoadResult =
  | {
    ok: true;
    config: Config;
    /** The config file's directory: relative paths in the config resolve against it. */
    dir: string;
    /** Where keys are in the file, for errors found later (module sections). */
    source: ConfigSource;
    /** Problems that do not stop the server (a certificate that expired or names another domain). */
    warnings: ConfigError[];
  }
  | { ok: false; errors: ConfigError[] };

export interface LoadOptions {
  /** For certificate expiry checks. */
  now?: Date;
}

/** Parse YAML text; a syntax error comes back with its line and column. */
export function parseConfigText(file: string, text: string):
  { ok: true; raw: unknown; source: ConfigSource } | { ok: false; errors: ConfigError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { file, path: "", line, column: col, message: `YAML syntax error: ${e.message}` };
      }),
    };
  }
  const source = documentSource(file, doc, lineCounter);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, errors: [{ file, path: "", message: `YAML error: ${(e as Error).message}` }] };
  }
  return { ok: true, raw: raw ?? {}, source };
}

/** Validate an already parsed document (used by loadConfig, and by tests with inline text). */
export function validateConfig(raw: unknown, dir: string, source: ConfigSource, opts: LoadOptions = {}): LoadResult {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    const p = source.locate([]);
    return {
      ok: false,
      errors: [{
        file: source.file, path: "", ...(p ? { line: p.line, column: p.column } : {}),
        message: "the file must be a mapping of keys (hosts:, listeners:, modules:, ...), not a list or a single value",
      }],
    };
  }
  const parsed = validateWith(configSchema, raw, source);
  if (!parsed.ok) return parsed;
  const config = parsed.value;
  const tls = checkTlsFiles(config, dir, source, opts.now);
  const canonical = canonicalHosts(config, source);
  const errors = [
    ...checkListeners(config, source),
    ...checkAdmins(config, source),
    ...tls.errors,
    ...canonical.errors,
  ];
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: { ...config, hosts: canonical.hosts }, dir, source, warnings: tls.warnings };
}

/** Read and validate a config file. */
export function loadConfig(file: string, opts: LoadOptions = {}): LoadResult {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === "ENOENT"
      ? "configuration file not found (copy palaver.example.yaml to it, or give another with --config FILE)"
      : code === "EISDIR" ? "is a directory, not a configuration file"
      : `cannot read the configuration file: ${(e as Error).message}`;
    return { ok: false, errors: [{ file, path: "", message }] };
  }
  const parsed = parseConfigText(file, text);
  if (!parsed.ok) return parsed;
  return validateConfig(parsed.raw, dirname(path), parsed.source, opts);
}

/** Absolute paths the config names, resolved against the config file's directory (`database`: SQLite's file). */
export function configPaths(config: Config, dir: string): { dataDir: string; certsDir: string; database?: string } {
  const dataDir = resolve(dir, config.dataDir);
  const paths = { dataDir, certsDir: resolve(dir, config.certsDir) };
  return config.storage.driver === "sqlite" ? { ...paths, database: resolve(dataDir, config.storage.file) } : paths;
}
