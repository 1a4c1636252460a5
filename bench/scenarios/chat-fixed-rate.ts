/**
 * One-to-one chat at a fixed rate: `pairs` pairs, `rate` messages per second in all, spread round-robin
 * over the senders, one write per message, for `duration` seconds after `warmup`. Measured: server CPU per
 * message, and latency from the send time in each body to its arrival (p50, p99, max).
 */
import { performance } from "node:perf_hooks";
import { closePairs, chatMessage, drain, forEachSendTime, messageReader, nowUs, openPairs } from "../lib/chat.js";
import { usualMechanism } from "../lib/sessions.js";
import { Samples, sleep } from "../lib/stats.js";
import type { Scenario } from "./types.js";

export const chatFixedRate: Scenario = {
  id: "chat-fixed-rate",
  title: "Chat at a fixed rate",
  description: "`pairs` sender/receiver pairs, `rate` messages/s in all (one write each), `duration` s measured after `warmup` s; server CPU per message and delivery latency.",
  options: {
    pairs: { default: 100, quick: 20, help: "sender/receiver pairs" },
    rate: { default: 2000, help: "messages per second, all pairs together" },
    duration: { default: 10, quick: 2, help: "measured seconds" },
    warmup: { default: 2, quick: 0.5, help: "seconds of the same load before measuring" },
  },
  timeoutSeconds: (o) => 120 + o.duration! + o.warmup! + o.pairs! * 0.05,

  async run(ctx) {
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
    return {
      metrics: [
        { id: "cpu_per_msg_us", label: "server CPU per message", value: (p.serverCpuMs * 1000) / measured, unit: "µs", kind: "cpu", headline: true, target: { max: 40 } },
        { id: "latency_p50_ms", label: "latency p50", value: p50! / 1000, unit: "ms", kind: "wall" },
        { id: "latency_p99_ms", label: "latency p99", value: p99! / 1000, unit: "ms", kind: "wall", target: { max: 1 } },
        { id: "latency_max_ms", label: "latency max", value: latency.max() / 1000, unit: "ms", kind: "wall" },
        { id: "rate_achieved", label: "messages per second sent", value: measured / duration, unit: "msg/s", kind: "wall" },
        { id: "client_cpu_per_msg_us", label: "load generator CPU per message", value: (p.clientCpuMs * 1000) / measured, unit: "µs", kind: "client" },
        { id: "rss_before_mib", label: "server RSS before the sessions opened", value: rssBefore / 1024, unit: "MiB", kind: "memory" },
        { id: "rss_after_mib", label: "server RSS after closing", value: ctx.rssKiB() / 1024, unit: "MiB", kind: "memory" },
      ],
      lost,
      errors: bounced,
      notes: bounced ? [`${bounced} messages bounced back to their senders`] : [],
    };
  },
};
