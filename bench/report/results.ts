/** The shape of bench/results/latest.json, and helpers the markdown and SVG writers share. */
import type { Metric } from "../scenarios/types.js";

export interface ScenarioRun {
  scenario: string;
  title: string;
  server: string;
  options: Record<string, number>;
  /** Why it did not run for this server (a missing capability). */
  skipped?: string;
  /** Why it stopped (an exception or its time limit). */
  error?: string;
  metrics: Metric[];
  lost: number;
  errors: number;
  notes: string[];
  seconds: number;
}

export interface RunReport {
  format: 1;
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; kernel: string; node: string };
  command: string;
  quick: boolean;
  /** notes: how a server was set up where it differs from the others (e.g. a storage it could not use). */
  servers: { name: string; version: string | null; error?: string; notes?: string[] }[];
  /** The server ratios are taken against (the first one run). */
  baseline: string;
  runs: ScenarioRun[];
  loadGenerator: { cpuMs: number };
}

export function metricOf(report: RunReport, scenario: string, server: string, id: string): Metric | undefined {
  return report.runs.find((r) => r.scenario === scenario && r.server === server)?.metrics.find((m) => m.id === id);
}

/** Three significant digits, without exponent notation for everyday magnitudes. */
export function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return "∞";
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1000) return Math.round(v).toLocaleString("en-US");
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

export function fmtRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r) || r <= 0) return "–";
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(r >= 1 ? 1 : 2)}×`;
}

export function targetText(m: Metric): string {
  if (!m.target) return "";
  const parts = [];
  if (m.target.max !== undefined) parts.push(`≤ ${m.target.max}`);
  if (m.target.min !== undefined) parts.push(`≥ ${m.target.min}`);
  return `${parts.join(", ")} ${m.unit}`.trim();
}

export function meetsTarget(m: Metric): boolean | null {
  if (!m.target || !Number.isFinite(m.value)) return null;
  if (m.target.max !== undefined && m.value > m.target.max) return false;
  if (m.target.min !== undefined && m.value < m.target.min) return false;
  return true;
}
