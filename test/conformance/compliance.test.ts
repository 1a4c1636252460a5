/**
 * The XEP-0479 report (conformance/compliance.ts): a requirement is met only when claimed AND proved by a
 * passing check with none failing; alternatives, scopes and the Core prerequisite; the generated files agree.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import test from "ava";
import {
  CATEGORIES, LEVELS, REQUIREMENTS, evaluate, readmeSection, readmeSectionOf, summaryTable, withReadmeSection,
  type CheckResult, type Requirement,
} from "../../conformance/compliance.js";
import { coreClaims, moduleClaims, type Claim } from "../../conformance/runner/claims.js";
import { allChecks } from "../../conformance/runner/checks.js";
import { parseSpecRefs, specKey } from "../../conformance/runner/spec-ref.js";
import { catalog } from "../../xeps/index.js";

const claim = (spec: string, by = "m"): Claim => ({ spec, by, status: "complete" });
const check = (name: string, status: CheckResult["status"], proves: string): CheckResult => ({ name, status, proves: parseSpecRefs(proves) });
const req = (r: Partial<Requirement> & Pick<Requirement, "providers">): Requirement =>
  ({ category: "Core", feature: "f", levels: ["Server", "Advanced Server"], ...r });

test("a requirement is met only when claimed and proved by a passing check, with no failing one", (t) => {
  const r = [req({ providers: [{ anyOf: [{ spec: "XEP-0199" }] }] })];
  const state = (claims: Claim[], checks: CheckResult[]) => evaluate(claims, checks, r).requirements[0]!.slots[0]!.providers[0]!.state;
  t.is(state([], [check("ping", "pass", "XEP-0199 §4.2")]), "not implemented");
  t.is(state([claim("XEP-0199")], []), "no check");
  t.is(state([claim("XEP-0199")], [check("other", "pass", "XEP-0030 §3.1")]), "no check");
  t.is(state([claim("XEP-0199")], [check("ping", "skip", "XEP-0199 §4.2")]), "no check");
  t.is(state([claim("XEP-0199")], [check("ping", "pass", "XEP-0199 §4.2")]), "confirmed");
  t.is(state([claim("XEP-0199")], [check("ping", "pass", "XEP-0199 §4.2"), check("ping2", "fail", "XEP-0199 §5")]), "check failed");
  t.true(evaluate([claim("XEP-0199")], [check("ping", "pass", "XEP-0199")], r).requirements[0]!.met);
});

test("every provider slot must be met; within a slot one alternative is enough", (t) => {
  const r = [req({ providers: [{ anyOf: [{ spec: "XEP-0048" }] }, { anyOf: [{ spec: "XEP-0402" }, { spec: "XEP-0049" }] }] })];
  const checks = [check("bookmarks", "pass", "XEP-0048 §3"), check("private", "pass", "XEP-0049 §2")];
  t.true(evaluate([claim("XEP-0048"), claim("XEP-0049")], checks, r).requirements[0]!.met);
  t.false(evaluate([claim("XEP-0049")], checks, r).requirements[0]!.met);
});

test("a scoped provider is proved only by checks with that scope", (t) => {
  const r = [req({ providers: [{ anyOf: [{ spec: "XEP-0313", scope: "MUC" }] }] })];
  const claims = [claim("XEP-0313")];
  t.false(evaluate(claims, [check("mam", "pass", "XEP-0313 §4")], r).requirements[0]!.met);
  t.true(evaluate(claims, [check("muc-mam", "pass", "XEP-0313 §4 (muc)")], r).requirements[0]!.met);
});

test("a category needs Core at the same level; the summary names what is missing", (t) => {
  const r: Requirement[] = [
    req({ feature: "Core features", providers: [{ anyOf: [{ spec: "RFC 6120" }] }] }),
    req({ feature: "Extensibility", levels: ["Advanced Server"], providers: [{ anyOf: [{ spec: "XEP-0114" }] }] }),
    req({ category: "Mobile", feature: "CSI", providers: [{ anyOf: [{ spec: "XEP-0352" }] }] }),
  ];
  const claims = [claim("RFC 6120", "core"), claim("XEP-0352")];
  const report = evaluate(claims, [check("core", "pass", "RFC 6120 §8"), check("csi", "pass", "XEP-0352 §3")], r);
  const at = (c: string, l: string) => report.categories.find((x) => x.category === c && x.level === l)!;
  t.true(at("Core", "Server").met);
  t.false(at("Core", "Advanced Server").met);
  t.true(at("Mobile", "Server").met);
  t.false(at("Mobile", "Advanced Server").met);
  t.false(at("Mobile", "Advanced Server").coreMet);
  const table = summaryTable(report);
  t.regex(table, /\| Core \| met \| not met: XEP-0114 \|/);
  t.regex(table, /\| Mobile \| met \| not met: Core \|/);
});

test("the XEP-0479 data: known categories and levels, valid spec keys, every server-required row of the suite", (t) => {
  for (const r of REQUIREMENTS) {
    t.true(CATEGORIES.includes(r.category), r.feature);
    t.true(r.levels.length > 0 && r.levels.every((l) => LEVELS.includes(l)), r.feature);
    for (const s of r.providers) for (const p of s.anyOf) t.is(specKey(p.spec), p.spec, `${r.feature}: ${p.spec}`);
  }
  const required = (category: string, level: string) => REQUIREMENTS.filter((r) => r.category === category && r.levels.includes(level as "Server"))
    .flatMap((r) => r.providers.flatMap((s) => s.anyOf.map((p) => p.spec)));
  // Spot checks against the tables of XEP-0479 §2.
  t.deepEqual(required("Core", "Server"), ["RFC 6120", "RFC 7590", "XEP-0030", "XEP-0114"]);
  t.deepEqual(required("Core", "Advanced Server"), ["RFC 6120", "RFC 7590", "XEP-0368", "XEP-0030", "XEP-0115", "XEP-0114", "XEP-0163"]);
  t.deepEqual(required("Mobile", "Server"), ["XEP-0198", "XEP-0352"]);
  t.deepEqual(required("A/V Calling", "Advanced Server"), ["XEP-0215"]);
  t.true(required("IM", "Server").includes("XEP-0363"));
  t.false(required("IM", "Server").includes("XEP-0191"));
});

test("claims: the support table's core rows and the modules' declarations", (t) => {
  const core = coreClaims().map((c) => c.spec);
  for (const spec of ["RFC 6120", "RFC 7590", "RFC 5802", "RFC 7677", "XEP-0368", "XEP-0440"]) t.true(core.includes(spec), spec);
  t.deepEqual(coreClaims("| RFC 1 / 2 | x | core | partial |\n| XEP-0001 | y | `m` | complete |").map((c) => [c.spec, c.status]), [["RFC 1", "partial"], ["RFC 2", "partial"]]);
  const mods = moduleClaims(catalog);
  t.true(mods.some((c) => c.spec === "XEP-0199" && c.by === "ping"));
});

test("every check proves at least one spec, and names are unique", (t) => {
  const checks = allChecks();
  t.true(checks.length > 0);
  for (const c of checks) t.true(c.proves.length > 0, c.name);
  t.is(new Set(checks.map((c) => c.name)).size, checks.length);
});

const read = (rel: string) => readFileSync(fileURLToPath(new URL(`../../../${rel}`, import.meta.url)), "utf8");

test("the README's compliance section is the summary of conformance/compliance.md", (t) => {
  const readme = read("README.md");
  const section = readmeSectionOf(readme);
  t.truthy(section, "README.md has the compliance markers");
  const md = read("conformance/compliance.md");
  const summary = /## Server levels\n\n([\s\S]*?)\n\n/.exec(md)?.[1];
  t.truthy(summary);
  t.true(section!.startsWith(`${summary}\n`), "run `npm run conformance -- --write`");
  t.true(section!.includes("(doap.xml)"));
  // Replacing the section with itself changes nothing.
  t.is(withReadmeSection(readme, section!), readme);
  t.is(readmeSection(evaluate([], [])).split("\n")[0], "| category | Server | Advanced Server |");
});
