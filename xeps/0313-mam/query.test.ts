/** Running queries against a real (in-memory) archive store: RSM mapping, flip-page, ids, full-JID `with`, metadata. */
import test, { type ExecutionContext } from "ava";
import type { Element } from "ltx";
import parse from "ltx/lib/parse.js";
import { jid } from "../../src/jid.js";
import { createLogger, type Logger } from "../../src/log.js";
import { openSqliteStorage } from "../../src/storage/sqlite/index.js";
import type { ArchiveStore } from "../../src/storage/types.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import type { MamQuery } from "./form.js";
import { archiveMetadata, MAX_IDS, runArchiveQuery } from "./query.js";

const OWNER = "alice@example.org";
const T0 = Date.UTC(2026, 0, 1);
const log = createLogger({ test: "mam-query" });

/** Who sent message i: Bob from two resources and Carol, in a fixed pattern; Alice answers every fifth. */
function party(i: number): { from: string; to: string } {
  if (i % 5 === 4) return { from: `${OWNER}/phone`, to: "bob@example.org/laptop" };
  const from = ["bob@example.org/laptop", "bob@example.org/phone", "carol@example.org/pc", "bob@example.org/laptop"][i % 5]!;
  return { from, to: `${OWNER}/phone` };
}

async function filled(n: number): Promise<{ store: ArchiveStore; ids: string[] }> {
  const storage = openSqliteStorage(":memory:");
  const store = storage.archive("mam/archive");
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { from, to } = party(i);
    const other = from.startsWith(OWNER) ? to : from;
    ids.push(await store.append(OWNER, {
      when: T0 + i * 1000, with: jid(other).bare, text: `message ${i}`,
      value: `<message from="${from}" to="${to}" type="chat" id="m${i}"><body>message ${i}</body></message>`,
    }));
  }
  return { store, ids };
}

interface Run { sent: Element[]; fin: Element; nums: number[] }

async function run(t: ExecutionContext, store: ArchiveStore, q: Omit<MamQuery, "flip"> & { flip?: boolean }, limits = { pageSize: 5, maxPageSize: 10 }): Promise<Run> {
  const sent: Element[] = [];
  const r = await runArchiveQuery({ store, owner: OWNER, ...limits, to: `${OWNER}/phone`, send: (m) => sent.push(m), log }, { flip: false, ...q });
  if (r instanceof StanzaError) throw new Error(`query failed: ${r.condition}`);
  t.is(r.name, "fin");
  const nums = sent.map((m) => Number(/message (\d+)/.exec(m.toString())![1]));
  return { sent, fin: r, nums };
}

async function error(store: ArchiveStore, q: Omit<MamQuery, "flip">): Promise<string> {
  const sent: Element[] = [];
  const r = await runArchiveQuery({ store, owner: OWNER, pageSize: 5, maxPageSize: 10, to: `${OWNER}/phone`, send: (m) => sent.push(m), log }, { flip: false, ...q });
  if (!(r instanceof StanzaError)) throw new Error("expected an error");
  if (sent.length > 0) throw new Error("results were sent before an error");
  return r.condition;
}

const set = (fin: Element) => fin.getChild("set", "http://jabber.org/protocol/rsm")!;
const first = (fin: Element) => set(fin).getChild("first");
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

test("result messages: §4.1.7 shape, queryid, XEP-0297 forwarded with a XEP-0203 delay, from as addressed", async (t) => {
  const { store, ids } = await filled(2);
  const sent: Element[] = [];
  await runArchiveQuery({ store, owner: OWNER, pageSize: 5, maxPageSize: 10, from: OWNER, to: `${OWNER}/phone`, send: (m) => sent.push(m), log },
    { flip: false, queryid: "f27" });
  const m = sent[1]!;
  t.is(m.name, "message");
  t.is(m.attrs.to, `${OWNER}/phone`);
  t.is(m.attrs.from, OWNER);
  const result = m.getChild("result", "urn:xmpp:mam:2")!;
  t.is(result.attrs.queryid, "f27");
  t.is(result.attrs.id, ids[1]);
  const fwd = result.getChild("forwarded", "urn:xmpp:forward:0")!;
  t.is(fwd.getChild("delay", "urn:xmpp:delay")!.attrs.stamp, "2026-01-01T00:00:01.000Z");
  const inner = fwd.getChild("message")!;
  t.is(inner.attrs.xmlns, "jabber:client");
  t.is(inner.attrs.id, "m1");
  t.is(inner.getChildText("body"), "message 1");
  const bare = await run(t, store, {});
  t.is(bare.sent[0]!.attrs.from, undefined, "no from when the query had no to");
  t.is(bare.sent[0]!.getChild("result")!.attrs.queryid, undefined);
});

