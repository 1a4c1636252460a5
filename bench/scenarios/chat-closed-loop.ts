/**
 * One-to-one chat, closed loop (maximum throughput): `pairs` pairs, each keeping `window` messages in
 * flight; every message a receiver gets lets its sender send one more (in one write per read). Measured
 * for `duration` seconds after `warmup`: server CPU per delivered message, and messages per second.
 */
import { closePairs, chatMessage, drain, messageReader, nowUs, openPairs, type Pair } from "../lib/chat.js";
import { usualMechanism } from "../lib/sessions.js";
import { sleep } from "../lib/stats.js";
import type { Scenario } from "./types.js";

export const chatClosedLoop: Scenario = {
  id: "chat-closed-loop",
  title: "Chat, closed loop",
  description: "`pairs` pairs each with `window` messages outstanding, refilled as they arrive; `duration` s measured after `warmup` s; server CPU per delivered message and throughput.",
  options: {
    pairs: { default: 50, quick: 10, help: "sender/receiver pairs" },
    window: { default: 20, help: "messages in flight per pair" },
    duration: { default: 10, quick: 2, help: "measured seconds" },
    warmup: { default: 2, quick: 0.5, help: "seconds of the same load before measuring" },
  },
  timeoutSeconds: (o) => 120 + o.duration! + o.warmup! + o.pairs! * 0.05,

  async run(ctx) {
    const { pairs: n, window, duration, warmup } = ctx.opt as { pairs: number; window: number; duration: number; warmup: number };
    await ctx.users.ensure(2 * n, ctx.server.domainFor(usualMechanism(ctx.server)));
    const rssBefore = ctx.rssKiB();
    const pairs = await openPairs(ctx, n);
    let running = true;
    let id = 0;
    let delivered = 0;
    const send = (p: Pair, k: number) => {
      const ts = nowUs();
      let out = "";
      for (let j = 0; j < k; j++) out += chatMessage(p.to, id++, ts);
      p.a.write(out);
      p.sent += k;
    };
    for (const p of pairs) {
      p.b.stream(messageReader((k) => {
        p.received += k;
        delivered += k;
        if (running) send(p, k);
      }));
    }
    for (const p of pairs) send(p, window);

    await sleep(warmup * 1000);
    const from = delivered;
    const m = ctx.meter();
    await sleep(duration * 1000);
    const p = m.stop();
    const count = delivered - from;
    running = false;
    const lost = await drain(pairs, 10_000);
    const bounced = pairs.reduce((s, q) => s + q.bounced, 0);
    await closePairs(pairs);
    await sleep(1000);
    return {
      metrics: [
        { id: "cpu_per_msg_us", label: "server CPU per delivered message", value: (p.serverCpuMs * 1000) / count, unit: "µs", kind: "cpu", headline: true, target: { max: 12 } },
        { id: "throughput", label: "messages delivered per second", value: count / (p.wallMs / 1000), unit: "msg/s", kind: "wall" },
        { id: "server_cpu_util_pct", label: "server CPU use (100% = one core)", value: (100 * p.serverCpuMs) / p.wallMs, unit: "%", kind: "info" },
        { id: "client_cpu_per_msg_us", label: "load generator CPU per message", value: (p.clientCpuMs * 1000) / count, unit: "µs", kind: "client" },
        { id: "rss_before_mib", label: "server RSS before the sessions opened", value: rssBefore / 1024, unit: "MiB", kind: "memory" },
        { id: "rss_after_mib", label: "server RSS after closing", value: ctx.rssKiB() / 1024, unit: "MiB", kind: "memory" },
      ],
      lost,
      errors: bounced,
      notes: bounced ? [`${bounced} messages bounced back to their senders`] : [],
    };
  },
};
