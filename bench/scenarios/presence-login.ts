/**
 * Login with online contacts (RFC 6121 §4.2 and §4.3: initial presence broadcast to the contacts, and their
 * presence probed and delivered to the user).
 *
 * Set-up (not measured), over XMPP so it is the same on every server: `hubs` accounts and `contacts` accounts of
 * a group of their own (rosters that big would change other scenarios' logins); every hub and every contact
 * subscribe to each other as RFC 6121 §3 describes (subscribe, the contact approves with subscribed and asks back,
 * the hub approves), until each hub's roster lists its `contacts` contacts with subscription "both". The contacts
 * stay logged in, available, throughout.
 *
 * The unit of work, a login: TCP connect, SCRAM-SHA-1 (SCRAM keys cached by the client, as real clients do), bind,
 * roster get (`contacts` items), initial presence, until the hub has received every contact's presence and every
 * contact has received the hub's. The hubs log in one after another (`rounds` times each); each round's logins
 * are measured together, then the round's logouts (unavailable presence, seen by every contact, and the stream
 * closed) apart. Headline: server CPU per login. Each hub has the same contacts; hubs are not each other's
 * contacts, so a login costs the same whichever hubs are online.
 */
import { XmppConn } from "../client/conn.js";
import type { Phase } from "../lib/meter.js";
import { closeSessions, openSessions, usualMechanism } from "../lib/sessions.js";
import { bare, onStanzas, Waiter } from "../lib/stanzas.js";
import { Samples, sleep } from "../lib/stats.js";
import type { Scenario } from "./types.js";

/** The scenario's own accounts: pl0 .. pl(contacts-1) are the contacts, then the hubs. */
const PREFIX = "pl";
const NS_ROSTER = "jabber:iq:roster";
const STEP_MS = 30_000;
/** A presence not there this long after the stanza that causes it is lost. */
const LOST_MS = 10_000;

