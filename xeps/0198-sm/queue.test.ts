import test from "ava";
import { UnackedQueue } from "./queue.js";

const MAX = 2 ** 32 - 1;

test("stanzas are numbered from one; an ack removes exactly those it covers, oldest first", (t) => {
  const q = new UnackedQueue<string>();
  t.is(q.push("a"), 1);
  t.is(q.push("b"), 2);
  t.is(q.push("c"), 3);
  t.deepEqual(q.ack(2), { ok: true, handled: ["a", "b"] });
  t.is(q.length, 1);
  t.is(q.acked, 2);
  t.deepEqual(q.pending(), ["c"]);
  t.is(q.sent, 3);
});

test("a repeated ack (same h) removes nothing", (t) => {
  const q = new UnackedQueue<string>();
  q.push("a");
  q.push("b");
  q.ack(1);
  t.deepEqual(q.ack(1), { ok: true, handled: [] });
  t.deepEqual(q.pending(), ["b"]);
});

test("§6: an ack for more than was sent is refused with the count sent, and changes nothing", (t) => {
  const q = new UnackedQueue<string>();
  q.push("a");
  q.push("b");
  t.deepEqual(q.ack(3), { ok: false, sent: 2 });
  t.deepEqual(q.pending(), ["a", "b"]);
  t.is(q.acked, 0);
});

test("an ack going backwards is refused too", (t) => {
  const q = new UnackedQueue<string>();
  for (const s of ["a", "b", "c"]) q.push(s);
  q.ack(2);
  t.false(q.ack(1).ok);
});

test("numbering and acks across the 2^32 wrap", (t) => {
  const q = new UnackedQueue<number>(MAX - 1);
  t.is(q.push(1), MAX);
  t.is(q.push(2), 0);
  t.is(q.push(3), 1);
  t.deepEqual(q.ack(0), { ok: true, handled: [1, 2] });
  t.deepEqual(q.pending(), [3]);
  t.false(q.ack(MAX - 1).ok);
  t.deepEqual(q.ack(1), { ok: true, handled: [3] });
  t.is(q.length, 0);
});

test("drain hands over everything unacknowledged in order and leaves the counters consistent", (t) => {
  const q = new UnackedQueue<string>();
  for (const s of ["a", "b", "c", "d"]) q.push(s);
  q.ack(1);
  t.deepEqual(q.drain(), ["b", "c", "d"]);
  t.is(q.length, 0);
  t.is(q.acked, 4);
  t.is(q.push("e"), 5);
});

test("a long run of pushes and acks keeps order (front removal compacts)", (t) => {
  const q = new UnackedQueue<number>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 37; i++) q.push(next++);
    const r = q.ack(q.sent - 5);
    t.true(r.ok);
    if (r.ok) for (const n of r.handled) t.is(n, expected++);
  }
  t.deepEqual(q.pending(), [next - 5, next - 4, next - 3, next - 2, next - 1]);
});
