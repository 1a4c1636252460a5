import test from "ava";
import { KeyedQueue } from "../../src/keyed-queue.js";

test("KeyedQueue: one task at a time per key, in order; other keys run alongside; a failure does not block the queue", async (t) => {
  const q = new KeyedQueue();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const first = q.run("a", async () => { log.push("a1 start"); await gate; log.push("a1 end"); });
  const failing = q.run("a", async () => { log.push("a2"); throw new Error("boom"); });
  const third = q.run("a", async () => { log.push("a3"); return 3; });
  const other = q.run("b", async () => { log.push("b1"); });
  await other;
  t.deepEqual(log, ["a1 start", "b1"]);
  release();
  await first;
  await t.throwsAsync(failing, { message: "boom" });
  t.is(await third, 3);
  t.deepEqual(log, ["a1 start", "b1", "a1 end", "a2", "a3"]);
  await new Promise((r) => setImmediate(r)); // let the queue's own bookkeeping settle
  t.is(q.size, 0, "no key is kept once its tasks are done");
});
