/**
 * Turns zod issues into ConfigErrors in plain words, and walks a zod schema to know which keys exist at a path
 * (for "did you mean" suggestions) and which empty values can take their defaults.
 */
import type { z } from "zod";
import { describeValue, didYouMean, formatPath, type ConfigError, type ConfigPath } from "./errors.js";
import type { ConfigSource } from "./source.js";

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** Strip wrappers that do not change the shape of the value (default, optional, refinements, ...). */
export function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 32; i++) {
    const def = defOf(s);
    switch (def.type) {
      case "default": case "prefault": case "optional": case "nullable": case "nonoptional":
      case "readonly": case "catch":
        s = def.innerType as z.ZodType;
        break;
      case "pipe": {
        // A preprocess pipe's input side is a transform; its output side has the shape.
        const inner = defOf(def.in).type === "transform" ? def.out : def.in;
        s = inner as z.ZodType;
        break;
      }
      case "lazy":
        s = (def.getter as () => z.ZodType)();
        break;
      default:
        return s;
    }
  }
  return s;
}

/** True when an absent value is fine for this schema (it has a default or is optional). */
function takesAbsent(schema: z.ZodType): boolean {
  let s = schema;
  for (let i = 0; i < 32; i++) {
    const def = defOf(s);
    if (def.type === "default" || def.type === "prefault" || def.type === "optional") return true;
    if (def.type === "nullable" || def.type === "readonly" || def.type === "catch") s = def.innerType as z.ZodType;
    else return false;
  }
  return false;
}

function acceptsNull(schema: z.ZodType): boolean {
  let s = schema;
  for (let i = 0; i < 32; i++) {
    const def = defOf(s);
    if (def.type === "nullable" || def.type === "null" || def.type === "any" || def.type === "unknown") return true;
    if (def.type === "default" || def.type === "prefault" || def.type === "optional" || def.type === "readonly") {
      s = def.innerType as z.ZodType;
    } else return false;
  }
  return false;
}

/** The schemas a value at `seg` below `schema` may have (several for unions). */
function childSchemas(schema: z.ZodType, seg: string | number): z.ZodType[] {
  const s = unwrap(schema);
  const def = defOf(s);
  switch (def.type) {
    case "object": {
      const shape = def.shape as Record<string, z.ZodType>;
      return typeof seg === "string" && Object.hasOwn(shape, seg) ? [shape[seg]] : [];
    }
    case "record": return [def.valueType as z.ZodType];
    case "array": return typeof seg === "number" ? [def.element as z.ZodType] : [];
    case "union": return (def.options as z.ZodType[]).flatMap((o) => childSchemas(o, seg));
    default: return [];
  }
}

function schemasAt(schema: z.ZodType, path: ConfigPath): z.ZodType[] {
  let current = [schema];
  for (const seg of path) current = current.flatMap((s) => childSchemas(s, seg));
  return current;
}

/**
 * The branches of a union that a value may take: for a discriminated union whose discriminator the value names
 * (`driver: postgres`), only the branches with that discriminator; else all of them.
 */
function branchesFor(def: Def, value: unknown): z.ZodType[] {
  const options = def.options as z.ZodType[];
  const d = def.discriminator;
  if (typeof d !== "string" || value === null || typeof value !== "object") return options;
  const got = (value as Record<string, unknown>)[d];
  const matching = options.filter((o) => {
    const od = defOf(unwrap(o));
    if (od.type !== "object") return false;
    const field = (od.shape as Record<string, z.ZodType>)[d];
    const fd = field === undefined ? undefined : defOf(unwrap(field));
    return fd?.type === "literal" && (fd.values as unknown[]).includes(got);
  });
  return matching.length > 0 ? matching : options;
}

/**
 * Keys a mapping at `path` may hold, when its schema is an object (or a union of objects: those of the branch
 * `value`, the mapping itself, names when it is known).
 */
