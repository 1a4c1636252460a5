/**
 * Configuration errors: each names the file, the key path (`listeners[1].port`), the line and column when the
 * key can be found in the file, and the problem in plain words.
 */

export type ConfigPath = readonly (string | number)[];

export interface ConfigError {
  file: string;
  /** Key path as written for people: `hosts.localhost.admins[0]`; "" for the whole file. */
  path: string;
  /** 1-based, when the key (or its nearest parent) was found in the file. */
  line?: number;
  column?: number;
  message: string;
}

const PLAIN_KEY = /^[\p{L}\p{N}_.\-]+$/u;

/** `["listeners", 1, "port"]` -> `listeners[1].port`; keys with unusual characters are quoted. */
export function formatPath(path: ConfigPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** One line per error: `palaver.yaml:12:7: listeners[1].port: expected a number, got the string "52x22"`. */
export function formatConfigErrors(errors: readonly ConfigError[]): string {
  return errors
    .map((e) => {
      const where = e.line !== undefined ? `${e.file}:${e.line}:${e.column ?? 1}` : e.file;
      return e.path ? `${where}: ${e.path}: ${e.message}` : `${where}: ${e.message}`;
    })
    .join("\n");
}

/** How a value found in the file is named in a message. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "an empty value";
  if (typeof v === "string") {
    const shown = v.length > 40 ? `${v.slice(0, 37)}...` : v;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof v === "number") return `the number ${v}`;
  if (typeof v === "boolean") return `the value ${v}`;
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `a ${typeof v}`;
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment), for suggestions. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest candidate when it is close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestScore) { best = c; bestScore = d; }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(w.length, best.length) / 3));
  return bestScore <= limit ? best : undefined;
}

/** ` (did you mean "port"?)`, or "" when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  return s === undefined ? "" : ` (did you mean ${JSON.stringify(s)}?)`;
}