test("RSM forward: default page size, capped maximum, first index 0 only on the first page, complete at the end", async (t) => {
  const { store, ids } = await filled(23);
  let p = await run(t, store, {});
  t.deepEqual(p.nums, range(0, 5), "pageSize when no <max/>");
  t.is(first(p.fin)!.attrs.index, "0");
  t.is(first(p.fin)!.getText(), ids[0]);
  t.is(set(p.fin).getChildText("last"), ids[4]);
  t.is(set(p.fin).getChildText("count"), "23");
  t.is(p.fin.attrs.complete, undefined);
  p = await run(t, store, { max: 1000 });
  t.deepEqual(p.nums, range(0, 10), "larger requests get maxPageSize");
  p = await run(t, store, { max: 10, after: ids[9] });
  t.deepEqual(p.nums, range(10, 20));
  t.is(first(p.fin)!.attrs.index, undefined);
  p = await run(t, store, { max: 10, after: ids[19] });
  t.deepEqual(p.nums, [20, 21, 22]);
  t.is(p.fin.attrs.complete, "true");
  p = await run(t, store, { max: 10, after: ids[22] });
  t.deepEqual(p.nums, []);
  t.is(p.fin.attrs.complete, "true");
  t.is(first(p.fin), undefined, "no first/last on an empty page (XEP-0059 §2.1)");
  t.is(set(p.fin).getChildText("count"), "23");
  p = await run(t, store, { max: 0 });
  t.deepEqual(p.nums, []);
  t.is(set(p.fin).getChildText("count"), "23", "max 0: the count only");
});

test("RSM backward: the last page with an empty <before/>, then older pages, complete at the start", async (t) => {
  const { store, ids } = await filled(12);
  let p = await run(t, store, { max: 5, before: "" });
  t.deepEqual(p.nums, range(7, 12), "chronological within the page");
  t.is(first(p.fin)!.attrs.index, undefined);
  t.is(p.fin.attrs.complete, undefined);
  p = await run(t, store, { max: 5, before: ids[7] });
  t.deepEqual(p.nums, range(2, 7));
  p = await run(t, store, { max: 5, before: ids[2] });
  t.deepEqual(p.nums, [0, 1]);
  t.is(p.fin.attrs.complete, "true");
  t.is(first(p.fin)!.attrs.index, "0", "the page reached the first item");
});

test("§4.2.4 flip-page: the same page in reverse order, first/last still the oldest and newest", async (t) => {
  const { store, ids } = await filled(12);
  const p = await run(t, store, { max: 4, before: "", flip: true });
  t.deepEqual(p.nums, [11, 10, 9, 8]);
  t.is(first(p.fin)!.getText(), ids[8]);
  t.is(set(p.fin).getChildText("last"), ids[11]);
});

test("§4.1.3 after-id/before-id bound the set and combine with RSM paging in both directions", async (t) => {
  const { store, ids } = await filled(30);
  let p = await run(t, store, { afterId: ids[3], beforeId: ids[20], max: 5 });
  t.deepEqual(p.nums, range(4, 9));
  t.is(set(p.fin).getChildText("count"), "16");
  p = await run(t, store, { afterId: ids[3], beforeId: ids[20], max: 5, after: ids[15] });
  t.deepEqual(p.nums, range(16, 20));
  t.is(p.fin.attrs.complete, "true");
  p = await run(t, store, { afterId: ids[3], beforeId: ids[20], max: 5, before: "" });
  t.deepEqual(p.nums, range(15, 20));
  t.is(await error(store, { afterId: "nope" }), "item-not-found");
  t.is(await error(store, { beforeId: "nope" }), "item-not-found");
  t.is(await error(store, { after: "nope" }), "item-not-found");
  t.is(await error(store, { before: "nope" }), "item-not-found");
});

test("§4.1.4 ids: those asked for, in archive order; one unknown id is item-not-found; too many is refused", async (t) => {
  const { store, ids } = await filled(10);
  const p = await run(t, store, { ids: [ids[7]!, ids[2]!, ids[2]!] });
  t.deepEqual(p.nums, [2, 7]);
  t.is(p.fin.attrs.complete, "true");
  t.is(await error(store, { ids: [ids[1]!, "no-such-id"] }), "item-not-found");
  t.is(await error(store, { ids: Array.from({ length: MAX_IDS + 1 }, (_, i) => `id${i}`) }), "policy-violation");
});

