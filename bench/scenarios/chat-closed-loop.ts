/**
 * One-to-one chat, closed loop (maximum throughput): `pairs` pairs, each keeping `window` messages in
 * flight; every message a receiver gets lets its sender send one more (in one write per read). Measured
 * for `duration` seconds after `warmup`: server CPU per delivered message, and messages per second.
 *
 * The same load in two variants, so each difference shows side by side:
 * - chat-closed-loop-archived: message archiving (XEP-0313) on in every server, both parties' archives; measured
 *   over `messages` deliveries (at least 200,000 by default, so the archive's batching and its database's page
 *   writes average out) instead of a duration: what archiving adds to routing a message;
 * - chat-websocket: the same over XMPP over WebSocket (RFC 7395) instead of TCP: one stanza per WebSocket message,
 *   a sender's window refill in one system call as over TCP.
 */
import type { AnyEndpoint } from "../client/conn.js";
import { closePairs, chatMessage, drain, messageReader, nowUs, openPairs, type Pair } from "../lib/chat.js";
import type { Phase } from "../lib/meter.js";
import { usualMechanism } from "../lib/sessions.js";
import { sleep } from "../lib/stats.js";
import type { OptionSpec, Scenario, ScenarioContext, ScenarioResult } from "./types.js";

interface Variant {
  id: string;
  title: string;
  description: string;
  /** Stop after `messages` deliveries (or `maxDuration` s) instead of after `duration` s. */
  byCount: boolean;
  requires?: string[];
  endpoint(ctx: ScenarioContext): AnyEndpoint;
  options: Record<string, OptionSpec>;
  target?: number;
  compareWith?: Scenario["compareWith"];
  timeoutSeconds(o: Record<string, number>): number;
}

const common: Record<string, OptionSpec> = {
  pairs: { default: 50, quick: 10, help: "sender/receiver pairs" },
  window: { default: 20, help: "messages in flight per pair" },
  warmup: { default: 2, quick: 0.5, help: "seconds of the same load before measuring" },
};

async function closedLoop(ctx: ScenarioContext, v: Variant): Promise<ScenarioResult> {
  const { pairs: n, window, warmup } = ctx.opt as Record<string, number>;
  await ctx.users.ensure(2 * n, ctx.server.domainFor(usualMechanism(ctx.server)));
  const rssBefore = ctx.rssKiB();
  const pairs = await openPairs(ctx, n, v.endpoint(ctx));
  let running = true;
  let id = 0;
  let delivered = 0;
  // Measuring by count: the phase ends in the reader, the moment the count is reached.
  let countTarget = Infinity;
  let reached: (() => void) | null = null;
  const send = (p: Pair, k: number) => {
    const ts = nowUs();
    const out: string[] = new Array(k);
    for (let j = 0; j < k; j++) out[j] = chatMessage(p.to, id++, ts);
    p.a.writeEach(out);
    p.sent += k;
  };
  // What a read brought is answered once the read is handled: over TCP a read holds several messages; over
  // WebSocket each message is an event of its own, so refills wait for the end of the read (a microtask) and go
  // out together, as they do over TCP.
  for (const p of pairs) {
    let owed = 0;
    const refill = () => { const k = owed; owed = 0; if (running) send(p, k); };
    p.b.stream(messageReader((k) => {
      p.received += k;
      delivered += k;
      if (delivered >= countTarget) reached?.();
      if (owed === 0) queueMicrotask(refill);
      owed += k;
    }));
  }
  for (const p of pairs) send(p, window);

  await sleep(warmup * 1000);
  const from = delivered;
  const m = ctx.meter();
  let phase: Phase;
  let capped = false;
  if (v.byCount) {
    const { messages, maxDuration } = ctx.opt as Record<string, number>;
    phase = await new Promise<Phase>((resolve) => {
      const timer = setTimeout(() => { capped = true; reached = null; resolve(m.stop()); }, maxDuration! * 1000);
      reached = () => { clearTimeout(timer); reached = null; resolve(m.stop()); };
      countTarget = from + messages!;
    });
  } else {
    await sleep(ctx.opt.duration! * 1000);
    phase = m.stop();
  }
  const count = delivered - from;
  running = false;
  const lost = await drain(pairs, 10_000);
  const bounced = pairs.reduce((s, q) => s + q.bounced, 0);
  await closePairs(pairs);
  await sleep(1000);
  const notes = bounced ? [`${bounced} messages bounced back to their senders`] : [];
  if (capped) notes.push(`measured for maxDuration (${ctx.opt.maxDuration} s): ${count} of ${ctx.opt.messages} messages`);
  return {
    metrics: [
      { id: "cpu_per_msg_us", label: "server CPU per delivered message", value: (phase.serverCpuMs * 1000) / count, unit: "µs", kind: "cpu", headline: true, ...(v.target ? { target: { max: v.target } } : {}) },
      { id: "throughput", label: "messages delivered per second", value: count / (phase.wallMs / 1000), unit: "msg/s", kind: "wall" },
      ...(v.byCount ? [{ id: "messages", label: "messages measured", value: count, unit: "", kind: "info" as const }] : []),
      { id: "server_cpu_util_pct", label: "server CPU use (100% = one core)", value: (100 * phase.serverCpuMs) / phase.wallMs, unit: "%", kind: "info" },
      { id: "client_cpu_per_msg_us", label: "load generator CPU per message", value: (phase.clientCpuMs * 1000) / count, unit: "µs", kind: "client" },
      { id: "rss_before_mib", label: "server RSS before the sessions opened", value: rssBefore / 1024, unit: "MiB", kind: "memory" },
      { id: "rss_after_mib", label: "server RSS after closing", value: ctx.rssKiB() / 1024, unit: "MiB", kind: "memory" },
    ],
    lost,
    errors: bounced,
    notes,
  };
}

