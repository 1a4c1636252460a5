/**
 * Login (RFC 6120 §6-7, RFC 6121 §4.2): connect over plain TCP, authenticate with one SASL mechanism, bind
 * a resource, send initial presence (processed: a ping answered after it), close the stream. One scenario
 * per mechanism. Accounts are reused (`users` of them), and a warm-up login per account runs first, so
 * the client's SCRAM keys are cached and server caches are warm. Measured: server CPU per login.
 */
import { XmppConn } from "../client/conn.js";
import { describeErrors, openMany, timeouts } from "../client/open.js";
import { scramSelfCheck, type Mechanism } from "../client/scram.js";
import type { Scenario } from "./types.js";

function loginScenario(mechanism: Mechanism, target?: number): Scenario {
  const id = `login-${mechanism.toLowerCase()}`;
  return {
    id,
    title: `Login, ${mechanism}`,
    requires: [`sasl:${mechanism}`],
    description: `\`logins\` times: TCP connect, ${mechanism}, bind, initial presence, close; \`concurrency\` at a time over \`users\` accounts; server CPU per login.`,
    options: {
      logins: { default: 500, quick: 60, help: "measured logins" },
      users: { default: 50, quick: 10, help: "distinct accounts (each logged in once before measuring)" },
      concurrency: { default: 8, help: "logins in flight" },
    },
    timeoutSeconds: (o) => 120 + (o.logins! + o.users!) * 0.05,

    async run(ctx) {
      const { logins, users, concurrency } = ctx.opt as { logins: number; users: number; concurrency: number };
      if (mechanism !== "PLAIN") await scramSelfCheck();
      const domain = ctx.server.domainFor(mechanism);
      await ctx.users.ensure(users, domain);
      const once = (i: number) =>
        XmppConn.login({ endpoint: ctx.server.tcp, account: ctx.users.account(i % users, domain), mechanism, resource: `login${i}` }).then((c) => c.close());
      const warm = await openMany(users, { rate: Infinity, concurrency }, once);
      if (warm.failures) throw new Error(`warm-up: ${warm.failures} logins failed: ${describeErrors(warm.errors)}`);
      const rssBefore = ctx.rssKiB();
      const m = ctx.meter();
      const r = await openMany(logins, { rate: Infinity, concurrency }, once);
      const p = m.stop();
      const ok = logins - r.failures;
      return {
        metrics: [
          { id: "cpu_per_login_ms", label: "server CPU per login", value: p.serverCpuMs / ok, unit: "ms", kind: "cpu", headline: true, ...(target ? { target: { max: target } } : {}) },
          { id: "logins_per_s", label: "logins per second", value: ok / (p.wallMs / 1000), unit: "/s", kind: "wall" },
          { id: "client_cpu_per_login_ms", label: "load generator CPU per login", value: p.clientCpuMs / ok, unit: "ms", kind: "client" },
          { id: "rss_before_mib", label: "server RSS before", value: rssBefore / 1024, unit: "MiB", kind: "memory" },
          { id: "rss_after_mib", label: "server RSS after", value: ctx.rssKiB() / 1024, unit: "MiB", kind: "memory" },
        ],
        lost: timeouts(r.errors),
        errors: r.failures,
        notes: r.failures ? [describeErrors(r.errors)] : [],
      };
    },
  };
}

export const loginPlain = loginScenario("PLAIN");
export const loginScramSha1 = loginScenario("SCRAM-SHA-1", 0.5);
export const loginScramSha256 = loginScenario("SCRAM-SHA-256", 0.5);
