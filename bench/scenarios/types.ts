/**
 * The scenario contract. A scenario is one file in bench/scenarios/ exporting `Scenario` objects, listed in
 * index.ts. It gets a running server, its own resolved options and the user pool; it opens its sessions,
 * measures one phase with `ctx.meter()`, closes everything it opened, and returns figures.
 *
 * A scenario needing more than plain c2s says so in `requires`: MUC fan-out (`"muc"`, the service domain in
 * `server.extra.muc`), login with online contacts (`"roster"`; rosters set up in its own set-up phase, on accounts
 * of its own), WebSocket chat (`"websocket"`, the URL in `server.extra.websocket`, the same client over
 * client/wire.ts), archive scenarios (`"mam"`: an optional server feature, turned on only for the scenarios
 * requiring it, since archiving changes every chat figure). Adapters list the capabilities their server has.
 */
import type { Meter } from "../lib/meter.js";
import type { UserPool } from "../lib/users.js";
import type { Capability, RunningServer } from "../servers/types.js";

export interface OptionSpec {
  default: number;
  /** Value under --quick (a smoke run); the default when absent. */
  quick?: number;
  help: string;
}

export interface Metric {
  /** Stable id within the scenario, e.g. "cpu_per_msg_us". */
  id: string;
  label: string;
  value: number;
  /** "µs", "ms", "KiB", "MiB", "msg/s", "%", "" ... */
  unit: string;
  /**
   * cpu: server CPU time per unit of work, comparable across servers and runs.
   * memory: server RSS, comparable across servers in a run.
   * wall: wall-clock figures (rates, latencies): machine noise; not to be compared across runs.
   * client: the load generator's own CPU (to check it stays well below the server's).
   * info: counts and context.
   */
  kind: "cpu" | "memory" | "wall" | "client" | "info";
  /** The scenario's headline figure: charted as a ratio between servers. */
  headline?: boolean;
  /** The target for Palaver. */
  target?: { max?: number; min?: number };
}

export interface ScenarioResult {
  metrics: Metric[];
  /** Messages or expected answers that never arrived: must be 0. */
  lost: number;
  /** Logins, registrations or sessions that failed. */
  errors: number;
  notes: string[];
}

export interface ScenarioContext {
  server: RunningServer;
  /** This scenario's options, resolved from defaults, --quick and --opt. */
  opt: Record<string, number>;
  users: UserPool;
  /** Start measuring a phase (server CPU, client CPU, wall time). */
  meter(): Meter;
  /** Resident memory of the server's process tree now, KiB. */
  rssKiB(): number;
  log(msg: string): void;
}

export interface Scenario {
  id: string;
  title: string;
  /** One sentence for the README and the report: what is done, what is measured. */
  description: string;
  options: Record<string, OptionSpec>;
  /** Capabilities the server must have; otherwise the scenario is skipped for it, with the reason. */
  requires?: Capability[];
  /**
   * Show this scenario's `metric` next to the same figure of `scenario` for the same server in the same run
   * (when both ran): the runner adds the difference and the difference as a share (e.g. what archiving adds to
   * routing a message).
   */
  compareWith?: { scenario: string; metric: string; label: string };
  /** Longest it may take, in seconds, given its options (then it is abandoned and the server restarted). */
  timeoutSeconds(opt: Record<string, number>): number;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
