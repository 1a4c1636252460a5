/**
 * What a server process costs, read from /proc (Linux): CPU time (utime + stime, proc(5) fields 14-15, plus
 * cutime + cstime for reaped children) and resident memory (VmRSS), summed over the process tree, so a
 * server that forks helpers (ejabberd's beam.smp -> erl_child_setup -> ...) is counted whole.
 */
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: the unit of the times in /proc/PID/stat. 100 on every Linux architecture Node runs on. */
const CLK_TCK = 100;

interface StatLine { pid: number; ppid: number; ticks: number; comm: string }

function readStat(pid: number): StatLine | null {
  let text: string;
  try { text = readFileSync(`/proc/${pid}/stat`, "latin1"); } catch { return null; }
  // comm is in parentheses and may contain spaces: fields resume after the last ')'.
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const f = text.slice(close + 2).split(" ");
  // f[0] = state (field 3), f[1] = ppid (4), f[11..14] = utime, stime, cutime, cstime (14-17)
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return { pid, ppid: Number(f[1]), ticks, comm };
}

/** The root and all its live descendants. */
export function processTree(root: number): StatLine[] {
  const all: StatLine[] = [];
  for (const name of readdirSync("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const s = readStat(Number(name));
    if (s) all.push(s);
  }
  const byParent = new Map<number, StatLine[]>();
  for (const s of all) {
    const list = byParent.get(s.ppid);
    if (list) list.push(s); else byParent.set(s.ppid, [s]);
  }
  const rootStat = all.find((s) => s.pid === root);
  if (!rootStat) return [];
  const out = [rootStat];
  for (let i = 0; i < out.length; i++) for (const child of byParent.get(out[i]!.pid) ?? []) out.push(child);
  return out;
}

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

export interface ProcSample {
  /** CPU time of the whole tree, in milliseconds. */
  cpuMs: number;
  /** Resident memory of the whole tree, in KiB. */
  rssKiB: number;
  /** Process names in the tree (to show which process was measured). */
  names: string[];
}

export function sampleTree(root: number): ProcSample {
  const tree = processTree(root);
  let ticks = 0;
  let rss = 0;
  for (const s of tree) { ticks += s.ticks; rss += rssKiB(s.pid); }
  return { cpuMs: (ticks * 1000) / CLK_TCK, rssKiB: rss, names: tree.map((s) => s.comm) };
}

export function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
