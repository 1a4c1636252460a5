/**
 * References to the specification sections a conformance check proves: `RFC 6120 §8.3.3.19`, `XEP-0199 §4.2`,
 * or a whole spec (`XEP-0368`), optionally scoped with a parenthesised word (`XEP-0313 §6 (MUC)`) where a
 * compliance requirement asks for one use of a spec (XEP-0479: history "from a MUC archive").
 */

export interface SpecRef {
  /** Normalised spec key: "RFC 6120" or "XEP-0199". */
  spec: string;
  /** The section without its "§" ("4.2"), or null for the whole spec. */
  section: string | null;
  /** A scope such as "MUC", or null. */
  scope: string | null;
}

const REF = /^(?:(RFC)\s*(\d{1,5})|(XEP)-?(\d{1,4}))(?:\s+§\s*(\d+(?:\.\d+)*))?(?:\s+\(([^()]+)\))?$/i;

/** The normalised key of a spec name: "rfc6120" → "RFC 6120", "xep-199" → "XEP-0199"; null when it is neither. */
export function specKey(name: string): string | null {
  const m = /^(?:(RFC)\s*(\d{1,5})|(XEP)-?(\d{1,4}))$/i.exec(name.trim());
  if (!m) return null;
  return m[1] ? `RFC ${Number(m[2])}` : `XEP-${m[4]!.padStart(4, "0")}`;
}

export function xepKey(n: number): string {
  return `XEP-${String(n).padStart(4, "0")}`;
}

export function parseSpecRef(text: string): { ok: true; ref: SpecRef } | { ok: false; error: string } {
  const m = REF.exec(text.trim());
  if (!m) return { ok: false, error: `"${text.trim()}" is not a spec reference (like "RFC 6120 §8.3.3.19" or "XEP-0199 §4.2")` };
  const spec = m[1] ? `RFC ${Number(m[2])}` : `XEP-${m[4]!.padStart(4, "0")}`;
  return { ok: true, ref: { spec, section: m[5] ?? null, scope: m[6]?.trim() ?? null } };
}

/** Parse a comma-separated list; throws with every bad entry named. */
export function parseSpecRefs(list: string): SpecRef[] {
  const refs: SpecRef[] = [];
  const errors: string[] = [];
  for (const part of list.split(",")) {
    if (!part.trim()) continue;
    const r = parseSpecRef(part);
    if (r.ok) refs.push(r.ref); else errors.push(r.error);
  }
  if (errors.length) throw new Error(errors.join("; "));
  return refs;
}

export function formatSpecRef(r: SpecRef): string {
  return `${r.spec}${r.section ? ` §${r.section}` : ""}${r.scope ? ` (${r.scope})` : ""}`;
}
