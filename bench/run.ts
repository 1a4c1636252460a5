/**
 * The benchmark runner: `npm run bench -- [options]`. For each server under test, one after the other:
 * a temporary directory with its own config, the server started on loopback ports of its own, the
 * scenarios run with identical parameters, the server stopped. Then bench/results/latest.json, latest.md
 * (the side-by-side table, also printed) and latest.svg (the key ratios).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Meter } from "./lib/meter.js";
import { sampleTree } from "./lib/proc.js";
import { UserPool } from "./lib/users.js";
import { markdown } from "./report/markdown.js";
import type { RunReport, ScenarioRun } from "./report/results.js";
import { svgChart } from "./report/svg.js";
import { SCENARIOS } from "./scenarios/index.js";
import type { Scenario, ScenarioContext } from "./scenarios/types.js";
import { dpkgVersion, makeCertificate, probeCapabilities } from "./servers/common.js";
import { SERVERS } from "./servers/index.js";
import type { Capability, RunningServer, ServerAdapter, StartOptions } from "./servers/types.js";

const HELP = `Usage: npm run bench -- [options]

  --scenario A,B        scenarios to run (default: all, in the order of --list)
  --servers X,Y         servers, in order (default: ${SERVERS.map((s) => s.name).join(",")}); ratios are against the first
  --quick               small counts and short phases: a smoke run of a few seconds per scenario
  --opt NAME=VALUE      set a scenario option, e.g. --opt sessions=2000 (every scenario that has it)
                        or --opt chat-closed-loop.pairs=100 (one scenario); repeatable
  --out DIR             where latest.json/.md/.svg go (default bench/results)
  --save-as NAME        also write NAME.json/.md/.svg there (e.g. a baseline to keep)
  --keep                keep the temporary directories (configs, logs, databases)
  --no-install          never apt-get install a missing reference server
  --palaver-node-options "FLAGS"   node flags for the Palaver server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  --ejabberd-busy-wait  keep Erlang's scheduler busy-waiting (off by default: it burns CPU that is not work)
  --palaver-modules example   run Palaver with every module of palaver.example.yaml (default: the features the
                        reference servers run here, so figures compare like with like)
  --reference-storage native  Prosody with its files ("internal") and ejabberd with mnesia, instead of SQLite
                        like Palaver
  --list                list scenarios with their options, and servers
  --render FILE.json    write the .md and .svg again from a saved .json (after changing the report code)
`;

interface Args {
  scenarios: Scenario[];
  servers: ServerAdapter[];
  quick: boolean;
  opts: Map<string, number>;
  out: string;
  saveAs: string | null;
  keep: boolean;
  install: boolean;
  extra: Record<string, string | boolean>;
}

const BENCH_DIR = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../bench/" : "./", import.meta.url));

function fail(msg: string): never {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args | null {
  const a: Args = { scenarios: [...SCENARIOS], servers: [...SERVERS], quick: false, opts: new Map(), out: join(BENCH_DIR, "results"), saveAs: null, keep: false, install: true, extra: {} };
  const value = (i: number) => { const v = argv[i + 1]; if (v === undefined) fail(`${argv[i]} needs a value`); return v; };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const take = () => inline ?? value(i++);
    switch (flag) {
      case "--scenario": case "--scenarios": {
        const ids = take().split(",").filter(Boolean);
        a.scenarios = ids.map((id) => SCENARIOS.find((s) => s.id === id) ?? fail(`unknown scenario ${id} (see --list)`));
        break;
      }
      case "--servers": case "--server": {
        const names = take().split(",").filter(Boolean);
        a.servers = names.map((n) => SERVERS.find((s) => s.name === n) ?? fail(`unknown server ${n} (known: ${SERVERS.map((s) => s.name).join(", ")})`));
        break;
      }
      case "--quick": a.quick = true; break;
      case "--opt": {
        const kv = take();
        const eq = kv.indexOf("=");
        const v = Number(kv.slice(eq + 1));
        if (eq < 1 || !Number.isFinite(v)) fail(`--opt wants NAME=NUMBER, got ${kv}`);
        a.opts.set(kv.slice(0, eq), v);
        break;
      }
      case "--out": a.out = take(); break;
      case "--save-as": a.saveAs = take(); break;
      case "--keep": a.keep = true; break;
      case "--no-install": a.install = false; break;
      case "--palaver-node-options": a.extra["palaver-node-options"] = take(); break;
      case "--ejabberd-busy-wait": a.extra["ejabberd-busy-wait"] = true; break;
      case "--palaver-modules": a.extra["palaver-modules"] = take(); break;
      case "--reference-storage": {
        const v = take();
        if (v !== "native" && v !== "sqlite") fail(`--reference-storage wants native or sqlite, got ${v}`);
        a.extra["reference-storage"] = v;
        break;
      }
      case "--list": list(); return null;
      case "--render": render(take()); return null;
      case "-h": case "--help": process.stdout.write(HELP); return null;
      default: fail(`unknown option ${arg}\n${HELP}`);
    }
  }
  for (const key of a.opts.keys()) {
    const [sc, name] = key.includes(".") ? key.split(".", 2) as [string, string] : [null, key];
    const known = SCENARIOS.some((s) => (sc === null || s.id === sc) && name in s.options);
    if (!known) fail(`no scenario has an option ${key} (see --list)`);
  }
  return a;
}

function render(file: string): void {
  const report = JSON.parse(readFileSync(file, "utf8")) as RunReport;
  const base = file.replace(/\.json$/, "");
  writeFileSync(`${base}.md`, markdown(report));
  writeFileSync(`${base}.svg`, svgChart(report));
  process.stdout.write(`written: ${base}.md, ${base}.svg\n`);
}

function list(): void {
  for (const s of SCENARIOS) {
    process.stdout.write(`${s.id}: ${s.title}${s.requires?.length ? ` (needs ${s.requires.join(", ")})` : ""}\n  ${s.description}\n`);
    for (const [k, o] of Object.entries(s.options)) process.stdout.write(`    ${k} = ${o.default}${o.quick !== undefined ? ` (quick: ${o.quick})` : ""}  ${o.help}\n`);
  }
  process.stdout.write(`servers: ${SERVERS.map((s) => `${s.name} (${s.version() ?? "not installed"})`).join(", ")}\n`);
}

function resolveOptions(s: Scenario, a: Args): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, o] of Object.entries(s.options)) {
    out[k] = a.opts.get(`${s.id}.${k}`) ?? a.opts.get(k) ?? (a.quick && o.quick !== undefined ? o.quick : o.default);
  }
  return out;
}

const t0 = Date.now();
const log = (msg: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);

/**
 * Make sure a server and the packages its configuration uses are installed: apt-get when root, else a clear
 * message. Returns why the server cannot run, or null. A missing helper package (e.g. a SQLite driver) is
 * only logged: the adapter then runs without it and says so in the report.
 */
