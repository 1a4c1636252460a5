/**
 * Group chat fan-out (XEP-0045): `occupants` sessions in one room (the service address in
 * `server.extra.muc`, else conference.<domain>); `senders` of them each keep `window` groupchat messages in
 * flight, refilled once every occupant has received a round (closed loop), for `duration` seconds after
 * `warmup`. Every message reaches every occupant (its sender too), so one message is `occupants` deliveries.
 * Headline: server CPU per delivery (the cost of fan-out per recipient: the stanza should be serialised once,
 * not once per occupant); also per message, deliveries per second, and latency from send to the last receiver.
 */
import type { XmppConn } from "../client/conn.js";
import { closeSessions, count, openSessions, usualMechanism } from "../lib/sessions.js";
import { Samples, sleep } from "../lib/stats.js";
import type { Scenario, ScenarioContext } from "./types.js";

const NS_MUC = "http://jabber.org/protocol/muc";
const NS_OWNER = "http://jabber.org/protocol/muc#owner";
const FILLER = "The quick brown fox jumps over the lazy dog; 0123456789.";

/**
 * Resolves with what `conn` received once `re` matches it (the connection's bytes go to this waiter from now
 * on); rejects when `fail` matches first or after `timeoutMs`.
 */
function waitFor(conn: XmppConn, re: RegExp, fail: RegExp, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    conn.stream((text) => {
      seen = (seen + text).slice(-65536);
      if (re.test(seen)) { clearTimeout(timer); resolve(seen); }
      else if (fail.test(seen)) { clearTimeout(timer); reject(new Error(`${what} failed: ${seen.slice(0, 300)}`)); }
    });
  });
}

