/**
 * One-to-one chat at a fixed rate: `pairs` pairs, `rate` messages per second in all, spread round-robin
 * over the senders, one write per message, for `duration` seconds after `warmup`. Measured: server CPU per
 * message, and latency from the send time in each body to its arrival (p50, p99, max).
 *
 * The same load in two variants:
 * - chat-fixed-rate: no archiving; the issue's targets (CPU per message, latency p99) apply to it;
 * - chat-fixed-rate-archived: message archiving (XEP-0313) on in every server, both parties' archives: what
 *   archiving adds when every message comes alone (one write, one read), so nothing batches it as the closed
 *   loop does (chat-closed-loop-archived).
 */
import { performance } from "node:perf_hooks";
import { closePairs, chatMessage, drain, forEachSendTime, messageReader, nowUs, openPairs } from "../lib/chat.js";
import { usualMechanism } from "../lib/sessions.js";
import { Samples, sleep } from "../lib/stats.js";
import type { OptionSpec, Scenario, ScenarioContext, ScenarioResult } from "./types.js";

interface Variant {
  id: string;
  title: string;
  description: string;
  requires?: Scenario["requires"];
  compareWith?: Scenario["compareWith"];
  /** The targets for Palaver, when they apply to this variant. */
  targets?: { cpuUs: number; p99Ms: number };
}

const options: Record<string, OptionSpec> = {
  pairs: { default: 100, quick: 20, help: "sender/receiver pairs" },
  rate: { default: 2000, help: "messages per second, all pairs together" },
  duration: { default: 10, quick: 2, help: "measured seconds" },
  warmup: { default: 2, quick: 0.5, help: "seconds of the same load before measuring" },
};

async function fixedRate(ctx: ScenarioContext, v: Variant): Promise<ScenarioResult> {
  const { pairs: n, rate, duration, warmup } = ctx.opt as { pairs: number; rate: number; duration: number; warmup: number };
  await ctx.users.ensure(2 * n, ctx.server.domainFor(usualMechanism(ctx.server)));
  const rssBefore = ctx.rssKiB();
  const pairs = await openPairs(ctx, n);
  const latency = new Samples();
  let measureFromUs = Infinity;
  for (const p of pairs) {
    p.b.stream(messageReader((k, text) => {
      p.received += k;
      const now = nowUs();
      forEachSendTime(text, (t) => { if (t >= measureFromUs) latency.push(now - t); });
    }));
  }

  let sent = 0, next = 0, id = 0;
  const t0 = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) * rate) / 1000);
    while (sent < due) {
      const p = pairs[next]!;
      next = (next + 1) % n;
      p.a.write(chatMessage(p.to, id++, nowUs()));
      p.sent++;
      sent++;
    }
  }, 1);

  await sleep(warmup * 1000);
  measureFromUs = nowUs();
  const sentBefore = sent;
  const m = ctx.meter();
  await sleep(duration * 1000);
  clearInterval(timer);
  const measured = sent - sentBefore;
  const lost = await drain(pairs, 10_000);
  const p = m.stop();
  const bounced = pairs.reduce((s, q) => s + q.bounced, 0);
  await closePairs(pairs);
  await sleep(1000);
  const [p50, p99] = latency.percentiles([50, 99]);
  const t = v.targets;
  return {
    metrics: [
      { id: "cpu_per_msg_us", label: "server CPU per message", value: (p.serverCpuMs * 1000) / measured, unit: "µs", kind: "cpu", headline: true, ...(t ? { target: { max: t.cpuUs } } : {}) },
      { id: "latency_p50_ms", label: "latency p50", value: p50! / 1000, unit: "ms", kind: "wall" },
      { id: "latency_p99_ms", label: "latency p99", value: p99! / 1000, unit: "ms", kind: "wall", ...(t ? { target: { max: t.p99Ms } } : {}) },
      { id: "latency_max_ms", label: "latency max", value: latency.max() / 1000, unit: "ms", kind: "wall" },
      { id: "rate_achieved", label: "messages per second sent", value: measured / duration, unit: "msg/s", kind: "wall" },
      { id: "client_cpu_per_msg_us", label: "load generator CPU per message", value: (p.clientCpuMs * 1000) / measured, unit: "µs", kind: "client" },
      { id: "rss_before_mib", label: "server RSS before the sessions opened", value: rssBefore / 1024, unit: "MiB", kind: "memory" },
      { id: "rss_after_mib", label: "server RSS after closing", value: ctx.rssKiB() / 1024, unit: "MiB", kind: "memory" },
    ],
    lost,
    errors: bounced,
    notes: [
      ...(bounced ? [`${bounced} messages bounced back to their senders`] : []),
      // A server that cannot keep up falls behind and still owes the rest after the drain: its CPU per message
      // divides the work it did by messages it did not all handle, so it reads low.
      ...(lost > measured / 100 ? [`${lost} of ${measured} messages not delivered 10 s after the last was sent: the server did not keep up with the rate, and its CPU per message counts work it had not done yet`] : []),
    ],
  };
}

function fixedRateScenario(v: Variant): Scenario {
  return {
    id: v.id,
    title: v.title,
    description: v.description,
    options,
    ...(v.requires ? { requires: v.requires } : {}),
    ...(v.compareWith ? { compareWith: v.compareWith } : {}),
    timeoutSeconds: (o) => 120 + o.duration! + o.warmup! + o.pairs! * 0.05,
    run: (ctx) => fixedRate(ctx, v),
  };
}

export const chatFixedRate = fixedRateScenario({
  id: "chat-fixed-rate",
  title: "Chat at a fixed rate",
  description: "`pairs` sender/receiver pairs, `rate` messages/s in all (one write each), `duration` s measured after `warmup` s; server CPU per message and delivery latency.",
  targets: { cpuUs: 40, p99Ms: 1 },
});

export const chatFixedRateArchived = fixedRateScenario({
  id: "chat-fixed-rate-archived",
  title: "Chat at a fixed rate, archived",
  description: "chat-fixed-rate with message archiving (XEP-0313) on in every server, each message kept in both parties' archives: `pairs` pairs, `rate` messages/s in all (one write each), `duration` s measured after `warmup` s; server CPU per delivered and archived message and delivery latency.",
  requires: ["mam"],
  compareWith: { scenario: "chat-fixed-rate", metric: "cpu_per_msg_us", label: "archiving adds" },
});