function ensureInstalled(adapter: ServerAdapter, install: boolean): string | null {
  const [main, ...helpers] = adapter.debianPackages;
  if (!main) return adapter.version() ? null : `${adapter.name} is not built: run \`npm run build\``;
  const missing = adapter.debianPackages.filter((p, i) => (i === 0 ? !adapter.version() : !dpkgVersion(p)));
  if (missing.length === 0) return null;
  const cmd = `apt-get install -y ${missing.join(" ")}`;
  const why = !install ? `--no-install was given` : process.getuid?.() !== 0 ? "installing needs root" : null;
  if (why) {
    log(`${adapter.name}: missing ${missing.join(", ")} (${cmd}); ${why}`);
    return adapter.version() ? null : `${adapter.name} is not installed (${cmd}); ${why}${install ? ": run it with sudo, or leave the server out with --servers" : ""}`;
  }
  log(`${adapter.name}: ${cmd}`);
  const apt = (args: string[]) => execFileSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  try {
    try { apt(["install", "-y", "-qq", ...missing]); } catch { apt(["update", "-qq"]); apt(["install", "-y", "-qq", ...missing]); }
  } catch (err) {
    if (!adapter.version()) return `apt-get install ${missing.join(" ")} failed: ${(err as Error).message}`;
    log(`${adapter.name}: apt-get install ${missing.join(" ")} failed; going on without ${helpers.filter((p) => !dpkgVersion(p)).join(", ")}`);
  }
  return adapter.version() ? null : `${main} installed, but ${adapter.name} is still not found`;
}

