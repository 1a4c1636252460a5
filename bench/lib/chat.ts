/**
 * One-to-one chat between pairs of sessions: a_i (account u(2i)) sends to b_i (account u(2i+1)) by full
 * JID over plain TCP, both logged in with SCRAM-SHA-1 where offered. Messages carry their send time in microseconds as the first word of the body.
 * The receiving side only looks at complete messages: it counts "</message>" and reads the digits after
 * each "<body>"; a partial message at the end of a read waits for the next one.
 */
import { performance } from "node:perf_hooks";
import type { AnyEndpoint, XmppConn } from "../client/conn.js";
import type { ScenarioContext } from "../scenarios/types.js";
import { closeSessions, count, openSessions, usualMechanism } from "./sessions.js";

export interface Pair {
  a: XmppConn;
  b: XmppConn;
  to: string;
  sent: number;
  received: number;
  /** Messages that came back to the sender (errors). */
  bounced: number;
}

const FILLER = "The quick brown fox jumps over the lazy dog; 0123456789.";

/** A chat message whose body starts with the time now, in µs. */
export function chatMessage(to: string, id: number, nowUs: number): string {
  return `<message to='${to}' type='chat' id='m${id}'><body>${nowUs} ${FILLER}</body></message>`;
}

export const nowUs = () => Math.round(performance.now() * 1000);

/**
 * A receiver: calls `onMessages(n, text)` with the complete messages of each read (text holds exactly them).
 */
export function messageReader(onMessages: (n: number, text: string) => void): (text: string) => void {
  let carry = "";
  return (text) => {
    if (carry) { text = carry + text; carry = ""; }
    const end = text.lastIndexOf("</message>");
    if (end === -1) { carry = text; return; }
    const stop = end + 10;
    if (stop < text.length) { carry = text.slice(stop); text = text.slice(0, stop); }
    onMessages(count(text, "</message>"), text);
  };
}

/** The send times (µs) in the bodies of `text`, passed to `each`. */
export function forEachSendTime(text: string, each: (us: number) => void): void {
  let i = text.indexOf("<body>");
  while (i !== -1) {
    let v = 0;
    let k = i + 6;
    for (let c = text.charCodeAt(k); c >= 48 && c <= 57; c = text.charCodeAt(++k)) v = v * 10 + (c - 48);
    each(v);
    i = text.indexOf("<body>", k);
  }
}

/** `n` pairs of sessions, over plain TCP unless `endpoint` says otherwise (e.g. a WebSocket URL). */
export async function openPairs(ctx: ScenarioContext, n: number, endpoint: AnyEndpoint = ctx.server.tcp): Promise<Pair[]> {
  await ctx.users.ensure(2 * n, ctx.server.domainFor(usualMechanism(ctx.server)));
  const { conns, failures } = await openSessions(ctx, { count: 2 * n, endpoint, concurrency: 16 });
  if (failures) {
    await closeSessions(conns);
    throw new Error(`${failures} of ${2 * n} chat sessions could not log in`);
  }
  const pairs: Pair[] = [];
  for (let i = 0; i < n; i++) {
    const a = conns[2 * i]!, b = conns[2 * i + 1]!;
    const pair: Pair = { a, b, to: b.jid, sent: 0, received: 0, bounced: 0 };
    a.stream(messageReader((k) => { pair.bounced += k; }));
    pairs.push(pair);
  }
  return pairs;
}

export async function closePairs(pairs: Pair[]): Promise<void> {
  await closeSessions(pairs.flatMap((p) => [p.a, p.b]));
}

/** Wait until every sent message has arrived, or `timeoutMs`. Returns the number still missing. */
export async function drain(pairs: Pair[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const missing = () => pairs.reduce((s, p) => s + Math.max(0, p.sent - p.received), 0);
  while (missing() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return missing();
}