const rosterGet = (id: string) => `<iq type='get' id='${id}'><query xmlns='${NS_ROSTER}'/></iq>`;
const countBoth = (text: string) => (text.match(/subscription=['"]both['"]/g) ?? []).length;
const countItems = (text: string) => (text.match(/<item\b/g) ?? []).length;

export const presenceLogin: Scenario = {
  id: "presence-login",
  title: "Login with 100 online contacts",
  description: "`hubs` accounts with `contacts` contacts each (mutual subscriptions, the contacts online); a login is connect, SCRAM-SHA-1, bind, roster get, initial presence, until the hub has every contact's presence and every contact the hub's; `rounds` × `hubs` logins, one at a time; server CPU per login (logout measured apart).",
  options: {
    contacts: { default: 100, quick: 20, help: "online contacts of each hub (mutual subscriptions)" },
    hubs: { default: 20, quick: 4, help: "accounts that log in (each with the same contacts)" },
    rounds: { default: 15, quick: 3, help: "times each hub logs in (and out)" },
  },
  requires: ["roster"],
  timeoutSeconds: (o) => 240 + o.hubs! * o.contacts! * 0.1 + o.rounds! * o.hubs! * 2,

  async run(ctx) {
    const { contacts: nc, hubs: nh, rounds } = ctx.opt as Record<string, number>;
    const mechanism = usualMechanism(ctx.server);
    const domain = ctx.server.domainFor(mechanism);
    await ctx.users.ensure(nc + nh, domain, PREFIX);
    const hubAccount = (h: number) => ctx.users.account(nc + h, domain, PREFIX);
    const hubBare = (h: number) => `${hubAccount(h).username}@${domain}`;
    const contactBare = (c: number) => `${PREFIX}${c}@${domain}`;
    const hubOf = new Map<string, number>();
    for (let h = 0; h < nh; h++) hubOf.set(hubBare(h), h);

    const contactSessions = await openSessions(ctx, { count: nc, endpoint: ctx.server.tcp, prefix: PREFIX, resourceOf: (i) => `c${i}` });
    const contacts = contactSessions.conns.filter((c): c is XmppConn => c !== undefined);
    const hubSessions = await openSessions(ctx, { count: nh, endpoint: ctx.server.tcp, prefix: PREFIX, accountOf: (h) => nc + h, resourceOf: () => "hub" });
    let hubs = hubSessions.conns.filter((c): c is XmppConn => c !== undefined);
    const waiter = new Waiter();
    try {
      if (contactSessions.failures || hubSessions.failures) throw new Error(`${contactSessions.failures + hubSessions.failures} set-up sessions could not log in`);

      // Set-up: mutual subscriptions. Contacts approve a request and ask back; hubs approve; roster pushes are
      // acknowledged (RFC 6121 §2.1.6).
      let availableSeen = 0, unavailableSeen = 0, unexpected = 0;
      let measuring = false;
      contacts.forEach((conn) => onStanzas(conn, (s) => {
        if (s.name === "iq" && s.type === "set") { conn.write(`<iq type='result' id='${s.id}'/>`); return; }
        if (s.name !== "presence") return;
        const from = bare(s.from);
        if (s.type === "subscribe" && hubOf.has(from)) {
          conn.writeEach([`<presence to='${from}' type='subscribed'/>`, `<presence to='${from}' type='subscribe'/>`]);
        } else if (measuring && hubOf.has(from)) {
          if (s.type === "") availableSeen++;
          else if (s.type === "unavailable") unavailableSeen++;
          else unexpected++;
          waiter.poke();
        }
      }));
      const rosterDone = new Map<number, number>();
      hubs.forEach((conn, h) => onStanzas(conn, (s) => {
        if (s.name === "iq" && s.type === "set") conn.write(`<iq type='result' id='${s.id}'/>`);
        else if (s.name === "iq" && s.id === "roster") { rosterDone.set(h, countBoth(s.text)); waiter.poke(); }
        else if (s.name === "presence" && s.type === "subscribe") conn.write(`<presence to='${bare(s.from)}' type='subscribed'/>`);
      }));
      for (const conn of hubs) conn.writeEach(Array.from({ length: nc }, (_, c) => `<presence to='${contactBare(c)}' type='subscribe'/>`));
      // A server that writes each roster change to disk in its own transaction takes a while (Prosody on SQLite:
      // about 10 ms per subscription handshake), and answers roster queries only after the backlog.
      const setupMs = 120_000 + nh * nc * 100;
      const settled = Date.now() + setupMs;
      for (;;) {
        await sleep(1000);
        rosterDone.clear();
        for (const conn of hubs) conn.write(rosterGet("roster"));
        await waiter.until(() => rosterDone.size === nh, Math.max(1000, settled - Date.now()), () => "the hubs' rosters");
        const both = [...rosterDone.values()].reduce((a, b) => a + b, 0);
        if (both === nh * nc) break;
        if (Date.now() > settled) throw new Error(`subscriptions not settled after ${setupMs / 1000} s: ${both} of ${nh * nc} are "both"`);
      }
      ctx.log(`  ${nh} hubs × ${nc} contacts subscribed both ways`);
      await closeSessions(hubs);
      hubs = [];
      await sleep(1000);
      measuring = true;
      availableSeen = unavailableSeen = unexpected = 0;

      // One login: the hub has every contact's presence, every contact has the hub's. A presence that does not
      // come within LOST_MS is counted lost, and the run goes on.
      let lost = 0;
      const settle = async (done: () => boolean, missing: () => number, what: () => string) => {
        try {
          await waiter.until(done, LOST_MS, what);
        } catch (err) {
          lost += missing();
          ctx.log(`  ${(err as Error).message}`);
        }
      };
      const login = async (h: number): Promise<XmppConn> => {
        const conn = await XmppConn.login({ endpoint: ctx.server.tcp, account: hubAccount(h), mechanism, resource: "hub", presence: false, timeoutMs: STEP_MS });
        conn.write(rosterGet("r"));
        const roster = await conn.iqResult("r");
        if (!roster.ok || countItems(roster.text) !== nc) throw new Error(`hub ${h}: roster of ${countItems(roster.text)} items instead of ${nc}`);
        let fromContacts = 0;
        onStanzas(conn, (s) => {
          if (s.name === "presence" && s.type === "" && !hubOf.has(bare(s.from))) { fromContacts++; waiter.poke(); }
        });
        const target = availableSeen + nc;
        conn.write("<presence/>");
        await settle(() => fromContacts >= nc && availableSeen >= target,
          () => Math.max(0, nc - fromContacts) + Math.max(0, target - availableSeen),
          () => `hub ${h}'s login: ${fromContacts} of ${nc} contacts' presences, ${nc - (target - availableSeen)} of ${nc} contacts told`);
        return conn;
      };
      const logout = async (conn: XmppConn): Promise<void> => {
        const target = unavailableSeen + nc;
        conn.write("<presence type='unavailable'/>");
        await conn.close();
        await settle(() => unavailableSeen >= target, () => Math.max(0, target - unavailableSeen),
          () => `a logout: ${nc - (target - unavailableSeen)} of ${nc} contacts told`);
      };

      // One warm-up round (SCRAM keys cached in the client, server caches warm), then the measured rounds.
      for (let h = 0; h < nh; h++) await logout(await login(h));
      availableSeen = unavailableSeen = 0;
      lost = 0;
      const latency = new Samples();
      let loginCpu = 0, logoutCpu = 0, loginWall = 0, loginClient = 0;
      const all = ctx.meter();
      for (let r = 0; r < rounds; r++) {
        const m = ctx.meter();
        for (let h = 0; h < nh; h++) {
          const t0 = performance.now();
          hubs.push(await login(h));
          latency.push(performance.now() - t0);
        }
        const p: Phase = m.stop();
        loginCpu += p.serverCpuMs; loginWall += p.wallMs; loginClient += p.clientCpuMs;
        const q = ctx.meter();
        for (const conn of hubs) await logout(conn);
        hubs = [];
        logoutCpu += q.stop().serverCpuMs;
      }
      const total = all.stop();
      const logins = rounds * nh;
      const [p50, p99] = latency.percentiles([50, 99]);
      const notes: string[] = [];
      if (unexpected) notes.push(`${unexpected} presences of other types from the hubs reached the contacts`);
      const extra = availableSeen - logins * nc + (unavailableSeen - logins * nc);
      if (extra > 0) notes.push(`${extra} presences beyond one available and one unavailable per contact and login`);
      return {
        metrics: [
          { id: "cpu_per_login_ms", label: `server CPU per login with ${nc} online contacts`, value: loginCpu / logins, unit: "ms", kind: "cpu", headline: true, target: { max: 10 } },
          { id: "cpu_per_logout_ms", label: "server CPU per logout (unavailable to every contact, stream closed)", value: logoutCpu / logins, unit: "ms", kind: "cpu" },
          { id: "cpu_per_cycle_ms", label: "server CPU per login and logout, whole phase", value: total.serverCpuMs / logins, unit: "ms", kind: "cpu" },
          { id: "logins_per_s", label: "logins per second (one at a time)", value: logins / (loginWall / 1000), unit: "/s", kind: "wall" },
          { id: "login_p50_ms", label: "login p50 (connect to every presence exchanged)", value: p50!, unit: "ms", kind: "wall" },
          { id: "login_p99_ms", label: "login p99", value: p99!, unit: "ms", kind: "wall" },
          { id: "login_max_ms", label: "login max", value: latency.max(), unit: "ms", kind: "wall" },
          { id: "client_cpu_per_login_ms", label: "load generator CPU per login", value: loginClient / logins, unit: "ms", kind: "client" },
          { id: "logins", label: "logins measured", value: logins, unit: "", kind: "info" },
          { id: "presences", label: "presences per login (to the hub, and from it to the contacts)", value: 2 * nc, unit: "", kind: "info" },
        ],
        lost,
        errors: 0,
        notes,
      };
    } finally {
      await closeSessions([...hubs, ...contacts]);
    }
  },
};