/**
 * Scenario A's figure next to scenario B's of the same server in the same run (e.g. chat with archiving against
 * the same chat without): the difference, and the difference as a share of B's figure.
 */
function addComparisons(report: RunReport, server: string): void {
  for (const run of report.runs.filter((r) => r.server === server)) {
    const cmp = SCENARIOS.find((s) => s.id === run.scenario)?.compareWith;
    if (!cmp) continue;
    const mine = run.metrics.find((m) => m.id === cmp.metric);
    const other = report.runs.find((r) => r.server === server && r.scenario === cmp.scenario && !r.error && !r.skipped)?.metrics.find((m) => m.id === cmp.metric);
    if (!mine || !other || other.value <= 0) continue;
    run.metrics.push(
      { id: `${cmp.metric}_added`, label: `${cmp.label}: ${mine.label} − ${cmp.scenario}'s (same run)`, value: mine.value - other.value, unit: mine.unit, kind: "cpu" },
      { id: `${cmp.metric}_added_pct`, label: `${cmp.label}, as a share of ${cmp.scenario}'s figure`, value: (100 * (mine.value - other.value)) / other.value, unit: "%", kind: "info" },
    );
  }
}

function withTimeout<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(seconds)} s`)), seconds * 1000); }),
  ]);
}

// Ctrl-C or a kill: exit through process.exit so the servers started are killed too (servers/common.ts).
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(sig, () => { log(`${sig}: stopping`); process.exit(130); });

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!args) return 0;
  const clientStart = process.cpuUsage();
  const runDir = mkdtempSync(join(os.tmpdir(), "palaver-bench-"));
  const cert = makeCertificate(runDir);
  const report: RunReport = {
    format: 1,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    machine: { cpu: os.cpus()[0]?.model.trim() ?? "?", cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version },
    command: `npm run bench --${process.argv.slice(2).map((x) => (/\s/.test(x) ? ` "${x}"` : ` ${x}`)).join("")}`.replace(/ --$/, ""),
    quick: args.quick,
    servers: [],
    baseline: args.servers[0]!.name,
    runs: [],
    loadGenerator: { cpuMs: 0 },
  };
  log(`run directory ${runDir}; scenarios: ${args.scenarios.map((s) => s.id).join(", ")}`);

  for (const adapter of args.servers) {
    const missing = ensureInstalled(adapter, args.install);
    if (missing) {
      log(`skipping ${adapter.name}: ${missing}`);
      report.servers.push({ name: adapter.name, version: null, error: missing });
      continue;
    }
    let attempt = 0;
    const start = async (features: ReadonlySet<Capability>): Promise<RunningServer> => {
      const dir = join(runDir, `${adapter.name}${attempt++ ? `-${attempt}` : ""}`);
      mkdirSync(dir, { recursive: true });
      const o: StartOptions = { dir, cert, log: (m) => log(`${adapter.name}: ${m}`), extra: args.extra, features };
      const s = await adapter.start(o);
      try {
        await probeCapabilities(s);
      } catch (err) {
        await s.stop();
        throw err;
      }
      log(`${adapter.name} ${s.version} started${features.size ? ` with ${[...features].join(", ")}` : ""} (pid ${s.pid}: ${sampleTree(s.pid).names.join(", ")}) in ${dir}; offers ${[...s.capabilities].join(", ")}`);
      for (const n of s.notes) log(`${adapter.name}: ${n}`);
      return s;
    };
    // Started for the first scenario, and again (fresh directory, fresh accounts) whenever the next scenario needs
    // other optional features (message archiving) or the last one failed.
    const featuresFor = (s: Scenario) => new Set((s.requires ?? []).filter((c) => adapter.features.includes(c)));
    const keyOf = (f: ReadonlySet<Capability>) => [...f].sort().join(",");
    let server: RunningServer | null = null;
    let serverKey = "";
    let users: UserPool | null = null;
    const entry: RunReport["servers"][number] = { name: adapter.name, version: null };
    report.servers.push(entry);

    for (const scenario of args.scenarios) {
      const opt = resolveOptions(scenario, args);
      const run: ScenarioRun = { scenario: scenario.id, title: scenario.title, server: adapter.name, options: opt, metrics: [], lost: 0, errors: 0, notes: [], seconds: 0 };
      const features = featuresFor(scenario);
      if (!server || keyOf(features) !== serverKey) {
        if (server) {
          await server.stop();
          log(`${adapter.name} stopped; starting it again${features.size ? ` with ${[...features].join(", ")}` : " without optional features"} for ${scenario.id}`);
        }
        server = null;
        try {
          server = await start(features);
          serverKey = keyOf(features);
          const srv = server;
          users = new UserPool(() => srv, (m) => log(`${adapter.name}: ${m}`));
          entry.version ??= server.version;
          entry.notes = [...new Set([...(entry.notes ?? []), ...server.notes])];
        } catch (err) {
          const msg = (err as Error).message;
          log(`${adapter.name} did not start: ${msg}`);
          if (entry.version === null) { entry.version = adapter.version(); entry.error = msg; break; }
          run.error = `the server did not start: ${msg}`;
          report.runs.push(run);
          continue;
        }
      }
      report.runs.push(run);
      const lacking = (scenario.requires ?? []).filter((c) => !server!.capabilities.has(c));
      if (lacking.length) {
        run.skipped = `no ${lacking.join(", ")}`;
        log(`${adapter.name}: ${scenario.id} skipped (${run.skipped})`);
        continue;
      }
      log(`${adapter.name}: ${scenario.id} ${Object.entries(opt).map(([k, v]) => `${k}=${v}`).join(" ")}`);
      const srv: RunningServer = server;
      const ctx: ScenarioContext = {
        server: srv, opt, users: users!,
        meter: () => new Meter(srv.pid),
        rssKiB: () => sampleTree(srv.pid).rssKiB,
        log: (m) => log(`${adapter.name}: ${scenario.id}: ${m}`),
      };
      const began = Date.now();
      try {
        const r = await withTimeout(scenario.run(ctx), scenario.timeoutSeconds(opt), scenario.id);
        Object.assign(run, r);
        const head = r.metrics.find((m) => m.headline);
        log(`${adapter.name}: ${scenario.id}: ${head ? `${head.label} ${head.value.toFixed(3)} ${head.unit}, ` : ""}lost ${r.lost}, failed ${r.errors}`);
      } catch (err) {
        run.error = (err as Error).message;
        log(`${adapter.name}: ${scenario.id} FAILED: ${run.error}\n${srv.logTail()}`);
        // Whatever it left behind must not weigh on the next scenario: a fresh server, a fresh directory.
        await srv.stop().catch(() => {});
        server = null;
      } finally {
        run.seconds = Math.round((Date.now() - began) / 100) / 10;
      }
    }
    if (server) {
      await server.stop();
      log(`${adapter.name} stopped`);
    }
    addComparisons(report, adapter.name);
  }

  const c = process.cpuUsage(clientStart);
  report.loadGenerator.cpuMs = (c.user + c.system) / 1000;
  const md = markdown(report);
  mkdirSync(args.out, { recursive: true });
  const write = (name: string) => {
    writeFileSync(join(args.out, `${name}.json`), JSON.stringify(report, null, 2) + "\n");
    writeFileSync(join(args.out, `${name}.md`), md);
    writeFileSync(join(args.out, `${name}.svg`), svgChart(report));
  };
  write("latest");
  if (args.saveAs) write(args.saveAs);
  if (!args.keep) rmSync(runDir, { recursive: true, force: true });
  else log(`kept ${runDir}`);
  process.stdout.write(`\n${md}\nWritten: ${join(args.out, "latest.{json,md,svg}")}${args.saveAs ? ` and ${args.saveAs}.*` : ""} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  const bad = report.runs.some((r) => r.error || r.lost > 0) || report.servers.some((s) => s.error);
  return bad ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => { process.stderr.write(`bench: ${(err as Error).stack}\n`); process.exit(1); });
