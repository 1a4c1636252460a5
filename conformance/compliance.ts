/**
 * XEP-0479 (XMPP Compliance Suites 2023) for a server: its requirements as data, and the report of which
 * category × level Palaver meets.
 *
 * A provider spec counts only when it is claimed (the core implements it, or an enabled module declares it) AND
 * confirmed (at least one conformance check that proves it passed, and none failed). A requirement is met when
 * every provider slot has such a spec; a category is met at a level when its requirements and, for Web, IM,
 * Mobile and A/V Calling, the Core category's requirements are met ("all features from the core compliance
 * category must be met", §2.2-§2.5).
 *
 * Only the server columns are encoded. Rows that are N/A or ✕ for both server levels (client features, and
 * Connection Mechanism Discovery) are left out. Providers are all required ("A feature is considered supported
 * if all comma separated feature providers ... are implemented (unless otherwise noted)", §1); the footnotes
 * that name an alternative are encoded as alternatives in one slot.
 */
import type { SpecRef } from "./runner/spec-ref.js";
import { formatSpecRef } from "./runner/spec-ref.js";
import type { Claim } from "./runner/claims.js";

export type Level = "Server" | "Advanced Server";
export const LEVELS: readonly Level[] = ["Server", "Advanced Server"];

export type Category = "Core" | "Web" | "IM" | "Mobile" | "A/V Calling";
export const CATEGORIES: readonly Category[] = ["Core", "Web", "IM", "Mobile", "A/V Calling"];

/** A spec that can provide a feature; `scope` narrows it to one use (proved by checks with the same scope). */
export interface Provider { spec: string; scope?: string }

/** Met when any one of its alternatives is (one alternative for most slots). */
export interface ProviderSlot { anyOf: Provider[]; note?: string }

export interface Requirement {
  category: Category;
  feature: string;
  /** The server levels at which XEP-0479 requires it (✓). */
  levels: readonly Level[];
  /** All required. */
  providers: ProviderSlot[];
  notes?: string[];
}

const both: Level[] = ["Server", "Advanced Server"];
const advanced: Level[] = ["Advanced Server"];
const one = (spec: string, scope?: string): ProviderSlot => ({ anyOf: [scope ? { spec, scope } : { spec }] });
const COMPONENT = "may be provided by an external component or a module, which must then be named (XEP-0479 note)";

/** XEP-0479 version 0.1.0, §2 tables, server columns. */
export const REQUIREMENTS: readonly Requirement[] = [
  // §2.1 Core
  { category: "Core", feature: "Core features", levels: both, providers: [one("RFC 6120")],
    notes: ["RFC 7622 is deliberately not listed (XEP-0479 note on PRECIS and Stringprep)"] },
  { category: "Core", feature: "TLS", levels: both, providers: [one("RFC 7590")] },
  { category: "Core", feature: "Direct TLS", levels: advanced, providers: [one("XEP-0368")],
    notes: ["server support means accepting direct TLS connections"] },
  { category: "Core", feature: "Feature discovery", levels: both, providers: [one("XEP-0030")] },
  { category: "Core", feature: "Feature broadcasts", levels: advanced, providers: [one("XEP-0115")] },
  { category: "Core", feature: "Server Extensibility", levels: both, providers: [one("XEP-0114")] },
  { category: "Core", feature: "Event publishing", levels: advanced, providers: [one("XEP-0163")],
    notes: ["full Publish-Subscribe on users' JIDs is desirable and expected in future suites"] },
  // §2.2 Web
  { category: "Web", feature: "Web Connection Mechanisms", levels: both, providers: [one("RFC 7395"), one("XEP-0206")],
    notes: [COMPONENT, "the \"only one provider\" note applies to the client columns: a server offers both"] },
  // §2.3 IM
  { category: "IM", feature: "Core features", levels: both, providers: [one("RFC 6121")] },
  { category: "IM", feature: "User Avatar Compatibility", levels: advanced, providers: [one("XEP-0398"), one("XEP-0153")] },
  { category: "IM", feature: "vcard-temp", levels: both, providers: [one("XEP-0054")] },
  { category: "IM", feature: "Outbound Message Synchronization", levels: both, providers: [one("XEP-0280")] },
  { category: "IM", feature: "User Blocking", levels: advanced, providers: [one("XEP-0191")] },
  { category: "IM", feature: "Group Chat", levels: both, providers: [one("XEP-0045"), one("XEP-0249")], notes: [COMPONENT] },
  { category: "IM", feature: "Advanced Group Chat", levels: advanced,
    providers: [
      one("XEP-0048"),
      { anyOf: [{ spec: "XEP-0313", scope: "MUC" }], note: "history requested from a MUC archive, not the user's" },
      { anyOf: [{ spec: "XEP-0402" }, { spec: "XEP-0049" }], note: "XEP-0402 when 'urn:xmpp:bookmarks:1#compat' is exposed, otherwise XEP-0049 is used instead" },
      one("XEP-0410"),
    ],
    notes: [COMPONENT] },
  { category: "IM", feature: "Persistent Storage of Private Data via PubSub", levels: advanced, providers: [one("XEP-0223")], notes: [COMPONENT] },
  { category: "IM", feature: "Private XML Storage", levels: advanced, providers: [one("XEP-0049")],
    notes: [COMPONENT, "only recommended for legacy bookmarks support"] },
  { category: "IM", feature: "Stream Management", levels: advanced, providers: [one("XEP-0198")] },
  { category: "IM", feature: "History Storage / Retrieval", levels: advanced, providers: [one("XEP-0313")] },
  { category: "IM", feature: "File Upload", levels: both, providers: [one("XEP-0363")], notes: [COMPONENT] },
  // §2.4 Mobile
  { category: "Mobile", feature: "Stream Management", levels: both, providers: [one("XEP-0198")] },
  { category: "Mobile", feature: "Client State Indication", levels: both, providers: [one("XEP-0352")] },
  { category: "Mobile", feature: "Third Party Push Notifications", levels: advanced, providers: [one("XEP-0357")], notes: [COMPONENT] },
  // §2.5 A/V Calling
  { category: "A/V Calling", feature: "STUN/TURN server discovery", levels: both, providers: [one("XEP-0215")] },
];

