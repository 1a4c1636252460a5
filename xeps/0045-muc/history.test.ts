/** Discussion history selection (XEP-0045 §7.2.14) and the history buffer (history.ts). */
import test from "ava";
import { xml } from "@xmpp/xml";
import { HistoryBuffer, parseHistoryRequest, selectHistory } from "./history.js";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
/** Ten messages, one a minute until now, 100 characters each but the last (300). */
const entries = Array.from({ length: 10 }, (_, i) => ({ n: i, when: NOW - (9 - i) * 60_000, chars: i === 9 ? 300 : 100 }));
const pick = (req: Parameters<typeof selectHistory>[1], limit = 20) => selectHistory(entries, req, NOW, limit).map((e) => e.n);

test("without a request: the room's number of messages, the most recent", (t) => {
  t.deepEqual(pick({}), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(pick({}, 3), [7, 8, 9]);
  t.deepEqual(pick({}, 0), []);
});

test("maxstanzas: at most that many, never more than the room sends", (t) => {
  t.deepEqual(pick({ maxstanzas: 2 }), [8, 9]);
  t.deepEqual(pick({ maxstanzas: 50 }, 4), [6, 7, 8, 9]);
  t.deepEqual(pick({ maxstanzas: 0 }), []);
});

test("maxchars: the most recent whole stanzas that fit; 0 means none", (t) => {
  t.deepEqual(pick({ maxchars: 0 }), []);
  t.deepEqual(pick({ maxchars: 299 }), [], "the newest alone does not fit: nothing (never a cut stanza)");
  t.deepEqual(pick({ maxchars: 300 }), [9]);
  t.deepEqual(pick({ maxchars: 550 }), [7, 8, 9]);
});

test("seconds and since", (t) => {
  t.deepEqual(pick({ seconds: 120 }), [7, 8, 9], "received in the last two minutes (inclusive)");
  t.deepEqual(pick({ seconds: 0 }), [9]);
  t.deepEqual(pick({ since: NOW - 3 * 60_000 }), [7, 8, 9], "strictly after the moment given");
  t.deepEqual(pick({ since: NOW }), []);
  t.deepEqual(pick({ since: 0 }), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("every limit applies at once: the smallest amount that meets them all", (t) => {
  t.deepEqual(pick({ seconds: 600, maxstanzas: 5, maxchars: 450 }), [8, 9]);
  t.deepEqual(pick({ since: NOW - 5 * 60_000, maxstanzas: 2 }), [8, 9]);
  t.deepEqual(pick({ maxstanzas: 3 }, 2), [8, 9]);
});

test("parsing <history/>: numbers and XEP-0082 datetimes; anything else is ignored", (t) => {
  t.deepEqual(parseHistoryRequest(undefined), {});
  t.deepEqual(parseHistoryRequest(xml("history", { maxchars: "65000", maxstanzas: "20", seconds: "180" })), { maxchars: 65000, maxstanzas: 20, seconds: 180 });
  t.deepEqual(parseHistoryRequest(xml("history", { since: "1970-01-01T00:00:00Z" })), { since: 0 });
  t.deepEqual(parseHistoryRequest(xml("history", { since: "2026-01-01T13:00:00+01:00" })), { since: NOW });
  t.deepEqual(parseHistoryRequest(xml("history", { maxchars: "-1", maxstanzas: "ten", seconds: "1.5", since: "yesterday" })), {});
});

test("the buffer keeps the last messages, and replaces one by id", (t) => {
  const b = new HistoryBuffer<{ id: string; v: number }>(3);
  for (let i = 0; i < 5; i++) b.push({ id: `m${i}`, v: i });
  t.deepEqual(b.all().map((x) => x.id), ["m2", "m3", "m4"]);
  t.true(b.replace("m3", { id: "m3", v: -1 }));
  t.false(b.replace("m0", { id: "m0", v: -1 }));
  t.is(b.find("m3")!.v, -1);
  b.resize(1);
  t.deepEqual(b.all().map((x) => x.id), ["m4"]);
});
