/**
 * Measuring one phase of a scenario: the server's CPU time (its process tree, from /proc), the load
 * generator's own CPU time (process.cpuUsage) and wall time. CPU per unit of work is the figure that does
 * not depend on machine noise; wall time is reported but never compared across runs.
 */
import { performance } from "node:perf_hooks";
import { sampleTree } from "./proc.js";

export interface Phase {
  wallMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
}

export class Meter {
  private readonly t0 = performance.now();
  private readonly server0: number;
  private readonly client0 = process.cpuUsage();

  constructor(private readonly pid: number) {
    this.server0 = sampleTree(pid).cpuMs;
  }

  stop(): Phase {
    const c = process.cpuUsage(this.client0);
    return {
      wallMs: performance.now() - this.t0,
      serverCpuMs: sampleTree(this.pid).cpuMs - this.server0,
      clientCpuMs: (c.user + c.system) / 1000,
    };
  }
}