export function knownKeys(schema: z.ZodType, path: ConfigPath, value?: unknown): string[] {
  const keys = new Set<string>();
  const collect = (s: z.ZodType) => {
    const u = unwrap(s);
    const def = defOf(u);
    if (def.type === "object") for (const k of Object.keys(def.shape as object)) keys.add(k);
    else if (def.type === "union") for (const o of branchesFor(def, value)) collect(o);
  };
  for (const s of schemasAt(schema, path)) collect(s);
  return [...keys];
}

/**
 * `key:` with nothing after it is YAML's null. Where the schema gives that key a default (or makes it
 * optional) and does not itself accept null, an empty value means "the default", so `limits:` or a host written
 * as `localhost:` alone work. Returns a copy; the input is not changed.
 */
export function emptyToDefaults(schema: z.ZodType, value: unknown): unknown {
  const s = unwrap(schema);
  const def = defOf(s);
  if (Array.isArray(value)) {
    if (def.type !== "array") return value;
    return value.map((v) => emptyToDefaults(def.element as z.ZodType, v));
  }
  if (value === null || typeof value !== "object") return value;
  if (def.type === "union") {
    // The branch the value names by its discriminator; else the first object branch (keys common to every branch
    // behave the same).
    const first = branchesFor(def, value).find((o) => defOf(unwrap(o)).type === "object");
    return first ? emptyToDefaults(first, value) : value;
  }
  if (def.type !== "object" && def.type !== "record") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const child = def.type === "object" ? (def.shape as Record<string, z.ZodType>)[k] : (def.valueType as z.ZodType);
    if (child === undefined) { out[k] = v; continue; }
    if (v === null && takesAbsent(child) && !acceptsNull(child)) {
      // In an object the key is dropped; in a record the entry stays (it names something, like a host).
      if (def.type === "record") out[k] = undefined;
      continue;
    }
    out[k] = emptyToDefaults(child, v);
  }
  return out;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping (key: value)",
  record: "a mapping (key: value)",
  array: "a list",
  null: "an empty value",
  bigint: "a whole number",
  date: "a date",
};

function hint(expected: string, input: unknown): string {
  if (typeof input !== "string") return "";
  if ((expected === "number" || expected === "int") && input.trim() !== "" && Number.isFinite(Number(input))) {
    return " (write it without quotes)";
  }
  if (expected === "boolean" && /^(yes|no|on|off|y|n|"?true"?|"?false"?)$/i.test(input)) {
    return " (write true or false without quotes)";
  }
  return "";
}

function quoteAll(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  input?: unknown;
  [k: string]: unknown;
}

const toPath = (p: PropertyKey[]): (string | number)[] =>
  p.map((seg) => (typeof seg === "number" ? seg : String(seg)));