function closedLoopScenario(v: Variant): Scenario {
  return {
    id: v.id,
    title: v.title,
    description: v.description,
    options: v.options,
    ...(v.requires ? { requires: v.requires } : {}),
    ...(v.compareWith ? { compareWith: v.compareWith } : {}),
    timeoutSeconds: v.timeoutSeconds,
    run: (ctx) => closedLoop(ctx, v),
  };
}

export const chatClosedLoop = closedLoopScenario({
  id: "chat-closed-loop",
  title: "Chat, closed loop",
  description: "`pairs` pairs each with `window` messages outstanding, refilled as they arrive; `duration` s measured after `warmup` s; server CPU per delivered message and throughput.",
  byCount: false,
  endpoint: (ctx) => ctx.server.tcp,
  options: { ...common, duration: { default: 10, quick: 2, help: "measured seconds" } },
  target: 12,
  timeoutSeconds: (o) => 120 + o.duration! + o.warmup! + o.pairs! * 0.05,
});

export const chatClosedLoopArchived = closedLoopScenario({
  id: "chat-closed-loop-archived",
  title: "Chat, closed loop, archived",
  description: "chat-closed-loop with message archiving (XEP-0313) on in every server, each message kept in both parties' archives; `messages` deliveries measured after `warmup` s (at most `maxDuration` s); server CPU per delivered and archived message.",
  byCount: true,
  requires: ["mam"],
  endpoint: (ctx) => ctx.server.tcp,
  options: {
    ...common,
    messages: { default: 200_000, quick: 5_000, help: "measured deliveries" },
    maxDuration: { default: 300, quick: 30, help: "longest measured phase, in seconds, for a server too slow for `messages`" },
  },
  compareWith: { scenario: "chat-closed-loop", metric: "cpu_per_msg_us", label: "archiving adds" },
  timeoutSeconds: (o) => 180 + o.maxDuration! + o.warmup! + o.pairs! * 0.05,
});

export const chatWebsocket = closedLoopScenario({
  id: "chat-websocket",
  title: "Chat over WebSocket, closed loop",
  description: "chat-closed-loop over XMPP over WebSocket (RFC 7395, plain ws:// on loopback, one stanza per WebSocket message): `pairs` pairs each with `window` messages outstanding; `duration` s measured after `warmup` s; server CPU per delivered message.",
  byCount: false,
  requires: ["websocket"],
  endpoint: (ctx) => ({ url: ctx.server.extra.websocket! }),
  options: { ...common, duration: { default: 10, quick: 2, help: "measured seconds" } },
  compareWith: { scenario: "chat-closed-loop", metric: "cpu_per_msg_us", label: "WebSocket adds" },
  timeoutSeconds: (o) => 120 + o.duration! + o.warmup! + o.pairs! * 0.05,
});
