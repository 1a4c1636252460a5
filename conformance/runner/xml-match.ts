/**
 * Structural XML matching for scripted conversations: does a received stanza match what the script expects?
 *
 * - Elements match by local name and namespace (resolved through `xmlns` and prefixes, so `<stream:error>` and
 *   default namespaces compare by meaning, not spelling).
 * - Attributes: every attribute the script gives must be present with that value; attribute order never
 *   matters; attributes the script does not mention are allowed. `xmlns` declarations are not attributes.
 * - Children: every child element the script gives must be matched by a distinct received child, in any order;
 *   extra received children are allowed.
 * - Text: when the script gives text (trimmed), the received text (trimmed) must match it; when it gives none,
 *   the received text is not looked at.
 * - In `exact` mode the received element may have nothing more: no other attribute, child or text.
 *
 * Values (attribute values and text) may hold markers: `{any}` (present, any value), `{int}` (decimal digits),
 * `{datetime}` (XEP-0082 DateTime), `{tzo}` (XEP-0082 time zone offset), `{capture:NAME}` (any value, bound to
 * NAME; if NAME is already bound the value must equal it), `${NAME}` (the value of a variable), and, as a whole
 * attribute value, `{none}` (the attribute must be absent). Markers may be embedded: `${Alice.bare}/{any}`.
 *
 * An expected child element with `scs:absent='true'` asserts the opposite: no received child matches it (by
 * name, namespace and the attributes it gives).
 */
import type { Element } from "ltx";

export const NS_STREAMS = "http://etherx.jabber.org/streams";
/** Script-only namespace (prefix `scs`): `scs:absent='true'` on an expected element means "no such child". */
export const NS_SCS = "urn:palaver:scs";
const NS_XML = "http://www.w3.org/XML/1998/namespace";

/** Namespace declarations in scope: prefix ("" for the default namespace) → URI. */
export type NsScope = Readonly<Record<string, string>>;

/** What a client stream declares on its header (RFC 6120 §4.8): stanzas are jabber:client, `stream:` the streams namespace. */
export const CLIENT_STREAM_SCOPE: NsScope = { "": "jabber:client", stream: NS_STREAMS, xml: NS_XML, scs: NS_SCS };

/** A script mistake (unknown variable, malformed marker): reported as such, never as a server failure. */
export class ScriptError extends Error {}

export type Bindings = ReadonlyMap<string, string>;

export interface MatchContext {
  /** The value of `${name}`, or undefined when there is no such variable. */
  variable(name: string): string | undefined;
  exact: boolean;
}

export type MatchResult =
  | { ok: true; bindings: Map<string, string> }
  | { ok: false; path: string; reason: string };

// ---- value patterns ----

type Token = { kind: "literal"; text: string } | { kind: "any" | "int" | "datetime" | "tzo" } | { kind: "capture"; name: string };

const MARKER = /\$\{([A-Za-z_][\w.-]*)\}|\{(any|int|datetime|tzo|none|capture)(?::([^{}]*))?\}/g;
const VAR_NAME = /^[A-Za-z_][\w-]*$/;
const PATTERNS: Record<"any" | "int" | "datetime" | "tzo", string> = {
  any: "[\\s\\S]+?",
  int: "\\d+",
  // XEP-0082 §3.2 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD
  datetime: "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?(?:Z|[+-]\\d{2}:\\d{2})",
  tzo: "(?:Z|[+-]\\d{2}:\\d{2})",
};

/** True when the value holds a marker (so it is a pattern, not a literal). */
export function hasMarker(value: string): boolean {
  MARKER.lastIndex = 0;
  return MARKER.test(value);
}

function tokens(value: string, ctx: MatchContext, bindings: Bindings): Token[] | "none" {
  const out: Token[] = [];
  let last = 0;
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(value); m; m = MARKER.exec(value)) {
    if (m.index > last) out.push({ kind: "literal", text: value.slice(last, m.index) });
    last = m.index + m[0].length;
    if (m[1] !== undefined) {
      const v = bindings.get(m[1]) ?? ctx.variable(m[1]);
      if (v === undefined) throw new ScriptError(`unknown variable \${${m[1]}}`);
      out.push({ kind: "literal", text: v });
      continue;
    }
    const kind = m[2] as "any" | "int" | "datetime" | "tzo" | "none" | "capture";
    if (kind === "none") {
      if (value !== "{none}") throw new ScriptError("{none} must be the whole attribute value");
      return "none";
    }
    if (kind === "capture") {
      const name = m[3]?.trim() ?? "";
      if (!VAR_NAME.test(name)) throw new ScriptError(`{capture:${name}}: a capture needs a name of letters, digits, _ or -`);
      out.push({ kind: "capture", name });
      continue;
    }
    if (m[3] !== undefined) throw new ScriptError(`{${kind}} takes no argument`);
    out.push({ kind });
  }
  if (last < value.length) out.push({ kind: "literal", text: value.slice(last) });
  return out;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Match one value; returns the new bindings, or a reason. */
