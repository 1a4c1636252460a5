/**
 * Module sections of the config (`modules.<id>`): validated by each module's own schema when the registry loads
 * it, with errors in the same words and at the same places as the core's.
 */
import { z } from "zod";
import { didYouMean, formatPath, type ConfigError } from "./errors.js";
import { fileOnlySource, type ConfigSource } from "./source.js";
import { validateWith } from "./zod-issues.js";

const NO_OPTIONS = z.strictObject({});

export type ModuleConfigResult<C> = { ok: true; value: C } | { ok: false; errors: ConfigError[] };

/**
 * Validate the section of module `id`. An empty section (`ping:` alone) takes every default. A module without
 * a schema passes `schema` undefined: then any key in its section is an error. `source` is the one
 * `loadConfig` returned, so errors carry line numbers.
 */
export function validateModuleConfig<C>(
  id: string, schema: z.ZodType<C> | undefined, raw: unknown, source: ConfigSource = fileOnlySource("palaver.yaml"),
): ModuleConfigResult<C> {
  // An empty section (YAML null) takes every default; a module without options accepts only that.
  const section = raw ?? {};
  return validateWith(schema ?? (NO_OPTIONS as unknown as z.ZodType<C>), section, source, ["modules", id]);
}

/** An error for each enabled module id that no module has, listing the known ones. */
export function checkModuleIds(
  enabled: Iterable<string>, known: readonly string[], source: ConfigSource = fileOnlySource("palaver.yaml"),
): ConfigError[] {
  const errors: ConfigError[] = [];
  const sorted = [...known].sort();
  for (const id of enabled) {
    if (known.includes(id)) continue;
    const path = ["modules", id];
    const p = source.locate(path, "key");
    errors.push({
      file: source.file, path: formatPath(path), ...(p ? { line: p.line, column: p.column } : {}),
      message: `unknown module "${id}"${didYouMean(id, known)}; known modules: ${sorted.join(", ")}`,
    });
  }
  return errors;
}
