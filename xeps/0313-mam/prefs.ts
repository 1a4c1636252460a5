/**
 * XEP-0441 Message Archive Management Preferences: the <prefs/> element (§2), its JID matching rules (§3.2), and
 * the form in which preferences are stored.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { parseJid, type Jid } from "../../src/jid.js";
import type { Json } from "../../src/storage/types.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { NS_MAM } from "./ns.js";

/** §3.1: what happens to messages with a JID in neither list. */
export type DefaultPolicy = "always" | "roster" | "never";
export const DEFAULT_POLICIES: readonly DefaultPolicy[] = ["always", "roster", "never"];

export interface Prefs {
  readonly default: DefaultPolicy;
  /** Prepared JIDs (bare or full), each at most once, none of them also in `never`. */
  readonly always: readonly string[];
  readonly never: readonly string[];
}

/** Preferences with a default and no lists: what a user who never set any has. */
export const defaultPrefs = (policy: DefaultPolicy): Prefs => ({ default: policy, always: [], never: [] });

export const isDefaultPrefs = (p: Prefs, policy: DefaultPolicy): boolean =>
  p.default === policy && p.always.length === 0 && p.never.length === 0;

/**
 * The lists without duplicates; a JID in both lists is kept only in `never` (the spec leaves the case open: the
 * server answers with the preferences it applied, §2, and not archiving is the side that keeps a promise of privacy).
 */
export function normalisePrefs(policy: DefaultPolicy, always: Iterable<string>, never: Iterable<string>): Prefs {
  const no = [...new Set(never)];
  const noSet = new Set(no);
  return { default: policy, always: [...new Set(always)].filter((j) => !noSet.has(j)), never: no };
}

/** The JIDs of an <always/> or <never/> list, prepared; an error names the first malformed one. */
function jidList(list: Element | undefined): { ok: true; jids: string[] } | { ok: false; error: StanzaError } {
  const jids: string[] = [];
  for (const j of list?.getChildren("jid") ?? []) {
    const parsed = parseJid(j.getText().trim());
    if (!parsed.ok) return { ok: false, error: new StanzaError("jid-malformed", `not a JID: ${j.getText()}`) };
    jids.push(parsed.jid.full);
  }
  return { ok: true, jids };
}

/** §2: a <prefs/> a client sets. The default is required; missing lists are empty (§3.1). */
export function parsePrefs(el: Element): { ok: true; prefs: Prefs } | { ok: false; error: StanzaError } {
  const policy = el.attrs.default as DefaultPolicy | undefined;
  if (policy === undefined || !DEFAULT_POLICIES.includes(policy)) {
    return { ok: false, error: new StanzaError("bad-request", "default must be always, roster or never") };
  }
  const always = jidList(el.getChild("always"));
  if (!always.ok) return always;
  const never = jidList(el.getChild("never"));
  if (!never.ok) return never;
  return { ok: true, prefs: normalisePrefs(policy, always.jids, never.jids) };
}

/** §2: the preferences in force, with both lists present even when empty. */
export function prefsElement(p: Prefs): Element {
  const list = (name: string, jids: readonly string[]) => xml(name, {}, ...jids.map((j) => xml("jid", {}, j)));
  return xml("prefs", { xmlns: NS_MAM, default: p.default }, list("always", p.always), list("never", p.never));
}

export const prefsToJson = (p: Prefs): Json => ({ default: p.default, always: [...p.always], never: [...p.never] });

/** Stored preferences; undefined when the value is not preferences (the caller logs and uses the default). */
export function prefsFromJson(v: Json | undefined): Prefs | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const { default: policy, always, never } = v;
  const strings = (a: Json | undefined): a is string[] => Array.isArray(a) && a.every((x) => typeof x === "string");
  if (typeof policy !== "string" || !DEFAULT_POLICIES.includes(policy as DefaultPolicy)) return undefined;
  if (!strings(always) || !strings(never)) return undefined;
  return normalisePrefs(policy as DefaultPolicy, always, never);
}

/**
 * Preferences compiled for the per-message decision: §3.2 JID matching, a listed full JID compared with the target
 * as is, a listed bare JID with the target's bare JID. The more specific (full) entry decides first.
 */
export class PrefsMatcher {
  readonly #alwaysFull = new Set<string>();
  readonly #alwaysBare = new Set<string>();
  readonly #neverFull = new Set<string>();
  readonly #neverBare = new Set<string>();

  constructor(readonly prefs: Prefs) {
    const sort = (jids: readonly string[], full: Set<string>, bare: Set<string>) => {
      for (const j of jids) (j.includes("/") ? full : bare).add(j);
    };
    sort(prefs.always, this.#alwaysFull, this.#alwaysBare);
    sort(prefs.never, this.#neverFull, this.#neverBare);
  }

  /** The list `target` is on, if any. */
  listed(target: Jid): "always" | "never" | undefined {
    if (target.resource !== "") {
      if (this.#neverFull.has(target.full)) return "never";
      if (this.#alwaysFull.has(target.full)) return "always";
    }
    if (this.#neverBare.has(target.bare)) return "never";
    if (this.#alwaysBare.has(target.bare)) return "always";
    return undefined;
  }

  /** §3.1, §3.2: whether messages with `target` are archived; `inRoster` is asked only for the roster default. */
  allows(target: Jid, inRoster: (bare: string) => boolean): boolean {
    const listed = this.listed(target);
    if (listed !== undefined) return listed === "always";
    if (this.prefs.default === "roster") return inRoster(target.bare);
    return this.prefs.default === "always";
  }
}