/** Plain-words translation of one zod issue (with `reportInput: true`); `base` prefixes every path. */
export function issueErrors(
  issue: Issue, schema: z.ZodType, source: ConfigSource, base: ConfigPath = [], schemaBase: ConfigPath = [],
): ConfigError[] {
  const rel = toPath(issue.path);
  const full = [...base, ...rel];
  const make = (path: ConfigPath, message: string, at: "key" | "value" = "value"): ConfigError => {
    const p = source.locate(path, at);
    return { file: source.file, path: formatPath(path), ...(p ? { line: p.line, column: p.column } : {}), message };
  };
  const schemaPath = [...schemaBase, ...rel];
  switch (issue.code) {
    case "invalid_type": {
      const expected = String(issue.expected);
      if (issue.input === undefined) {
        const key = full[full.length - 1];
        return [make(full, typeof key === "string" ? `missing required key "${key}"` : "missing value")];
      }
      const name = EXPECTED[expected] ?? `a ${expected}`;
      return [make(full, `expected ${name}, got ${describeValue(issue.input)}${hint(expected, issue.input)}`)];
    }
    case "unrecognized_keys": {
      const known = knownKeys(schema, schemaPath, issue.input);
      return (issue.keys as string[]).map((k) => {
        const tip = didYouMean(k, known);
        const list = tip === "" && known.length > 0 ? `; allowed here: ${known.join(", ")}` : "";
        return make([...full, k], `unknown key "${k}"${tip}${list}`, "key");
      });
    }
    case "invalid_value": {
      const values = issue.values as unknown[];
      const got = describeValue(issue.input);
      if (values.length === 1) return [make(full, `expected ${JSON.stringify(values[0])}, got ${got}`)];
      const tip = typeof issue.input === "string"
        ? didYouMean(issue.input, values.filter((v): v is string => typeof v === "string")) : "";
      return [make(full, `expected one of ${quoteAll(values)}, got ${got}${tip}`)];
    }
    case "too_big":
    case "too_small": {
      const big = issue.code === "too_big";
      const limit = Number(big ? issue.maximum : issue.minimum);
      const inclusive = issue.inclusive !== false;
      const origin = String(issue.origin);
      if (origin === "array" || origin === "set") {
        const msg = !big && limit === 1 ? "must not be empty" : `must have ${big ? "at most" : "at least"} ${limit} items`;
        return [make(full, msg)];
      }
      if (origin === "string") {
        return [make(full, `must be ${big ? "at most" : "at least"} ${limit} characters long`)];
      }
      const bound = big ? (inclusive ? "at most" : "less than") : (inclusive ? "at least" : "greater than");
      return [make(full, `must be ${bound} ${limit}, got ${describeValue(issue.input)}`)];
    }
    case "not_multiple_of":
      return [make(full, `must be a multiple of ${String(issue.divisor)}, got ${describeValue(issue.input)}`)];
    case "invalid_format":
      return [make(full, `not a valid ${String(issue.format)}: ${describeValue(issue.input)}`)];
    case "invalid_key": {
      const inner = (issue.issues as Issue[] | undefined) ?? [];
      const why = inner.map((i) => (i.code === "custom" ? i.message : i.message.replace(/^Invalid input: /, ""))).join("; ");
      return [make(full, why || "not an allowed key here", "key")];
    }
    case "invalid_union": {
      if (typeof issue.discriminator === "string") {
        const d = issue.discriminator;
        const input = issue.input as Record<string, unknown> | undefined;
        const got = input && typeof input === "object" ? input[d] : undefined;
        const options = (issue.options as unknown[] | undefined) ?? [];
        // zod already puts the discriminator key in the path in some versions; add it when it does not.
        const at = full[full.length - 1] === d ? full : [...full, d];
        if (got === undefined) return [make(at, `missing required key "${d}" (one of ${quoteAll(options)})`)];
        const tip = typeof got === "string" ? didYouMean(got, options.map(String)) : "";
        const want = options.length === 1 ? JSON.stringify(options[0]) : `one of ${quoteAll(options)}`;
        return [make(at, `expected ${want}, got ${describeValue(got)}${tip}`)];
      }
      const branches = (issue.errors as Issue[][] | undefined) ?? [];
      if (branches.length === 0) return [make(full, "does not match any allowed form")];
      const best = branches.reduce((a, b) => (b.length < a.length ? b : a));
      return best.flatMap((i) => issueErrors(i, schema, source, full, schemaPath));
    }
    case "custom":
      return [make(full, issue.message)];
    default:
      return [make(full, issue.message)];
  }
}

/** Validate `value` with `schema`; errors are located under `base` (e.g. `["modules", "ping"]`). */
export function validateWith<T>(
  schema: z.ZodType<T>, value: unknown, source: ConfigSource, base: ConfigPath = [],
): { ok: true; value: T } | { ok: false; errors: ConfigError[] } {
  const prepared = emptyToDefaults(schema, value);
  const r = schema.safeParse(prepared, { reportInput: true });
  if (r.success) return { ok: true, value: r.data };
  const errors = (r.error.issues as unknown as Issue[]).flatMap((i) => issueErrors(i, schema, source, base));
  return { ok: false, errors };
}