// ---- evaluation ----

/** A check's result as the report needs it. */
export interface CheckResult {
  name: string;
  status: "pass" | "fail" | "skip";
  proves: readonly SpecRef[];
}

export type ProviderState = "confirmed" | "not implemented" | "no check" | "check failed";

export interface ProviderEval {
  provider: Provider;
  state: ProviderState;
  claims: Claim[];
  passed: string[];
  failed: string[];
}

export interface RequirementEval {
  requirement: Requirement;
  slots: { slot: ProviderSlot; met: boolean; providers: ProviderEval[] }[];
  met: boolean;
}

export interface CategoryEval {
  category: Category;
  level: Level;
  met: boolean;
  /** Unmet requirements of this category at this level (Core's are reported as "Core"). */
  missing: RequirementEval[];
  coreMet: boolean;
}

export interface ComplianceReport {
  requirements: RequirementEval[];
  categories: CategoryEval[];
}

const label = (p: Provider) => `${p.spec}${p.scope ? ` (${p.scope})` : ""}`;

function sameScope(a: string | null | undefined, b: string | null | undefined): boolean {
  return (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
}

export function evaluateProvider(p: Provider, claims: readonly Claim[], checks: readonly CheckResult[]): ProviderEval {
  const mine = claims.filter((c) => c.spec === p.spec);
  const proving = checks.filter((c) => c.proves.some((r) => r.spec === p.spec && sameScope(r.scope, p.scope)));
  const passed = proving.filter((c) => c.status === "pass").map((c) => c.name);
  const failed = proving.filter((c) => c.status === "fail").map((c) => c.name);
  const state: ProviderState = mine.length === 0 ? "not implemented" : failed.length ? "check failed" : passed.length ? "confirmed" : "no check";
  return { provider: p, state, claims: mine, passed, failed };
}

export function evaluate(claims: readonly Claim[], checks: readonly CheckResult[], requirements: readonly Requirement[] = REQUIREMENTS): ComplianceReport {
  const evals = requirements.map((requirement): RequirementEval => {
    const slots = requirement.providers.map((slot) => {
      const providers = slot.anyOf.map((p) => evaluateProvider(p, claims, checks));
      return { slot, providers, met: providers.some((p) => p.state === "confirmed") };
    });
    return { requirement, slots, met: slots.every((s) => s.met) };
  });
  const at = (category: Category, level: Level) => evals.filter((e) => e.requirement.category === category && e.requirement.levels.includes(level));
  const categories: CategoryEval[] = [];
  for (const category of CATEGORIES) {
    for (const level of LEVELS) {
      const missing = at(category, level).filter((e) => !e.met);
      const coreMet = at("Core", level).every((e) => e.met);
      categories.push({ category, level, missing, coreMet, met: missing.length === 0 && coreMet });
    }
  }
  return { requirements: evals, categories };
}

// ---- rendering ----

/** "XEP-0114" or "XEP-0402 or XEP-0049", each with why it does not count. */
function slotProblem(s: RequirementEval["slots"][number]): string {
  return s.providers.map((p) => `${label(p.provider)}${p.state === "not implemented" ? "" : ` (${p.state})`}`).join(" or ");
}

/** What a category lacks at a level, e.g. "Core; XEP-0280 (no check), XEP-0054". */
export function missingText(c: CategoryEval): string {
  const parts = c.missing.flatMap((r) => r.slots.filter((s) => !s.met).map(slotProblem));
  const unique = [...new Set(parts)];
  if (c.category !== "Core" && !c.coreMet) unique.unshift("Core");
  return unique.join(", ");
}

export function summaryTable(report: ComplianceReport): string {
  const cell = (c: CategoryEval) => (c.met ? "met" : `not met: ${missingText(c)}`);
  const rows = CATEGORIES.map((cat) => {
    const cells = LEVELS.map((l) => cell(report.categories.find((c) => c.category === cat && c.level === l)!));
    return `| ${cat} | ${cells.join(" | ")} |`;
  });
  return ["| category | Server | Advanced Server |", "| --- | --- | --- |", ...rows].join("\n");
}

function providerCell(p: ProviderEval): string {
  const by = [...new Set(p.claims.map((c) => (c.by === "core" ? "core" : `\`${c.by}\``)))].join(", ");
  const partial = p.claims.length > 0 && p.claims.every((c) => c.status === "partial") ? ", partial" : "";
  switch (p.state) {
    case "confirmed": return `${label(p.provider)}: ${by}${partial}; proved by ${p.passed.join(", ")}`;
    case "check failed": return `${label(p.provider)}: ${by}${partial}; **failed** ${p.failed.join(", ")}`;
    case "no check": return `${label(p.provider)}: ${by}${partial}; no check proves it`;
    case "not implemented": return `${label(p.provider)}: not implemented`;
  }
}

export function requirementsTable(report: ComplianceReport): string {
  const rows = report.requirements.map((r) => {
    const req = r.requirement;
    const levels = LEVELS.map((l) => (req.levels.includes(l) ? "required" : "—"));
    const providers = r.slots.map((s) => s.providers.map(providerCell).join(" *or* ") + (s.slot.note ? ` (${s.slot.note})` : "")).join("<br>");
    return `| ${req.category} | ${req.feature} | ${levels.join(" | ")} | ${providers} | ${r.met ? "met" : "not met"} |`;
  });
  return ["| category | feature | Server | Advanced Server | providers | status |", "| --- | --- | --- | --- | --- | --- |", ...rows].join("\n");
}

export interface CheckRow extends CheckResult { title: string; kind: string; source: string }

export function checksTable(checks: readonly CheckRow[]): string {
  const rows = checks.map((c) => `| ${c.name} | ${c.kind} | ${c.proves.map(formatSpecRef).join(", ")} | ${c.status.toUpperCase()} |`);
  return ["| check | kind | proves | result |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** conformance/compliance.md: the whole report, reproducible from the same results. */
export function complianceMarkdown(report: ComplianceReport, checks: readonly CheckRow[]): string {
  return [
    "# XEP-0479 compliance (XMPP Compliance Suites 2023)",
    "",
    "Generated by `npm run conformance -- --write` from the last full conformance run (scripted conversations",
    "and real clients against a live server). A provider counts only when Palaver implements it (the core, or an",
    "enabled module that declares it) and at least one conformance check proving it passed with none failing.",
    "See `conformance/README.md` for how checks are written and `conformance/compliance.ts` for the requirements.",
    "",
    "## Server levels",
    "",
    summaryTable(report),
    "",
    "## Requirements",
    "",
    requirementsTable(report),
    "",
    "## Checks",
    "",
    checksTable(checks),
    "",
  ].join("\n");
}

/** The console version of the summary. */
export function summaryText(report: ComplianceReport): string {
  const lines = ["XEP-0479 Compliance Suites 2023 (server levels):"];
  for (const cat of CATEGORIES) {
    for (const level of LEVELS) {
      const c = report.categories.find((x) => x.category === cat && x.level === level)!;
      lines.push(`  ${`${cat} / ${level}`.padEnd(30)} ${c.met ? "met" : `not met: ${missingText(c)}`}`);
    }
  }
  return lines.join("\n");
}

// ---- README section ----

export const README_START = "<!-- compliance:start -->";
export const README_END = "<!-- compliance:end -->";

export function readmeSection(report: ComplianceReport): string {
  return [
    summaryTable(report),
    "",
    "Details per requirement and the checks behind them: [conformance/compliance.md](conformance/compliance.md).",
    "The project description for xmpp.org's software list (DOAP, with every supported XEP): [doap.xml](doap.xml).",
  ].join("\n");
}

/** The README with the section between the compliance markers replaced (the markers must be there). */
export function withReadmeSection(readme: string, section: string): string {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  if (a === -1 || b === -1 || b < a) throw new Error(`README.md lacks the ${README_START} ... ${README_END} markers`);
  return `${readme.slice(0, a + README_START.length)}\n${section}\n${readme.slice(b)}`;
}

/** The section currently between the markers, or null. */
export function readmeSectionOf(readme: string): string | null {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  if (a === -1 || b === -1 || b < a) return null;
  return readme.slice(a + README_START.length, b).replace(/^\n/, "").replace(/\n$/, "");
}
