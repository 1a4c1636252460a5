/**
 * A raw client for IM tests: keeps everything the server sends in an inbox, so a test can wait for the
 * stanza it expects without losing the others, and check afterwards what did or did not arrive.
 *
 * "Did not arrive" is checked after a barrier, never after a delay: `sync()` does a roster get, which the
 * server runs in the account's queue after every roster or presence task queued before it, and whose result
 * is written to the socket after anything those tasks sent.
 */
import type { Element } from "ltx";
import { RawClient } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";

export const NS_ROSTER = "jabber:iq:roster";

let seq = 0;
const nextId = (p: string) => `${p}${++seq}`;

interface Waiter { pred: (el: Element) => boolean; resolve: (el: Element) => void }

export class ImClient {
  readonly inbox: Element[] = [];
  private waiters: Waiter[] = [];
  private closed = false;
  private readonly order = new WeakMap<Element, number>();
  private received_ = 0;

  private constructor(readonly raw: RawClient, readonly jid: string) {
    void this.pump();
  }

  get bare(): string { return this.jid.split("/")[0]!; }

  /** Log in on the plaintext listener; optionally request the roster and send initial presence. */
  static async login(srv: TestServer, user: string, resource: string, opts: { roster?: boolean; presence?: string | false } = {}): Promise<ImClient> {
    const raw = await RawClient.connect(srv.ports.plain);
    const jid = await raw.login(user, "pw", resource);
    const c = new ImClient(raw, jid);
    if (opts.roster ?? true) await c.roster();
    if (opts.presence !== false) c.send(opts.presence ?? "<presence/>");
    return c;
  }

  private static readonly open = new Set<ImClient>();

  /** Drop every connection still open (test.after.always: a failed test leaves its clients behind). */
  static destroyAll(): void {
    for (const c of ImClient.open) c.destroy();
  }

  private async pump(): Promise<void> {
    ImClient.open.add(this);
    for (;;) {
      // One read outstanding at a time, with no practical time limit: RawClient.next resolves null when the
      // connection closes, which also clears its timer.
      const el = await this.raw.next(2 ** 31 - 1);
      if (!el) { this.closed = true; ImClient.open.delete(this); return; }
      this.order.set(el, ++this.received_);
      const i = this.waiters.findIndex((w) => w.pred(el!));
      if (i === -1) this.inbox.push(el);
      else this.waiters.splice(i, 1)[0]!.resolve(el);
    }
  }

  send(data: string): void {
    this.raw.send(data);
  }

  /** The first stanza (already received or still to come) that matches; it is taken out of the inbox. */
  expect(pred: (el: Element) => boolean, what = "the expected stanza", timeoutMs = 8000): Promise<Element> {
    const i = this.inbox.findIndex(pred);
    if (i !== -1) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { pred, resolve: (el) => { clearTimeout(timer); resolve(el); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.jid}: timed out waiting for ${what}; inbox:\n${this.inbox.map(String).join("\n")}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** In which order a stanza arrived (1 for the first after login). */
  arrival(el: Element): number {
    return this.order.get(el) ?? 0;
  }

  /** Stanzas in the inbox that match (not removed). */
  received(pred: (el: Element) => boolean): Element[] {
    return this.inbox.filter(pred);
  }

  /** Remove matching stanzas from the inbox. */
  discard(pred: (el: Element) => boolean): void {
    for (let i = this.inbox.length - 1; i >= 0; i--) if (pred(this.inbox[i]!)) this.inbox.splice(i, 1);
  }

  /** Send an IQ (its id is filled in) and wait for the answer. */
  async iq(body: string): Promise<Element> {
    const id = nextId("iq");
    this.send(body.replace(/^<iq\b/, `<iq id='${id}'`));
    return this.expect((el) => el.name === "iq" && el.attrs.id === id && (el.attrs.type === "result" || el.attrs.type === "error"), `the answer to ${id}`);
  }

  /** Roster get (which also makes this resource "interested"); returns the <query/> or null for an empty result. */
  async roster(ver?: string): Promise<Element | null> {
    const r = await this.iq(`<iq type='get'><query xmlns='${NS_ROSTER}'${ver === undefined ? "" : ` ver='${ver}'`}/></iq>`);
    if (r.attrs.type !== "result") throw new Error(`roster get failed: ${r.toString()}`);
    return r.getChild("query", NS_ROSTER) ?? null;
  }

  /** The roster items as jid -> item. */
  async items(): Promise<Map<string, Element>> {
    const q = await this.roster();
    return new Map((q?.getChildren("item") ?? []).map((i) => [i.attrs.jid as string, i]));
  }

  /** Wait until every roster and presence task of this account queued so far has run (see the header). */
  async sync(): Promise<void> {
    await this.roster("0-0"); // a version that never matches: answered with the full roster
  }

  /** A roster set; returns the IQ answer. */
  rosterSet(item: string): Promise<Element> {
    return this.iq(`<iq type='set'><query xmlns='${NS_ROSTER}'>${item}</query></iq>`);
  }

  /** The next roster push for `contact` (answered with a result, as §2.1.6 asks of clients). */
  async push(contact: string, check?: (item: Element) => boolean): Promise<Element> {
    const iq = await this.expect((el) => {
      const item = el.name === "iq" && el.attrs.type === "set" ? el.getChild("query", NS_ROSTER)?.getChild("item") : undefined;
      return item?.attrs.jid === contact && (check?.(item) ?? true);
    }, `a roster push for ${contact}`);
    this.send(`<iq type='result' id='${iq.attrs.id}'/>`);
    return iq;
  }

  /** The next presence matching type (undefined = available) and sender. */
  presence(type: string | undefined, from: string, what?: string): Promise<Element> {
    return this.expect((el) => el.name === "presence" && el.attrs.type === type && el.attrs.from === from,
      what ?? `presence ${type ?? "available"} from ${from}`);
  }

  /** End the stream cleanly and wait for the server to close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.send("</stream:stream>");
    await this.raw.closed;
  }

  /** Drop the TCP connection without closing the stream. */
  destroy(): void {
    this.raw.destroy();
  }
}

export const isPresence = (type?: string, from?: string) => (el: Element) =>
  el.name === "presence" && el.attrs.type === type && (from === undefined || el.attrs.from === from);

export const isPushFor = (contact: string) => (el: Element) =>
  el.name === "iq" && el.attrs.type === "set" && el.getChild("query", NS_ROSTER)?.getChild("item")?.attrs.jid === contact;

/** Make `a` and `b` subscribed to each other's presence (the §3.1 handshake both ways), pushes consumed. */
export async function mutual(a: ImClient, b: ImClient): Promise<void> {
  for (const [x, y] of [[a, b], [b, a]] as const) {
    x.send(`<presence to='${y.bare}' type='subscribe'/>`);
    await y.presence("subscribe", x.bare);
    y.send(`<presence to='${x.bare}' type='subscribed'/>`);
    await x.presence("subscribed", y.bare);
  }
  await a.push(b.bare, (i) => i.attrs.subscription === "both");
  await b.push(a.bare, (i) => i.attrs.subscription === "both");
  // Forget the pushes of the way there.
  a.discard(isPushFor(b.bare));
  b.discard(isPushFor(a.bare));
}
