/** Opening and closing many sessions for scenarios, at a bounded rate. */
import type { AnyEndpoint } from "../client/conn.js";
import { XmppConn } from "../client/conn.js";
import { describeErrors, openMany } from "../client/open.js";
import type { Mechanism } from "../client/scram.js";
import type { ScenarioContext } from "../scenarios/types.js";
import type { RunningServer } from "../servers/types.js";

export interface OpenSessionsOptions {
  count: number;
  endpoint: AnyEndpoint;
  rate?: number;
  concurrency?: number;
  /** Default: SCRAM-SHA-1 where offered, else PLAIN. */
  mechanism?: Mechanism;
  /** Account index of session i (default i). */
  accountOf?: (i: number) => number;
  /** Account group (UserPool): accounts <prefix>0, <prefix>1, ... (default "u"). */
  prefix?: string;
  /** Send initial presence (default true). */
  presence?: boolean;
  /** Resource of session i. */
  resourceOf?: (i: number) => string;
}

/** The mechanism scenarios log in with when login is not what they measure: SCRAM-SHA-1 where offered. */
export function usualMechanism(server: RunningServer): Mechanism {
  return server.capabilities.has("sasl:SCRAM-SHA-1") ? "SCRAM-SHA-1" : "PLAIN";
}

/** Log in `count` sessions (initial presence sent and processed). Failed ones are undefined. */
export async function openSessions(ctx: ScenarioContext, o: OpenSessionsOptions): Promise<{ conns: (XmppConn | undefined)[]; failures: number }> {
  const mechanism = o.mechanism ?? usualMechanism(ctx.server);
  const domain = ctx.server.domainFor(mechanism);
  const r = await openMany(o.count, {
    rate: o.rate ?? Infinity,
    concurrency: o.concurrency ?? 16,
    progress: (d) => { if (o.count >= 5000 && d % 2500 === 0) ctx.log(`  ${d}/${o.count} sessions open`); },
  }, (i) => XmppConn.login({
    endpoint: o.endpoint,
    account: ctx.users.account(o.accountOf ? o.accountOf(i) : i, domain, o.prefix),
    mechanism,
    resource: o.resourceOf ? o.resourceOf(i) : `bench${i}`,
    presence: o.presence,
  }));
  if (r.failures) ctx.log(`  ${r.failures} of ${o.count} logins failed: ${describeErrors(r.errors)}`);
  return { conns: r.items, failures: r.failures };
}

/** Close sessions cleanly, `concurrency` at a time; each waits (bounded) for the server to close. */
export async function closeSessions(conns: (XmppConn | undefined)[], concurrency = 500): Promise<void> {
  const list = conns.filter((c): c is XmppConn => c !== undefined);
  await openMany(list.length, { rate: Infinity, concurrency }, (i) => list[i]!.close());
}

/** Count occurrences of `needle` in `text`. */
export function count(text: string, needle: string): number {
  let n = 0;
  let i = text.indexOf(needle);
  while (i !== -1) { n++; i = text.indexOf(needle, i + needle.length); }
  return n;
}
