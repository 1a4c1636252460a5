/** What tests of releasing resources need: a garbage collector to call, and waiting for a condition. */
import v8 from "node:v8";
import vm from "node:vm";

/** `global.gc` when the process has it, else one obtained through V8 flags; null when neither works. */
export function garbageCollector(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
  } catch {
    return null;
  }
}

/** Polls `cond` every 20 ms; false if it does not hold within `boundMs`. */
export async function until(cond: () => boolean, boundMs: number): Promise<boolean> {
  const end = Date.now() + boundMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
