/**
 * Message archive (XEP-0313) paging: "open a chat, see the last page, scroll back page after page", in a large
 * archive. Two accounts of a group of their own (so the archive holds exactly this scenario's messages): one sends
 * `history` messages to the other, `window` in flight, each delivery letting one more go (as fast as the server
 * takes them; one sender on one stream, so the archive order is the send order). This fill is measured too: server
 * CPU per message routed and archived in both parties' archives. A server too slow to fill the archive in
 * `fillSeconds` stops there (said in the notes), and is queried with what it has.
 *
 * Then the sender queries its own archive, one query at a time: the last `page` messages (RSM <before/> empty),
 * then `scroll` older pages (RSM <before>first id</before>), `opens` times over; and as many pages forward from the
 * oldest message (RSM <after>), the other end of the archive. Every page is checked: the message bodies carry
 * their send order, so the n-th page from either end must hold exactly the messages it should. Headline: server
 * CPU per page; latency per page query (wall) against the target.
 */
import type { XmppConn } from "../client/conn.js";
import { messageReader } from "../lib/chat.js";
import { closeSessions, openSessions, usualMechanism } from "../lib/sessions.js";
import { Samples, sleep } from "../lib/stats.js";
import type { Scenario } from "./types.js";

const NS_MAM = "urn:xmpp:mam:2";
const NS_RSM = "http://jabber.org/protocol/rsm";
/** The scenario's own accounts: mam0 sends, mam1 receives. */
const PREFIX = "mam";
const FILLER = "The quick brown fox jumps over the lazy dog; 0123456789.";
const STALL_MS = 60_000;

interface Page { first?: string; last?: string; count?: number; bodies: number[] }

