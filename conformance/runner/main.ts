/**
 * `npm run conformance [-- --write] [-- NAME...]`: start Palaver in a temporary directory, run every
 * conformance check (scripted conversations, then real clients), print each with PASS/FAIL/SKIP, then the
 * XEP-0479 report. Exits 1 when a check fails that proves a spec Palaver claims (the core's, or an enabled
 * module's), 2 when a script cannot be parsed or the server cannot start.
 *
 * --write   also write conformance/compliance.md, the README's compliance section and doap.xml (full runs only)
 * NAME...   run only these checks (no report is written)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { README_PATH } from "../support-table.js";
import { complianceMarkdown, evaluate, readmeSection, summaryText, withReadmeSection, type CheckRow } from "../compliance.js";
import { writeDoap } from "../doap.js";
import { allClaims } from "./claims.js";
import { allChecks, type Check } from "./checks.js";
import { formatSpecRef } from "./spec-ref.js";
import { startConformanceServer } from "./target.js";

export const COMPLIANCE_PATH = fileURLToPath(new URL("../../../conformance/compliance.md", import.meta.url));

const indent = (s: string) => s.split("\n").map((l) => `      ${l}`).join("\n");

async function main(argv: string[]): Promise<number> {
  const write = argv.includes("--write");
  const only = argv.filter((a) => !a.startsWith("--"));
  let checks: Check[];
  try {
    checks = allChecks();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (only.length) {
    const unknown = only.filter((n) => !checks.some((c) => c.name === n));
    if (unknown.length) {
      process.stderr.write(`no such check: ${unknown.join(", ")} (known: ${checks.map((c) => c.name).join(", ")})\n`);
      return 2;
    }
    if (write) {
      process.stderr.write("--write needs a full run (the report comes from every check)\n");
      return 2;
    }
    checks = checks.filter((c) => only.includes(c.name));
  }

  let env;
  try {
    env = await startConformanceServer();
  } catch (err) {
    process.stderr.write(`cannot start the server: ${(err as Error).message}\n`);
    return 2;
  }
  const rows: CheckRow[] = [];
  // Read before stopping: the server unloads its modules when it stops.
  const modules = env.srv.server.modules.definitions();
  try {
    process.stdout.write(`Palaver conformance: ${checks.length} checks against ${env.target.domain} (modules: ${[...env.target.enabledModules].join(", ")})\n\n`);
    for (const check of checks) {
      const started = Date.now();
      let outcome;
      try {
        outcome = await check.run(env);
      } catch (err) {
        outcome = { status: "fail" as const, message: `unexpected error: ${(err as Error).stack ?? err}` };
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`${outcome.status.toUpperCase().padEnd(4)}  ${check.name}  [${check.kind}, ${seconds} s]  ${check.title}\n`);
      process.stdout.write(`      proves: ${check.proves.map(formatSpecRef).join(", ")}\n`);
      if (outcome.status === "fail") process.stdout.write(`${indent(outcome.message)}\n`);
      if (outcome.status === "skip") process.stdout.write(`      skipped: ${outcome.reason}\n`);
      rows.push({ name: check.name, title: check.title, kind: check.kind, source: check.source, proves: check.proves, status: outcome.status });
    }
  } finally {
    await env.srv.stop();
  }

  const claims = allClaims(modules);
  const claimed = new Set(claims.map((c) => c.spec));
  const report = evaluate(claims, rows);
  const failed = rows.filter((r) => r.status === "fail");
  const fatal = failed.filter((r) => r.proves.some((p) => claimed.has(p.spec)));
  const count = (s: string) => rows.filter((r) => r.status === s).length;
  process.stdout.write(`\n${count("pass")} passed, ${count("fail")} failed, ${count("skip")} skipped\n\n${summaryText(report)}\n`);
  if (fatal.length) process.stdout.write(`\nFailed checks of claimed features: ${fatal.map((r) => r.name).join(", ")}\n`);

  if (write) {
    writeFileSync(COMPLIANCE_PATH, complianceMarkdown(report, rows));
    const readme = readFileSync(README_PATH, "utf8");
    const updated = withReadmeSection(readme, readmeSection(report));
    if (updated !== readme) writeFileSync(README_PATH, updated);
    writeDoap();
    process.stdout.write("\nWrote conformance/compliance.md, the README compliance section and doap.xml\n");
  }
  return fatal.length ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 2;
});
