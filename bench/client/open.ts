/**
 * Open many things (connections, registrations, logins) at a bounded rate with a bounded number in
 * flight, so a server is loaded steadily instead of by a thundering herd. Failures are counted, not thrown.
 */
import { performance } from "node:perf_hooks";

export interface OpenManyOptions {
  /** Starts per second at most (Infinity: as fast as `concurrency` allows). */
  rate: number;
  /** At most this many started and not yet finished. */
  concurrency: number;
  /** Called now and then with the number finished, for progress output. */
  progress?: (done: number) => void;
}

export interface OpenManyResult<T> {
  items: (T | undefined)[];
  failures: number;
  /** A few distinct error messages, with counts. */
  errors: Map<string, number>;
}

export function openMany<T>(count: number, opts: OpenManyOptions, open: (i: number) => Promise<T>): Promise<OpenManyResult<T>> {
  const items: (T | undefined)[] = new Array(count);
  const errors = new Map<string, number>();
  let failures = 0, next = 0, inFlight = 0, done = 0;
  const interval = opts.rate > 0 && Number.isFinite(opts.rate) ? 1000 / opts.rate : 0;
  const t0 = performance.now();
  let timer: NodeJS.Timeout | null = null;
  return new Promise((resolve) => {
    if (count === 0) return resolve({ items, failures, errors });
    const finish = () => {
      inFlight--;
      done++;
      if (opts.progress && done % 1000 === 0) opts.progress(done);
      if (done === count) resolve({ items, failures, errors });
      else pump();
    };
    const pump = () => {
      while (inFlight < opts.concurrency && next < count) {
        const wait = t0 + next * interval - performance.now();
        if (wait > 0) {
          if (!timer) timer = setTimeout(() => { timer = null; pump(); }, Math.max(1, wait));
          return;
        }
        const i = next++;
        inFlight++;
        open(i).then(
          (v) => { items[i] = v; finish(); },
          (err) => {
            failures++;
            const msg = err instanceof Error ? err.message : String(err);
            if (errors.size < 10 || errors.has(msg)) errors.set(msg, (errors.get(msg) ?? 0) + 1);
            finish();
          },
        );
      }
    };
    pump();
  });
}

/** "3 x timeout waiting for iq ping; 1 x connect: ECONNRESET" */
export function describeErrors(errors: Map<string, number>): string {
  return [...errors].map(([m, n]) => `${n} x ${m}`).join("; ");
}

/** Failures that were answers never received (timeouts): counted as lost. */
export function timeouts(errors: Map<string, number>): number {
  let n = 0;
  for (const [m, c] of errors) if (m.startsWith("timeout")) n += c;
  return n;
}
