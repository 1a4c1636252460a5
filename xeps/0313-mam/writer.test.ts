import test from "ava";
import type { Logger } from "../../src/log.js";
import type { ArchiveAppend, ArchiveAppendTo, ArchiveStore } from "../../src/storage/types.js";
import { ArchiveWriter } from "./writer.js";
import { WriteBarrier } from "../../src/write-barrier.js";

/** A store that records what is written and in which calls; items with value "bad" fail. */
function recordingStore(withMany = true) {
  const written: string[] = [];
  const calls: string[][] = [];
  const check = (item: ArchiveAppend) => {
    if (item.value === "bad") throw new Error("disk on fire");
  };
  const store = {
    async append(owner: string, item: ArchiveAppend) {
      check(item);
      written.push(`${owner}:${item.value}`);
      calls.push([`${owner}:${item.value}`]);
      return item.id ?? "x";
    },
    ...(withMany ? {
      async appendMany(items: readonly ArchiveAppendTo[]) {
        items.forEach((e) => check(e.item));
        written.push(...items.map((e) => `${e.owner}:${e.item.value}`));
        calls.push(items.map((e) => `${e.owner}:${e.item.value}`));
        return items.map((e) => e.item.id ?? "x");
      },
    } : {}),
  } as unknown as ArchiveStore;
  return { store, written, calls };
}

function recordingLog() {
  const errors: Record<string, unknown>[] = [];
  const log: Logger = { debug() {}, info() {}, warn() {}, error: (msg, fields) => { errors.push({ msg, ...fields }); }, child: () => log };
  return { log, errors };
}

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
};

test("without gathering, appends of one turn are written together once the synchronous work is done", async (t) => {
  const { store, calls } = recordingStore();
  const w = new ArchiveWriter(store, recordingLog().log, new WriteBarrier(), 0);
  w.write("a", { value: 1 });
  w.write("b", { value: 2 });
  w.write("a", { value: 3 });
  t.deepEqual(calls, [], "nothing written during routing");
  await new Promise<void>((r) => process.nextTick(r));
  t.deepEqual(calls, [["a:1", "b:2", "a:3"]]);
  w.write("a", { value: 4 });
  await w.settled();
  t.deepEqual(calls, [["a:1", "b:2", "a:3"], ["a:4"]], "a single item is a plain append");
});

test("appends are gathered for a few ms into one batch; a full batch, a query or unloading writes at once", async (t) => {
  const { store, calls } = recordingStore();
  const barrier = new WriteBarrier();
  const w = new ArchiveWriter(store, recordingLog().log, barrier, 30);
  let acked = false;
  w.write("a", { value: 1 });
  barrier.after(() => { acked = true; });
  await new Promise((r) => setImmediate(r));
  w.write("b", { value: 2 });
  await new Promise((r) => setTimeout(r, 5));
  t.deepEqual(calls, [], "still gathering, across turns");
  t.false(acked, "an acknowledgement waits for the gathered batch");
  await new Promise((r) => setTimeout(r, 40));
  t.deepEqual(calls, [["a:1", "b:2"]], "one batch once the time is up");
  await new Promise((r) => setImmediate(r));
  t.true(acked);

  for (let i = 0; i < 1000; i++) w.write("c", { value: i });
  await new Promise((r) => process.nextTick(r));
  t.is(calls.length, 2, "a full batch does not wait");
  t.is(calls[1]!.length, 1000);

  w.write("d", { value: "queried" });
  await w.settled("d");
  t.deepEqual(calls[2], ["d:queried"], "settled (a query, unloading) writes the batch at once");
});

test("a gated append keeps its archive's order; other archives do not wait; a closed gate writes nothing", async (t) => {
  const { store, written } = recordingStore();
  const w = new ArchiveWriter(store, recordingLog().log, new WriteBarrier(), 0);
  const gate = deferred<boolean>();
  const no = deferred<boolean>();
  w.write("a", { value: "first" }, gate.promise);
  w.write("a", { value: "second" });
  w.write("a", { value: "dropped" }, no.promise);
  w.write("a", { value: "third" });
  w.write("b", { value: "other" });
  await new Promise((r) => setImmediate(r));
  t.deepEqual(written, ["b:other"]);
  no.resolve(false);
  gate.resolve(true);
  await w.settled("a");
  t.deepEqual(written, ["b:other", "a:first", "a:second", "a:third"]);
});

test("a failed batch is retried item by item: only the bad item is lost, and logged with its id", async (t) => {
  const { store, written, calls } = recordingStore();
  const { log, errors } = recordingLog();
  const w = new ArchiveWriter(store, log, new WriteBarrier());
  w.write("a", { id: "1", value: "ok1" });
  w.write("a", { id: "2", value: "bad" });
  w.write("b", { id: "3", value: "ok2" });
  await w.settled();
  t.deepEqual(written, ["a:ok1", "b:ok2"]);
  t.is(calls.length, 2, "the batch failed as a whole, then two single appends succeeded");
  t.like(errors, [{ owner: "a", id: "2" }]);
});

test("without appendMany, items are appended one by one in order", async (t) => {
  const { store, calls } = recordingStore(false);
  const w = new ArchiveWriter(store, recordingLog().log, new WriteBarrier());
  for (let i = 0; i < 3; i++) w.write("a", { value: i });
  await w.settled();
  t.deepEqual(calls, [["a:0"], ["a:1"], ["a:2"]]);
});

test("an acknowledgement asked for after an append, in the same turn, waits for that append's commit", async (t) => {
  const { store, calls } = recordingStore();
  const barrier = new WriteBarrier();
  const w = new ArchiveWriter(store, recordingLog().log, barrier, 0);
  const gate = deferred<boolean>();
  w.write("a", { value: 1 });
  const seen: string[][][] = [];
  barrier.after(() => seen.push(calls.map((c) => [...c])));
  t.deepEqual(seen, [], "not at once: a write is queued");
  await w.settled("a");
  await new Promise<void>((r) => setImmediate(r));
  t.deepEqual(seen, [[["a:1"]]], "sent after the commit, which it saw");
  w.write("b", { value: 2 }, gate.promise);
  let acked = false;
  barrier.after(() => { acked = true; });
  await new Promise<void>((r) => setImmediate(r));
  t.false(acked, "a write waiting behind its gate holds acknowledgements too");
  gate.resolve(true);
  await w.settled();
  await new Promise<void>((r) => setImmediate(r));
  t.true(acked);
  t.false(barrier.pending);
});
