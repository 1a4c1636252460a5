import test from "ava";
import { WriteBarrier } from "./write-barrier.js";

const deferred = () => {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
};
const turn = () => new Promise<void>((r) => setImmediate(r));

test("with nothing pending, after() runs at once", (t) => {
  const b = new WriteBarrier();
  let ran = false;
  b.after(() => { ran = true; });
  t.true(ran);
  t.false(b.pending);
});

test("after() waits for every write tracked before it, not for later ones", async (t) => {
  const b = new WriteBarrier();
  const w1 = deferred();
  const w2 = deferred();
  const order: string[] = [];
  b.track(w1.promise);
  b.after(() => order.push("ack1"));
  b.track(w2.promise);
  b.after(() => order.push("ack2"));
  await turn();
  t.deepEqual(order, []);
  w1.resolve();
  await turn();
  t.deepEqual(order, ["ack1"]);
  w2.resolve();
  await turn();
  t.deepEqual(order, ["ack1", "ack2"]);
  t.false(b.pending);
});

test("a failed write settles the barrier too (the writer reports it)", async (t) => {
  const b = new WriteBarrier();
  const w = deferred();
  b.track(w.promise);
  let ran = false;
  b.after(() => { ran = true; });
  w.reject(new Error("disk on fire"));
  await turn();
  t.true(ran);
  t.false(b.pending);
});

test("acknowledgements keep their order when the writes settle out of order", async (t) => {
  const b = new WriteBarrier();
  const slow = deferred();
  const fast = deferred();
  const order: number[] = [];
  b.track(slow.promise);
  b.after(() => order.push(1));
  b.track(fast.promise);
  b.after(() => order.push(2));
  fast.resolve();
  await turn();
  t.deepEqual(order, []);
  slow.resolve();
  await turn();
  t.deepEqual(order, [1, 2]);
});
