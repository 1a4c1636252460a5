/**
 * Idle sessions: open `sessions` logged-in sessions (SCRAM-SHA-1 where offered, bind, initial presence) as
 * `users` accounts (by default 4 resources each, like a phone, a laptop, a desktop and a web client: one
 * account per session would spend most of the run on key derivation) at a bounded rate, hold
 * them, check every one still answers a ping, close them all, and see whether the server's memory goes back
 * to where it started; with `rounds` > 1, do it again and see whether memory after closing keeps growing
 * (a leak) or is reused. Over plain TCP and over TLS (Direct TLS, or STARTTLS where a server lacks it).
 * Measured: resident memory per session, CPU per session opened, RSS before / with sessions / after.
 */
import { execSync } from "node:child_process";
import type { XmppConn } from "../client/conn.js";
import { sleep } from "../lib/stats.js";
import { closeSessions, count, openSessions, usualMechanism } from "../lib/sessions.js";
import type { Scenario } from "./types.js";

function fdLimit(): number {
  try { return Number(execSync("ulimit -n", { encoding: "utf8", shell: "/bin/sh" }).trim()) || 1024; } catch { return 1024; }
}

function idleScenario(transport: "tcp" | "tls"): Scenario {
  return {
    id: `idle-${transport}`,
    title: `Idle sessions over ${transport === "tcp" ? "plain TCP" : "TLS"}`,
    description: `\`sessions\` sessions over ${transport === "tcp" ? "plain TCP" : "TLS (Direct TLS where the server has it)"} opened at \`rate\`/s, held \`hold\` s, pinged, closed; RSS per session and RSS before/after.`,
    options: {
      sessions: { default: 10_000, quick: 200, help: "sessions held at once" },
      users: { default: 2500, quick: 50, help: "accounts the sessions log in as (sessions/users resources each; =sessions for one account per session)" },
      rate: { default: 1000, help: "sessions opened per second at most" },
      concurrency: { default: 100, help: "logins in flight" },
      hold: { default: 3, quick: 1, help: "seconds the sessions are held before measuring" },
      settle: { default: 5, quick: 2, help: "seconds waited after closing before reading RSS again" },
      rounds: { default: 1, help: "times the sessions are opened and closed (more than 1: a leak check)" },
      later: { default: 60, quick: 5, help: "seconds after the last close for a second RSS reading (garbage collectors give memory back lazily)" },
    },
    timeoutSeconds: (o) => 120 + o.users! * 0.02 + o.rounds! * (60 + o.sessions! * 0.01 + o.hold! + o.settle!) + o.later!,

    async run(ctx) {
      const { sessions, users, rate, concurrency, hold, settle, rounds, later } = ctx.opt as Record<string, number> as {
        sessions: number; users: number; rate: number; concurrency: number; hold: number; settle: number; rounds: number; later: number;
      };
      const limit = fdLimit();
      if (sessions + 500 > limit) throw new Error(`${sessions} sessions need more file descriptors than this process may open (ulimit -n: ${limit})`);
      const mechanism = usualMechanism(ctx.server);
      const accounts = Math.max(1, Math.min(users, sessions));
      await ctx.users.ensure(accounts, ctx.server.domainFor(mechanism));
      await sleep(1000);
      const rssBefore = ctx.rssKiB();
      const endpoint = transport === "tcp" ? ctx.server.tcp : ctx.server.tls;
      let first: { held: number; after: number; opened: number; cpuMs: number; clientCpuMs: number; wallMs: number } | null = null;
      let rssAfterLast = 0, lost = 0, failures = 0;
      for (let round = 1; round <= rounds; round++) {
        const m = ctx.meter();
        const r = await openSessions(ctx, {
          count: sessions, endpoint, rate, concurrency, mechanism, accountOf: (i) => i % accounts, resourceOf: (i) => `idle${i}`,
        });
        const opening = m.stop();
        failures += r.failures;
        const open = r.conns.filter((c): c is XmppConn => c !== undefined);
        await sleep(hold * 1000);
        const held = ctx.rssKiB();

        // Every session must still be there: one ping each, every answer counted.
        let answered = 0;
        for (const c of open) c.stream((text) => { answered += count(text, "idlecheck"); });
        const ping = `<iq type='get' id='idlecheck' to='${ctx.server.domainFor(mechanism)}'><ping xmlns='urn:xmpp:ping'/></iq>`;
        for (const c of open) c.write(ping);
        const deadline = Date.now() + 30_000;
        while (answered < open.length && Date.now() < deadline) await sleep(50);
        lost += open.length - Math.min(answered, open.length);

        await closeSessions(open);
        await sleep(settle * 1000);
        rssAfterLast = ctx.rssKiB();
        if (rounds > 1) ctx.log(`round ${round}: RSS ${(held / 1024).toFixed(1)} MiB held, ${(rssAfterLast / 1024).toFixed(1)} MiB after closing`);
        first ??= { held, after: rssAfterLast, opened: Math.max(1, open.length), cpuMs: opening.serverCpuMs, clientCpuMs: opening.clientCpuMs, wallMs: opening.wallMs };
      }
      // V8's memory reducer, like other collectors, returns freed pages only after the process has been quiet a while.
      if (later > settle) await sleep((later - settle) * 1000);
      const rssLater = ctx.rssKiB();
      const f = first!;
      const growth = f.held - rssBefore;
      const repeat = rounds > 1 ? [
        { id: "rss_after_last_mib", label: `server RSS after closing round ${rounds}`, value: rssAfterLast / 1024, unit: "MiB", kind: "memory" as const },
        { id: "rss_growth_per_round_kib", label: "RSS growth per later round, per session (a leak if > 0)", value: (rssAfterLast - f.after) / (rounds - 1) / f.opened, unit: "KiB", kind: "memory" as const, target: { max: 0.5 } },
      ] : [];
      return {
        metrics: [
          { id: "rss_per_session_kib", label: "server RSS per session", value: growth / f.opened, unit: "KiB", kind: "memory", headline: true, ...(transport === "tcp" ? { target: { max: 25 } } : {}) },
          { id: "cpu_per_session_ms", label: "server CPU per session opened", value: f.cpuMs / f.opened, unit: "ms", kind: "cpu" },
          { id: "rss_before_mib", label: "server RSS before", value: rssBefore / 1024, unit: "MiB", kind: "memory" },
          { id: "rss_held_mib", label: "server RSS with the sessions", value: f.held / 1024, unit: "MiB", kind: "memory" },
          { id: "rss_after_mib", label: `server RSS ${settle} s after closing`, value: f.after / 1024, unit: "MiB", kind: "memory" },
          { id: "rss_retained_pct", label: `growth still held ${settle} s after closing`, value: growth > 0 ? (100 * (f.after - rssBefore)) / growth : 0, unit: "%", kind: "memory" },
          { id: "rss_later_mib", label: `server RSS ${later} s after the last close`, value: rssLater / 1024, unit: "MiB", kind: "memory" },
          { id: "rss_retained_later_pct", label: `growth still held ${later} s after the last close`, value: growth > 0 ? (100 * (rssLater - rssBefore)) / growth : 0, unit: "%", kind: "memory", target: { max: 10 } },
          ...repeat,
          { id: "sessions_per_s", label: "sessions opened per second", value: f.opened / (f.wallMs / 1000), unit: "/s", kind: "wall" },
          { id: "client_cpu_per_session_ms", label: "load generator CPU per session opened", value: f.clientCpuMs / f.opened, unit: "ms", kind: "client" },
        ],
        lost,
        errors: failures,
        notes: [`logins with ${mechanism}, ${accounts} accounts with ${(sessions / accounts).toFixed(sessions % accounts ? 1 : 0)} sessions each`],
      };
    },
  };
}

export const idleTcp = idleScenario("tcp");
export const idleTls = idleScenario("tls");
