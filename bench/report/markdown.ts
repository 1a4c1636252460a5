/**
 * The side-by-side table: one row per figure, one column per server, then each other server's figure
 * divided by the baseline's (for CPU and memory figures: above 1 means the baseline uses less), then the
 * issue's target for Palaver with ✅ or ❌.
 */
import { fmt, fmtRatio, meetsTarget, targetText, type RunReport } from "./results.js";
import type { Metric } from "../scenarios/types.js";

const KIND_NOTE: Record<Metric["kind"], string> = { cpu: "", memory: "", wall: " ⏱", client: " (load generator)", info: "" };

export function markdown(report: RunReport): string {
  const servers = report.servers.filter((s) => !s.error).map((s) => s.name);
  const others = servers.filter((s) => s !== report.baseline);
  const out: string[] = [];
  out.push(`# Benchmark ${report.date}${report.quick ? " (quick)" : ""}`);
  out.push("");
  out.push(`Machine: ${report.machine.cores} × ${report.machine.cpu}, ${report.machine.memoryGiB} GiB, Linux ${report.machine.kernel}, Node ${report.machine.node}.`);
  out.push(`Servers: ${report.servers.map((s) => `${s.name} ${s.version ?? "?"}${s.error ? ` (not run: ${s.error.split("\n")[0]})` : ""}`).join("; ")}.`);
  out.push(`Command: \`${report.command}\``);
  const setup = report.servers.flatMap((s) => (s.notes ?? []).map((n) => `${s.name}: ${n}`));
  if (setup.length) out.push(`Set-up differences: ${setup.join("; ")}.`);
  out.push("");
  out.push(`CPU figures are the server's own CPU time (its process tree, from /proc) per unit of work; ratios are each server's figure divided by ${report.baseline}'s, so above 1 means ${report.baseline} uses less. ⏱ marks wall-clock figures: they depend on what else the machine was doing and are not to be compared across runs.`);
  out.push("");
  const head = ["scenario", "figure", ...servers, ...others.map((o) => `${o} ÷ ${report.baseline}`), `target (${report.baseline})`];
  out.push(`| ${head.join(" | ")} |`);
  out.push(`|${head.map((_, i) => (i < 2 ? " --- " : " ---: ")).join("|")}|`);
  const scenarios = [...new Set(report.runs.map((r) => r.scenario))];
  const allNotes: string[] = [];
  for (const sc of scenarios) {
    const runs = new Map(report.runs.filter((r) => r.scenario === sc).map((r) => [r.server, r]));
    const title = report.runs.find((r) => r.scenario === sc)!.title;
    const label = `**${sc}**`;
    let first = true;
    const cell = (srv: string, f: (r: NonNullable<ReturnType<typeof runs.get>>) => string) => {
      const r = runs.get(srv);
      if (!r) return "–";
      // A scenario that did not run for a server says why on its first row only.
      if (r.skipped) return first ? `skipped (${r.skipped})` : "";
      if (r.error && r.metrics.length === 0) return first ? "failed (see notes)" : "";
      return f(r);
    };
    // Metrics in the order the first server that ran lists them.
    const ids: Metric[] = [];
    for (const srv of servers) for (const m of runs.get(srv)?.metrics ?? []) if (!ids.some((x) => x.id === m.id)) ids.push(m);
    const row = (cells: string[]) => { out.push(`| ${first ? label : ""} | ${cells.join(" | ")} |`); first = false; };
    if (ids.length === 0) row([title, ...servers.map((s) => cell(s, () => "")), ...others.map(() => ""), ""]);
    for (const m of ids) {
      const vals = servers.map((s) => runs.get(s)?.metrics.find((x) => x.id === m.id));
      const base = runs.get(report.baseline)?.metrics.find((x) => x.id === m.id);
      const ratios = others.map((o) => {
        if (!(m.kind === "cpu" || m.headline) || !base) return "";
        const v = runs.get(o)?.metrics.find((x) => x.id === m.id)?.value;
        return v === undefined || base.value <= 0 ? "–" : fmtRatio(v / base.value);
      });
      const ok = base ? meetsTarget(base) : null;
      const name = `${m.headline ? "**" : ""}${m.label}${m.unit ? ` (${m.unit})` : ""}${m.headline ? "**" : ""}${KIND_NOTE[m.kind]}`;
      row([name, ...servers.map((s, i) => cell(s, () => fmt(vals[i]?.value))), ...ratios, m.target ? `${targetText(m)} ${ok === null ? "" : ok ? "✅" : "❌"}` : ""]);
    }
    row(["lost messages or answers / failed operations", ...servers.map((s) => cell(s, (r) => `${r.lost} / ${r.errors}${r.lost ? " ❌" : ""}`)), ...others.map(() => ""), "0 lost"]);
    const notes = servers.flatMap((s) => {
      const r = runs.get(s);
      return r ? [...(r.error ? [`${s}: ${r.error.split("\n")[0]}`] : []), ...r.notes.map((n) => `${s}: ${n}`)] : [];
    });
    for (const n of notes) allNotes.push(`${sc}, ${n}`);
  }
  out.push("");
  if (allNotes.length) {
    out.push("Notes:");
    for (const n of allNotes) out.push(`- ${n}`);
    out.push("");
  }
  out.push(`Load generator CPU for the whole run: ${(report.loadGenerator.cpuMs / 1000).toFixed(1)} s.`);
  return out.join("\n") + "\n";
}
