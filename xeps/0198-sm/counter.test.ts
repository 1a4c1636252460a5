import test from "ava";
import { advance, distance, increment, parseH } from "./counter.js";

const MAX = 2 ** 32 - 1;

test("§4: h counts up by one and wraps from 2^32-1 back to zero", (t) => {
  t.is(increment(0), 1);
  t.is(increment(41), 42);
  t.is(increment(MAX - 1), MAX);
  t.is(increment(MAX), 0);
});

test("advance wraps modulo 2^32", (t) => {
  t.is(advance(10, 5), 15);
  t.is(advance(MAX, 3), 2);
  t.is(advance(MAX - 1, 2), 0);
});

test("distance is the number of stanzas between two counter values, across the wrap", (t) => {
  t.is(distance(0, 0), 0);
  t.is(distance(3, 10), 7);
  t.is(distance(MAX - 1, 1), 3);
  t.is(distance(MAX, 0), 1);
  // Going backwards is a huge distance, never a negative one: an ack below the last one is "too high".
  t.is(distance(10, 9), MAX);
});

const hs: [string | undefined, number | null][] = [
  ["0", 0], ["5", 5], ["+7", 7], [String(MAX), MAX], [String(MAX + 1), null], ["-1", null], ["1.5", null],
  ["", null], [" 3", null], ["0x10", null], ["12345678901", null], [undefined, null],
];
for (const [value, expected] of hs) {
  test(`parseH(${JSON.stringify(value)}) -> ${expected}`, (t) => {
    t.is(parseH(value), expected);
  });
}
