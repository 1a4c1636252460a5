/** Rate limits and error handling of notifications, on a clock the test moves by hand. */
import test from "ava";
import type { Notice } from "./notice.js";
import { Pusher, type Summary } from "./pusher.js";
import type { Registration } from "./registrations.js";

interface Sent { owner: string; reg: Registration; summary: Summary; id: string }

function harness(o: { minIntervalMs?: number; timeoutMs?: number; maxErrors?: number } = {}) {
  let now = 1000;
  let n = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  const sent: Sent[] = [];
  const disabled: { reg: Registration; reason: string }[] = [];
  const pusher = new Pusher({
    publish: (owner, reg, summary, id) => { sent.push({ owner, reg, summary, id }); },
    disable: (_owner, reg, reason) => { disabled.push({ reg, reason }); },
    now: () => now,
    schedule: (fn, ms) => { const t = { at: now + ms, fn, live: true }; timers.push(t); return () => { t.live = false; }; },
    newId: () => `push-${++n}`,
    minIntervalMs: o.minIntervalMs ?? 0,
    timeoutMs: o.timeoutMs ?? 60_000,
    maxErrors: o.maxErrors ?? 3,
  });
  /** Move the clock, running the timers that come due, in order. */
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      now = due.at;
      due.live = false;
      due.fn();
    }
    now = end;
  };
  return { pusher, sent, disabled, advance, pending: () => timers.filter((t) => t.live).length };
}

const PHONE: Registration = { jid: "push.example", node: "phone", options: { secret: ["s"] }, enabled: 0 };
const TABLET: Registration = { jid: "push.example", node: "tablet", options: {}, enabled: 0 };
const msg = (body: string): Notice => ({ sender: "romeo@montague.lit/garden", body });
const OWNER = "juliet@capulet.lit";

test("the first event is published at once, to every registration, with its count", (t) => {
  const h = harness();
  h.pusher.notify(OWNER, [PHONE, TABLET], msg("one"));
  t.deepEqual(h.sent.map((s) => [s.reg.node, s.summary.count, s.summary.notice.body]), [["phone", 1, "one"], ["tablet", 1, "one"]]);
  t.not(h.sent[0]!.id, h.sent[1]!.id);
});

test("while a publish is unanswered, events wait and are folded into one publish with the latest message", (t) => {
  const h = harness();
  h.pusher.notify(OWNER, [PHONE], msg("one"));
  h.pusher.notify(OWNER, [PHONE], msg("two"));
  h.pusher.notify(OWNER, [PHONE], msg("three"));
  t.is(h.sent.length, 1);
  t.true(h.pusher.answer(h.sent[0]!.id, "push.example", "ok"));
  t.is(h.sent.length, 2);
  t.deepEqual([h.sent[1]!.summary.count, h.sent[1]!.summary.notice.body], [3, "three"]);
  t.true(h.pusher.answer(h.sent[1]!.id, "push.example", "ok"));
  t.is(h.sent.length, 2, "nothing more to tell");
});

test("at most one publish per minimum interval; the next one goes when it has passed", (t) => {
  const h = harness({ minIntervalMs: 10_000 });
  h.pusher.notify(OWNER, [PHONE], msg("one"));
  h.pusher.answer(h.sent[0]!.id, "push.example", "ok");
  h.advance(3_000);
  h.pusher.notify(OWNER, [PHONE], msg("two"));
  h.pusher.notify(OWNER, [PHONE], msg("three"));
  t.is(h.sent.length, 1);
  h.advance(6_999);
  t.is(h.sent.length, 1);
  h.advance(1);
  t.is(h.sent.length, 2);
  t.is(h.sent[1]!.summary.notice.body, "three");
});

test("an answer from another address, or to an id that is not ours, changes nothing", (t) => {
  const h = harness();
  h.pusher.notify(OWNER, [PHONE], msg("one"));
  h.pusher.notify(OWNER, [PHONE], msg("two"));
  t.false(h.pusher.answer(h.sent[0]!.id, "evil.example", "permanent"));
  t.false(h.pusher.answer("push-999", "push.example", "ok"));
  t.is(h.sent.length, 1);
  t.deepEqual(h.disabled, []);
});

test("a permanent error disables the registration at once and drops what waited", (t) => {
  const h = harness();
  h.pusher.notify(OWNER, [PHONE, TABLET], msg("one"));
  h.pusher.notify(OWNER, [PHONE, TABLET], msg("two"));
  h.pusher.answer(h.sent[0]!.id, "push.example", "permanent");
  t.deepEqual(h.disabled.map((d) => d.reg.node), ["phone"]);
  t.is(h.sent.length, 2, "nothing more for the phone");
  h.pusher.answer(h.sent[1]!.id, "push.example", "ok");
  t.deepEqual(h.sent.map((s) => s.reg.node), ["phone", "tablet", "tablet"], "the tablet goes on");
});

test("transient errors and timeouts disable only after maxErrors in a row; a success resets the count", (t) => {
  const h = harness({ maxErrors: 3, timeoutMs: 30_000 });
  const fail = (outcome: "transient" | "ok") => {
    h.pusher.notify(OWNER, [PHONE], msg("x"));
    h.pusher.answer(h.sent[h.sent.length - 1]!.id, "push.example", outcome);
  };
  fail("transient");
  fail("transient");
  fail("ok");
  fail("transient");
  fail("transient");
  t.deepEqual(h.disabled, []);
  h.pusher.notify(OWNER, [PHONE], msg("unanswered"));
  h.advance(29_999);
  t.deepEqual(h.disabled, []);
  h.advance(1);
  t.is(h.disabled.length, 1, "the third failure in a row: no answer in time");
  t.regex(h.disabled[0]!.reason, /3 failed/);
});

test("an unanswered publish times out, and what waited is sent then", (t) => {
  const h = harness({ timeoutMs: 30_000, maxErrors: 5 });
  h.pusher.notify(OWNER, [PHONE], msg("one"));
  h.pusher.notify(OWNER, [PHONE], msg("two"));
  h.advance(30_000);
  t.is(h.sent.length, 2);
  t.is(h.sent[1]!.summary.notice.body, "two");
  t.false(h.pusher.answer(h.sent[0]!.id, "push.example", "ok"), "a late answer to the timed-out publish is not ours any more");
});

test("counts start again when the account is active; forgotten registrations stop; idle state is pruned", (t) => {
  const h = harness({ minIntervalMs: 5_000 });
  h.pusher.notify(OWNER, [PHONE], msg("one"));
  h.pusher.answer(h.sent[0]!.id, "push.example", "ok");
  h.pusher.resetCount(OWNER);
  h.advance(5_000);
  h.pusher.notify(OWNER, [PHONE], msg("two"));
  t.is(h.sent[1]!.summary.count, 1);
  h.pusher.notify(OWNER, [PHONE], msg("three"));
  h.pusher.forget(OWNER, PHONE);
  t.is(h.pending(), 0, "its timers are cancelled");
  t.false(h.pusher.answer(h.sent[1]!.id, "push.example", "ok"));
  h.pusher.notify(OWNER, [TABLET], msg("four"));
  h.pusher.answer(h.sent[2]!.id, "push.example", "ok");
  t.is(h.pusher.size, 1);
  h.pusher.prune();
  t.is(h.pusher.size, 1, "within its interval: kept");
  h.advance(5_000);
  h.pusher.prune();
  t.is(h.pusher.size, 0);
});