/** The self-presence from the room (status 110, XEP-0045 §7.2.3), or an error presence. */
const selfPresence = (conn: XmppConn, occupant: string, timeoutMs: number) =>
  waitFor(conn, /code=['"]110['"]/, /<presence[^>]*type=['"]error['"]/, `entering as ${occupant}`, timeoutMs);

async function enterAll(ctx: ScenarioContext, conns: XmppConn[], room: string, batch: number): Promise<void> {
  for (let i = 1; i < conns.length; i += batch) {
    const group = conns.slice(i, i + batch);
    await Promise.all(group.map((c, k) => {
      const nick = `u${i + k}`;
      const joined = selfPresence(c, `${room}/${nick}`, 60_000);
      c.write(`<presence to='${room}/${nick}'><x xmlns='${NS_MUC}'><history maxstanzas='0'/></x></presence>`);
      return joined;
    }));
    if ((i + batch) % 500 < batch) ctx.log(`  ${Math.min(i + batch, conns.length)}/${conns.length} occupants in the room`);
  }
}

export const mucFanout: Scenario = {
  id: "muc-fanout",
  title: "Group chat fan-out",
  description: "`occupants` sessions in one room, `senders` of them with `window` groupchat messages each in flight (a round goes out once everyone got the last one), `duration` s measured after `warmup` s; server CPU per delivered stanza.",
  options: {
    occupants: { default: 1000, quick: 50, help: "sessions in the room" },
    senders: { default: 10, quick: 5, help: "occupants that send" },
    window: { default: 5, help: "messages each sender has in flight per round" },
    duration: { default: 10, quick: 2, help: "measured seconds" },
    warmup: { default: 2, quick: 0.5, help: "seconds of the same load before measuring" },
  },
  requires: ["muc"],
  timeoutSeconds: (o) => 180 + o.duration! + o.warmup! + o.occupants! * 0.1,

  async run(ctx) {
    const { occupants: n, senders, window, duration, warmup } = ctx.opt as Record<string, number>;
    const domain = ctx.server.domainFor(usualMechanism(ctx.server));
    const service = ctx.server.extra.muc ?? `conference.${domain}`;
    const room = `fanout${Date.now().toString(36)}@${service}`;
    await ctx.users.ensure(n, domain);
    const { conns, failures } = await openSessions(ctx, { count: n, endpoint: ctx.server.tcp, concurrency: 16, resourceOf: (i) => `muc${i}` });
    const all = conns.filter((c): c is XmppConn => c !== undefined);
    try {
      if (failures) throw new Error(`${failures} of ${n} sessions could not log in`);
      // The first occupant creates the room, accepts the defaults with room for everyone, then the rest enter.
      const owner = all[0]!;
      const created = selfPresence(owner, `${room}/u0`, 30_000);
      owner.write(`<presence to='${room}/u0'><x xmlns='${NS_MUC}'><history maxstanzas='0'/></x></presence>`);
      await created;
      owner.write(`<iq type='set' id='cfg' to='${room}'><query xmlns='${NS_OWNER}'><x xmlns='jabber:x:data' type='submit'>` +
        `<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>` +
        `<field var='muc#roomconfig_maxusers'><value>${n + 10}</value></field></x></query></iq>`);
      await waitFor(owner, /<iq[^>]*id=['"]cfg['"][^>]*type=['"]result['"]|<iq[^>]*type=['"]result['"][^>]*id=['"]cfg['"]/,
        /<iq[^>]*type=['"]error['"]/, "configuring the room", 30_000);
      await enterAll(ctx, all, room, 50);
      await sleep(1000); // the last presences and subjects arrive; they are not counted

      let totalReceived = 0;
      let round = 0;
      let roundTarget = 0;
      let roundStart = 0;
      const latency = new Samples();
      let running = true;
      let sentMessages = 0;
      let wake: (() => void) | null = null;
      for (const c of all) c.stream((text) => {
        totalReceived += count(text, "</message>");
        if (totalReceived >= roundTarget) wake?.();
      });
      const perRound = senders * window;
      const sendRound = () => {
        round++;
        roundStart = performance.now();
        for (let s = 0; s < senders; s++) {
          let out = "";
          for (let w = 0; w < window; w++) out += `<message to='${room}' type='groupchat' id='r${round}s${s}w${w}'><body>${round} ${FILLER}</body></message>`;
          all[s]!.write(out);
        }
        sentMessages += perRound;
        roundTarget += perRound * all.length;
      };
      const loop = (async () => {
        while (running) {
          sendRound();
          while (totalReceived < roundTarget) {
            const arrived = new Promise<void>((r) => { wake = r; });
            const stalled = sleep(10_000).then(() => "stalled" as const);
            if ((await Promise.race([arrived, stalled])) === "stalled") throw new Error(`round ${round} stalled at ${totalReceived} of ${roundTarget} deliveries`);
            wake = null;
          }
          latency.push(performance.now() - roundStart);
        }
      })();
      await sleep(warmup * 1000);
      const m = ctx.meter();
      const delivered0 = totalReceived;
      const sent0 = sentMessages;
      await sleep(duration * 1000);
      const phase = m.stop();
      const delivered = totalReceived - delivered0;
      const messages = sentMessages - sent0;
      running = false;
      await loop;
      const [p50, p99] = latency.percentiles([50, 99]);
      return {
        metrics: [
          { id: "cpu_per_delivery_us", label: "server CPU per delivered groupchat stanza", value: (phase.serverCpuMs * 1000) / delivered, unit: "µs", kind: "cpu", headline: true },
          { id: "cpu_per_message_us", label: "server CPU per message to the room (all its deliveries)", value: (phase.serverCpuMs * 1000) / Math.max(1, messages), unit: "µs", kind: "cpu" },
          { id: "deliveries_per_s", label: "deliveries per second", value: delivered / (phase.wallMs / 1000), unit: "msg/s", kind: "wall" },
          { id: "round_p50_ms", label: `round (${perRound} messages to everyone) p50`, value: p50!, unit: "ms", kind: "wall" },
          { id: "round_p99_ms", label: "round p99", value: p99!, unit: "ms", kind: "wall" },
          { id: "client_cpu_per_delivery_us", label: "load generator CPU per delivery", value: (phase.clientCpuMs * 1000) / delivered, unit: "µs", kind: "client" },
          { id: "occupants", label: "occupants", value: all.length, unit: "", kind: "info" },
        ],
        lost: roundTarget - totalReceived,
        errors: 0,
        notes: [],
      };
    } finally {
      await closeSessions(all);
    }
  },
};