/** Archive queries on a connection, one at a time: results (messages) and then the IQ result that ends them. */
class Archive {
  private buf = "";
  private pending: { re: RegExp; resolve: (p: Page) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private n = 0;

  constructor(private readonly conn: XmppConn) {
    conn.stream((text) => {
      this.buf += text;
      this.check();
    });
  }

  private check(): void {
    const p = this.pending;
    if (!p) return;
    const m = p.re.exec(this.buf);
    if (!m) return;
    const results = this.buf.slice(0, m.index);
    const iq = m[0];
    this.buf = this.buf.slice(m.index + iq.length);
    this.pending = null;
    clearTimeout(p.timer);
    if (!/^<iq\b[^>]*\btype=['"]result['"]/.test(iq)) return p.reject(new Error(`archive query refused: ${iq.slice(0, 300)}`));
    const bodies: number[] = [];
    for (const b of results.matchAll(/<body>(\d+) /g)) bodies.push(Number(b[1]));
    const count = /<count>(\d+)<\/count>/.exec(iq)?.[1];
    p.resolve({
      first: /<first\b[^>]*>([^<]+)<\/first>/.exec(iq)?.[1],
      last: /<last\b[^>]*>([^<]+)<\/last>/.exec(iq)?.[1],
      count: count === undefined ? undefined : Number(count),
      bodies,
    });
  }

  query(rsm: string): Promise<Page> {
    const id = `mam${++this.n}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending = null; reject(new Error(`archive query ${id} not answered in 60 s`)); }, 60_000);
      this.pending = { re: new RegExp(`<iq\\b[^>]*\\bid=['"]${id}['"][^>]*?(?:/>|>[\\s\\S]*?</iq>)`), resolve, reject, timer };
      this.conn.write(`<iq type='set' id='${id}'><query xmlns='${NS_MAM}' queryid='${id}'><set xmlns='${NS_RSM}'>${rsm}</set></query></iq>`);
    });
  }
}

/** Whether `bodies` are exactly from, from+1, ..., to-1 (a page holds its messages oldest first, §4.1.2). */
function isRange(bodies: number[], from: number, to: number): boolean {
  if (bodies.length !== to - from) return false;
  for (let i = 0; i < bodies.length; i++) if (bodies[i] !== from + i) return false;
  return true;
}

export const archivePage: Scenario = {
  id: "archive-page",
  title: "Archive pages",
  description: "`history` messages archived (one sender, `window` in flight; at most `fillSeconds`), then `opens` × (the last `page` messages + `scroll` older pages) and as many pages from the oldest end, one query at a time, each page checked; server CPU per page, page latency, server CPU per archived message.",
  options: {
    history: { default: 1_000_000, quick: 5_000, help: "messages in the archive before querying" },
    page: { default: 50, help: "results per page (RSM <max/>)" },
    opens: { default: 50, quick: 10, help: "times the chat is opened (last page, then scrolling back)" },
    scroll: { default: 10, quick: 5, help: "older pages fetched after each last page" },
    window: { default: 500, quick: 200, help: "messages in flight while filling the archive" },
    fillSeconds: { default: 900, quick: 300, help: "longest fill, in seconds; a slower server is queried with what it has" },
  },
  requires: ["mam"],
  timeoutSeconds: (o) => 300 + o.fillSeconds! + (o.opens! * (o.scroll! + 1) * 2) / 10,

  async run(ctx) {
    const { history, page: size, opens, scroll, window, fillSeconds } = ctx.opt as Record<string, number>;
    const domain = ctx.server.domainFor(usualMechanism(ctx.server));
    await ctx.users.ensure(2, domain, PREFIX);
    const { conns, failures } = await openSessions(ctx, { count: 2, endpoint: ctx.server.tcp, prefix: PREFIX, resourceOf: (i) => `archive${i}` });
    if (failures) {
      await closeSessions(conns);
      throw new Error("the two archive sessions could not log in");
    }
    const [a, b] = conns as [XmppConn, XmppConn];
    const notes: string[] = [];
    try {
      // Fill: one sender, `window` in flight, every delivery lets one more go (the refills of one read together).
      let sent = 0, received = 0, stopSending = false;
      const send = (k: number) => {
        let out = "";
        for (let j = 0; j < k && sent < history && !stopSending; j++, sent++) out += `<message to='${b.jid}' type='chat' id='h${sent}'><body>${sent} ${FILLER}</body></message>`;
        if (out) a.write(out);
      };
      let owed = 0;
      const refill = () => { const k = owed; owed = 0; send(k); };
      b.stream(messageReader((k) => {
        received += k;
        if (owed === 0) queueMicrotask(refill);
        owed += k;
      }));
      const fill = ctx.meter();
      const deadline = performance.now() + fillSeconds * 1000;
      let nextLog = 100_000;
      let progressAt = performance.now(), progressed = 0;
      send(window);
      while (received < sent || (sent < history && !stopSending)) {
        await sleep(100);
        const now = performance.now();
        if (received >= nextLog) { ctx.log(`  ${received} messages archived`); nextLog += 100_000; }
        if (!stopSending && now > deadline) {
          stopSending = true;
          notes.push(`the fill stopped after fillSeconds (${fillSeconds} s) at ${sent} of ${history} messages: the pages were read from that archive`);
        }
        if (received !== progressed) { progressed = received; progressAt = now; }
        else if (now - progressAt > STALL_MS) throw new Error(`the fill stalled at ${received} of ${sent} messages sent`);
      }
      const filled = fill.stop();
      const archived = sent;
      await sleep(2000); // archives written in batches are flushed; not measured

      // Queries, one at a time: newest end (open + scroll back), then the oldest end (forward).
      const archive = new Archive(a);
      const latency = new Samples();
      let pages = 0, wrong = 0, count: number | undefined;
      const timed = async (rsm: string, expectFrom: number, expectTo: number) => {
        const t0 = performance.now();
        const p = await archive.query(rsm);
        latency.push(performance.now() - t0);
        pages++;
        count ??= p.count;
        if (!isRange(p.bodies, Math.max(0, expectFrom), Math.min(archived, expectTo))) {
          if (wrong++ < 3) notes.push(`a page (${rsm}) held ${p.bodies.length} messages ${p.bodies[0]}..${p.bodies.at(-1)}, not ${Math.max(0, expectFrom)}..${Math.min(archived, expectTo) - 1}`);
        }
        return p;
      };
      const m = ctx.meter();
      for (let o = 0; o < opens; o++) {
        let p = await timed(`<max>${size}</max><before/>`, archived - size, archived);
        for (let s = 1; s <= scroll && p.first; s++) p = await timed(`<max>${size}</max><before>${p.first}</before>`, archived - (s + 1) * size, archived - s * size);
      }
      const newestPages = pages;
      for (let o = 0; o < opens; o++) {
        let p = await timed(`<max>${size}</max>`, 0, size);
        for (let s = 1; s <= scroll && p.last; s++) p = await timed(`<max>${size}</max><after>${p.last}</after>`, s * size, (s + 1) * size);
      }
      const q = m.stop();
      const [p50, p99] = latency.percentiles([50, 99]);
      if (count !== undefined && count !== archived) notes.push(`the server counts ${count} messages in the archive (RSM <count/>), not ${archived}`);
      if (wrong) notes.push(`${wrong} of ${pages} pages did not hold the messages expected`);
      return {
        metrics: [
          { id: "cpu_per_page_us", label: `server CPU per archive page (${size} messages)`, value: (q.serverCpuMs * 1000) / pages, unit: "µs", kind: "cpu", headline: true },
          { id: "page_latency_p50_ms", label: "page query latency p50", value: p50!, unit: "ms", kind: "wall" },
          { id: "page_latency_p99_ms", label: "page query latency p99", value: p99!, unit: "ms", kind: "wall", target: { max: 5 } },
          { id: "page_latency_max_ms", label: "page query latency max", value: latency.max(), unit: "ms", kind: "wall" },
          { id: "cpu_per_archived_msg_us", label: "server CPU per message routed and archived (sender's and recipient's archives), during the fill", value: (filled.serverCpuMs * 1000) / archived, unit: "µs", kind: "cpu" },
          { id: "fill_seconds", label: "fill time", value: filled.wallMs / 1000, unit: "s", kind: "wall" },
          { id: "fill_rate", label: "fill rate", value: archived / (filled.wallMs / 1000), unit: "msg/s", kind: "wall" },
          { id: "client_cpu_per_archived_msg_us", label: "load generator CPU per message during the fill", value: (filled.clientCpuMs * 1000) / archived, unit: "µs", kind: "client" },
          { id: "archive_size", label: "messages in the archive queried", value: archived, unit: "", kind: "info" },
          { id: "pages", label: "pages fetched (half from each end)", value: pages, unit: "", kind: "info" },
          { id: "newest_pages", label: "pages from the newest end", value: newestPages, unit: "", kind: "info" },
        ],
        lost: archived - received,
        errors: wrong,
        notes,
      };
    } finally {
      await closeSessions([a, b]);
      await sleep(500);
    }
  },
};