function matchValue(expected: string, received: string | undefined, ctx: MatchContext, bindings: Map<string, string>):
  { ok: true } | { ok: false; reason: string } {
  const toks = tokens(expected, ctx, bindings);
  if (toks === "none") return received === undefined ? { ok: true } : { ok: false, reason: `expected no value, got "${received}"` };
  if (received === undefined) return { ok: false, reason: `missing (expected "${expected}")` };
  if (toks.every((t) => t.kind === "literal")) {
    const text = toks.map((t) => (t as { text: string }).text).join("");
    return text === received ? { ok: true } : { ok: false, reason: `expected "${text}", got "${received}"` };
  }
  const captures: string[] = [];
  const source = toks.map((t) => {
    if (t.kind === "literal") return escapeRegex(t.text);
    if (t.kind === "capture") { captures.push(t.name); return "([\\s\\S]+?)"; }
    return PATTERNS[t.kind];
  }).join("");
  const m = new RegExp(`^${source}$`).exec(received);
  if (!m) return { ok: false, reason: `"${received}" does not match "${expected}"` };
  for (let i = 0; i < captures.length; i++) {
    const name = captures[i]!;
    const value = m[i + 1]!;
    const bound = bindings.get(name);
    if (bound !== undefined && bound !== value) return { ok: false, reason: `{capture:${name}} was "${bound}", here "${value}"` };
    bindings.set(name, value);
  }
  return { ok: true };
}

// ---- elements ----

/** An element with its namespace resolved and its declarations split from its attributes. */
interface Resolved {
  local: string;
  ns: string;
  attrs: Record<string, string>;
  children: Resolved[];
  text: string;
  /** Expected side only: this child must not be there. */
  absent: boolean;
}

function resolve(el: Element, inherited: NsScope, fromScript: boolean): Resolved {
  let scope: Record<string, string> | null = null;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    if (k === "xmlns") (scope ??= { ...inherited })[""] = String(v);
    else if (k.startsWith("xmlns:")) (scope ??= { ...inherited })[k.slice(6)] = String(v);
    else attrs[k] = String(v);
  }
  const s = scope ?? inherited;
  let absent = false;
  for (const k of Object.keys(attrs)) {
    const c = k.indexOf(":");
    if (fromScript && c !== -1 && s[k.slice(0, c)] === NS_SCS) {
      if (k.slice(c + 1) !== "absent" || attrs[k] !== "true") throw new ScriptError(`unknown script attribute ${k}='${attrs[k]}' (only scs:absent='true')`);
      absent = true;
      delete attrs[k];
    }
  }
  const colon = el.name.indexOf(":");
  const prefix = colon === -1 ? "" : el.name.slice(0, colon);
  const local = colon === -1 ? el.name : el.name.slice(colon + 1);
  const ns = s[prefix] ?? (prefix ? `(undeclared prefix ${prefix})` : "");
  let text = "";
  const children: Resolved[] = [];
  for (const c of el.children) {
    if (typeof c === "string") text += c;
    else children.push(resolve(c as Element, s, fromScript));
  }
  return { local, ns, attrs, children, text, absent };
}

function label(r: Resolved): string {
  const key = r.attrs.var ?? r.attrs.jid ?? r.attrs.node ?? r.attrs.category;
  return key === undefined ? r.local : `${r.local}[${key}]`;
}