test("§4.1.1 with: a bare JID matches every resource; a full JID only messages to or from it, paged both ways across read chunks", async (t) => {
  const n = 700;
  const { store, ids } = await filled(n);
  const all = range(0, n);
  const bob = all.filter((i) => party(i).from.startsWith("bob@") || party(i).to.startsWith("bob@"));
  const laptop = all.filter((i) => party(i).from === "bob@example.org/laptop" || party(i).to === "bob@example.org/laptop");
  const bare = await run(t, store, { with: jid("bob@example.org"), max: 1000 }, { pageSize: 1000, maxPageSize: 1000 });
  t.deepEqual(bare.nums, bob);
  t.is(set(bare.fin).getChildText("count"), String(bob.length));

  const forward: number[] = [];
  let after: string | undefined;
  for (;;) {
    const p = await run(t, store, { with: jid("bob@example.org/laptop"), max: 100, after });
    forward.push(...p.nums);
    if (p.fin.attrs.complete === "true") break;
    after = set(p.fin).getChildText("last")!;
  }
  t.deepEqual(forward, laptop);

  const backward: number[] = [];
  let before = "";
  for (;;) {
    const p = await run(t, store, { with: jid("bob@example.org/laptop"), max: 100, before });
    backward.unshift(...p.nums);
    if (p.fin.attrs.complete === "true") break;
    before = set(p.fin).getChildText("first")!;
  }
  t.deepEqual(backward, laptop);

  const whole = await run(t, store, { with: jid("bob@example.org/laptop"), max: 1000 }, { pageSize: 1000, maxPageSize: 1000 });
  t.is(set(whole.fin).getChildText("count"), String(laptop.length), "counted when the whole set was read");
  const page = await run(t, store, { with: jid("bob@example.org/laptop"), max: 3, after: ids[100] });
  t.is(set(page.fin).getChildText("count"), null, "not counted when that would mean reading everything");
  const carol = await run(t, store, { with: jid("carol@example.org/elsewhere"), max: 5 });
  t.deepEqual(carol.nums, []);
  t.is(carol.fin.attrs.complete, "true");
});

test("with the account's own JID: only messages to oneself (§4.1.1)", async (t) => {
  const storage = openSqliteStorage(":memory:");
  const store = storage.archive("mam/archive");
  await store.append(OWNER, { with: "bob@example.org", value: `<message from="${OWNER}/phone" to="bob@example.org"><body>message 0</body></message>` });
  await store.append(OWNER, { with: OWNER, value: `<message from="${OWNER}/phone" to="${OWNER}/laptop"><body>message 1</body></message>` });
  await store.append(OWNER, { with: OWNER, value: `<message from="${OWNER}/tablet" to="${OWNER}"><body>message 2</body></message>` });
  t.deepEqual((await run(t, store, { with: jid(OWNER) })).nums, [1, 2]);
  t.deepEqual((await run(t, store, { with: jid(`${OWNER}/laptop`) })).nums, [1]);
});

test("full text (XEP-0431) combines with time bounds", async (t) => {
  const { store } = await filled(30);
  t.deepEqual((await run(t, store, { fulltext: "message 17" })).nums, [17]);
  t.deepEqual((await run(t, store, { fulltext: "message", start: T0 + 25_000, end: T0 + 27_000 })).nums, [25, 26, 27]);
  t.deepEqual((await run(t, store, { fulltext: "nothing" })).nums, []);
});

test("an item that cannot be read is sent without its message, in its place", async (t) => {
  const storage = openSqliteStorage(":memory:");
  const store = storage.archive("mam/archive");
  const id = await store.append(OWNER, { with: "bob@example.org", value: "<message><body>unclosed" });
  const sent: Element[] = [];
  const errors: unknown[] = [];
  const recording: Logger = { debug() {}, info() {}, warn() {}, error: (msg, fields) => errors.push({ msg, ...fields }), child: () => recording };
  await runArchiveQuery({ store, owner: OWNER, pageSize: 5, maxPageSize: 10, to: `${OWNER}/phone`, send: (m) => sent.push(m), log: recording }, { flip: false });
  t.like(errors, [{ owner: OWNER, id }], "logged");
  t.is(sent.length, 1);
  const fwd = sent[0]!.getChild("result")!.getChild("forwarded")!;
  t.is(sent[0]!.getChild("result")!.attrs.id, id);
  t.truthy(fwd.getChild("delay"));
  t.is(fwd.getChild("message"), undefined);
});

test("§5 metadata: empty for an empty archive, else the first and last ids and times", async (t) => {
  const { store, ids } = await filled(4);
  const meta = await archiveMetadata(store, OWNER);
  t.deepEqual(meta.getChild("start")!.attrs, { id: ids[0], timestamp: "2026-01-01T00:00:00.000Z" });
  t.deepEqual(meta.getChild("end")!.attrs, { id: ids[3], timestamp: "2026-01-01T00:00:03.000Z" });
  const empty = await archiveMetadata(store, "nobody@example.org");
  t.is(empty.toString(), `<metadata xmlns="urn:xmpp:mam:2"/>`);
  t.is(parse(empty.toString()).children.length, 0);
});
