/**
 * Message archive (XEP-0313) paging: "open a chat, see the last page, scroll back page after page". One account
 * sends `history` messages to another (this fill is measured too: server CPU per message routed and archived in
 * both accounts' archives); then the sender queries its own archive, one query at a time: the last `page` messages
 * (RSM <before/> empty), then `scroll` older pages (RSM <before>first id</before>), `opens` times over; and as many
 * pages forward from the oldest message (RSM <after/>), the other end of the archive. Headline: server CPU per page.
 */
import type { XmppConn } from "../client/conn.js";
import { messageReader } from "../lib/chat.js";
import { closeSessions, openSessions, usualMechanism } from "../lib/sessions.js";
import { Samples, sleep } from "../lib/stats.js";
import type { Scenario } from "./types.js";

const NS_MAM = "urn:xmpp:mam:2";
const NS_RSM = "http://jabber.org/protocol/rsm";
const BATCH = 200;
const FILLER = "The quick brown fox jumps over the lazy dog; 0123456789.";

let queryNo = 0;

/** One archive query with RSM: the <first/> and <last/> ids of the page (undefined when empty) and the RSM <count/>. */
async function page(conn: XmppConn, rsm: string): Promise<{ first?: string; last?: string; count?: number }> {
  const id = `mam${++queryNo}`;
  conn.write(`<iq type='set' id='${id}'><query xmlns='${NS_MAM}' queryid='${id}'><set xmlns='${NS_RSM}'>${rsm}</set></query></iq>`);
  const r = await conn.iqResult(id);
  if (!r.ok) throw new Error(`archive query refused: ${r.text}`);
  const first = /<first\b[^>]*>([^<]+)<\/first>/.exec(r.text)?.[1];
  const last = /<last\b[^>]*>([^<]+)<\/last>/.exec(r.text)?.[1];
  const count = /<count>(\d+)<\/count>/.exec(r.text)?.[1];
  return { first, last, count: count === undefined ? undefined : Number(count) };
}

export const archivePage: Scenario = {
  id: "archive-page",
  title: "Archive pages",
  description: "`history` messages archived, then `opens` × (the last `page` messages + `scroll` older pages) and as many pages from the oldest end, one query at a time; server CPU per page and per archived message.",
  options: {
    history: { default: 20_000, quick: 2_000, help: "messages in the archive before querying" },
    page: { default: 20, help: "results per page (RSM <max/>)" },
    opens: { default: 50, quick: 10, help: "times the chat is opened (last page, then scrolling back)" },
    scroll: { default: 10, quick: 5, help: "older pages fetched after each last page" },
  },
  requires: ["mam"],
  timeoutSeconds: (o) => 120 + o.history! / 500 + (o.opens! * (o.scroll! + 1) * 2) / 50,

  async run(ctx) {
    const { history, page: size, opens, scroll } = ctx.opt as { history: number; page: number; opens: number; scroll: number };
    await ctx.users.ensure(2, ctx.server.domainFor(usualMechanism(ctx.server)));
    const { conns, failures } = await openSessions(ctx, { count: 2, endpoint: ctx.server.tcp, resourceOf: (i) => `archive${i}` });
    if (failures) {
      await closeSessions(conns);
      throw new Error("the two archive sessions could not log in");
    }
    const [a, b] = conns as [XmppConn, XmppConn];

    // Fill: batches of messages, each batch delivered before the next (the archive order is the send order).
    let received = 0;
    let wake: (() => void) | null = null;
    b.stream(messageReader((k) => {
      received += k;
      wake?.();
    }));
    const fill = ctx.meter();
    for (let sent = 0; sent < history; sent += BATCH) {
      const n = Math.min(BATCH, history - sent);
      let out = "";
      for (let j = 0; j < n; j++) out += `<message to='${b.jid}' type='chat' id='h${sent + j}'><body>${sent + j} ${FILLER}</body></message>`;
      a.write(out);
      const target = sent + n;
      while (received < target) {
        const arrived = new Promise<void>((r) => { wake = r; });
        const stalled = sleep(10_000).then(() => { throw new Error(`history fill stalled at ${received} of ${target} messages`); });
        await Promise.race([arrived, stalled]);
        wake = null;
      }
    }
    const filled = fill.stop();

    // Queries, one at a time: newest end (open + scroll back), then the oldest end (forward).
    const latency = new Samples();
    let pages = 0;
    let archived: number | undefined;
    const timed = async (rsm: string) => {
      const t0 = performance.now();
      const p = await page(a, rsm);
      latency.push(performance.now() - t0);
      pages++;
      archived ??= p.count;
      return p;
    };
    const m = ctx.meter();
    for (let o = 0; o < opens; o++) {
      let p = await timed(`<max>${size}</max><before/>`);
      for (let s = 0; s < scroll && p.first; s++) p = await timed(`<max>${size}</max><before>${p.first}</before>`);
    }
    const newestPages = pages;
    for (let o = 0; o < opens; o++) {
      let p = await timed(`<max>${size}</max>`);
      for (let s = 0; s < scroll && p.last; s++) p = await timed(`<max>${size}</max><after>${p.last}</after>`);
    }
    const q = m.stop();
    const [p50, p99] = latency.percentiles([50, 99]);

    await closeSessions([a, b]);
    await sleep(500);
    return {
      metrics: [
        { id: "cpu_per_page_us", label: "server CPU per archive page", value: (q.serverCpuMs * 1000) / pages, unit: "µs", kind: "cpu", headline: true },
        { id: "cpu_per_archived_msg_us", label: "server CPU per message routed and archived (sender's and recipient's archives)", value: (filled.serverCpuMs * 1000) / history, unit: "µs", kind: "cpu" },
        { id: "page_latency_p50_ms", label: "page query latency p50", value: p50!, unit: "ms", kind: "wall" },
        { id: "page_latency_p99_ms", label: "page query latency p99", value: p99!, unit: "ms", kind: "wall" },
        { id: "pages", label: "pages fetched (half from each end)", value: pages, unit: "", kind: "info" },
        { id: "newest_pages", label: "pages from the newest end", value: newestPages, unit: "", kind: "info" },
        { id: "archive_size", label: "messages in the sender's archive (RSM <count/>; earlier scenarios add theirs)", value: archived ?? NaN, unit: "", kind: "info" },
      ],
      lost: history - received,
      errors: 0,
      notes: [],
    };
  },
};