function matchResolved(exp: Resolved, rec: Resolved, ctx: MatchContext, bindings: Map<string, string>, path: string): MatchResult {
  const here = path ? `${path}/${label(rec)}` : label(rec);
  if (exp.local !== rec.local || exp.ns !== rec.ns) {
    return { ok: false, path: path || "/", reason: `expected <${exp.local} xmlns='${exp.ns}'>, got <${rec.local} xmlns='${rec.ns}'>` };
  }
  for (const [name, value] of Object.entries(exp.attrs)) {
    const r = matchValue(value, rec.attrs[name], ctx, bindings);
    if (!r.ok) return { ok: false, path: `${here}/@${name}`, reason: r.reason };
  }
  if (ctx.exact) {
    const extra = Object.keys(rec.attrs).filter((a) => !(a in exp.attrs));
    if (extra.length) return { ok: false, path: here, reason: `unexpected attribute${extra.length > 1 ? "s" : ""} ${extra.join(", ")} (exactly)` };
  }
  const expText = exp.text.trim();
  if (expText) {
    const r = matchValue(expText, rec.text.trim(), ctx, bindings);
    if (!r.ok) return { ok: false, path: `${here}/text()`, reason: r.reason };
  } else if (ctx.exact && rec.text.trim()) {
    return { ok: false, path: `${here}/text()`, reason: `unexpected text "${rec.text.trim()}" (exactly)` };
  }
  const present = exp.children.filter((c) => !c.absent);
  if (ctx.exact && rec.children.length !== present.length) {
    return { ok: false, path: here, reason: `expected ${present.length} child element(s), got ${rec.children.length} (exactly)` };
  }
  for (const a of exp.children.filter((c) => c.absent)) {
    const found = rec.children.find((r) => matchResolved({ ...a, absent: false }, r, { ...ctx, exact: false }, new Map(bindings), here).ok);
    if (found) return { ok: false, path: `${here}/${label(found)}`, reason: `${describe(a)} is there, but the script says it must not be (scs:absent)` };
  }
  return matchChildren(present, rec.children, ctx, bindings, here);
}

/** Find distinct received children for every expected one (any order), backtracking over the choices. */
function matchChildren(exp: Resolved[], rec: Resolved[], ctx: MatchContext, bindings: Map<string, string>, path: string): MatchResult {
  const used = new Array<boolean>(rec.length).fill(false);
  let firstFailure: { path: string; reason: string } | null = null;
  const search = (i: number, b: Map<string, string>): Map<string, string> | null => {
    if (i === exp.length) return b;
    const e = exp[i]!;
    // Why it failed: the reason of the only same-named candidate, or "missing" when there are none or several.
    const sameName: { path: string; reason: string }[] = [];
    for (let j = 0; j < rec.length; j++) {
      if (used[j]) continue;
      const r = matchResolved(e, rec[j]!, ctx, new Map(b), path);
      if (r.ok) {
        used[j] = true;
        const done = search(i + 1, r.bindings);
        if (done) return done;
        used[j] = false;
      } else if (rec[j]!.local === e.local && rec[j]!.ns === e.ns) {
        sameName.push({ path: r.path, reason: r.reason });
      }
    }
    firstFailure ??= sameName.length === 1 ? sameName[0]! :
      { path, reason: `missing child ${describe(e)}${sameName.length ? ` (none of the ${sameName.length} <${e.local}/> received matches)` : ""}` };
    return null;
  };
  const result = search(0, bindings);
  if (result) return { ok: true, bindings: result };
  return { ok: false, ...firstFailure! };
}

function describe(r: Resolved): string {
  const attrs = Object.entries(r.attrs).map(([k, v]) => ` ${k}='${v}'`).join("");
  return `<${r.local}${attrs}/>${r.ns ? ` (${r.ns})` : ""}`;
}

/**
 * Does `received` match `expected`? Both are top-level elements of a client stream (resolved in
 * CLIENT_STREAM_SCOPE). On success, the bindings include the new captures.
 */
export function matchStanza(expected: Element, received: Element, ctx: MatchContext, bindings: Bindings = new Map(), scope: NsScope = CLIENT_STREAM_SCOPE): MatchResult {
  return matchResolved(expectedTop(expected, scope), resolve(received, scope, false), ctx, new Map(bindings), "");
}

function expectedTop(el: Element, scope: NsScope): Resolved {
  const r = resolve(el, scope, true);
  if (r.absent) throw new ScriptError("scs:absent is for child elements; use \"receives nothing\" for a stanza that must not come");
  return r;
}

/**
 * Match several expected elements against as many received ones: in order, or in any order (a permutation).
 * Returns the failure of the first expected element that found no partner.
 */
export function matchSequence(expected: Element[], received: Element[], ctx: MatchContext, anyOrder: boolean, bindings: Bindings = new Map()):
  MatchResult & { index?: number } {
  if (!anyOrder) {
    let b = new Map(bindings);
    for (let i = 0; i < expected.length; i++) {
      const r = matchStanza(expected[i]!, received[i]!, ctx, b);
      if (!r.ok) return { ...r, index: i };
      b = r.bindings;
    }
    return { ok: true, bindings: b };
  }
  const exp = expected.map((e) => expectedTop(e, CLIENT_STREAM_SCOPE));
  const rec = received.map((e) => resolve(e, CLIENT_STREAM_SCOPE, false));
  const r = matchChildren(exp, rec, ctx, new Map(bindings), "");
  return r;
}
