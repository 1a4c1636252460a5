/**
 * A raw client for PEP tests that behaves like a real one where PEP depends on it: its presence carries
 * XEP-0115 caps whose hash covers the "+notify" features it is given, and it answers the server's disco#info
 * questions about them (XEP-0163 §4.2). Everything else the server sends stays in an inbox, so a test can wait
 * for what it expects and check afterwards, after a barrier (`sync`), what did not arrive.
 */
import type { Element } from "ltx";
import { capsVer } from "../../xeps/0115-caps/ver.js";
import { RawClient } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";

export const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
export const NS_PUBSUB_OWNER = "http://jabber.org/protocol/pubsub#owner";
export const NS_EVENT = "http://jabber.org/protocol/pubsub#event";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_ROSTER = "jabber:iq:roster";
const CAPS_NODE = "https://palaver.test/client";

let seq = 0;
interface Waiter { pred: (el: Element) => boolean; resolve: (el: Element) => void }

export interface LoginOptions {
  /** Nodes this client wants notifications for ("+notify" features in its caps). */
  notify?: string[];
  /** Send initial presence (default true). */
  presence?: boolean;
}

export class PepClient {
  readonly inbox: Element[] = [];
  private waiters: Waiter[] = [];
  private closed = false;
  /** disco#info questions the server asked this client. */
  discoQuestions = 0;
  features: string[] = [];
  ver = "";
  private static readonly open = new Set<PepClient>();

  private constructor(readonly raw: RawClient, readonly jid: string, notify: string[]) {
    this.want(notify);
    PepClient.open.add(this);
    void this.pump();
  }

  get bare(): string { return this.jid.split("/")[0]!; }

  static async login(srv: TestServer, user: string, resource: string, opts: LoginOptions = {}): Promise<PepClient> {
    const raw = await RawClient.connect(srv.ports.plain);
    const jid = await raw.login(user, "pw", resource);
    const c = new PepClient(raw, jid, opts.notify ?? []);
    await c.iq(`<iq type='get'><query xmlns='${NS_ROSTER}'/></iq>`);
    if (opts.presence ?? true) c.send(c.presenceXml());
    return c;
  }

  static destroyAll(): void {
    for (const c of PepClient.open) c.destroy();
  }

  /** Change the nodes this client wants (its features, and so its caps); send presence to announce it. */
  want(notify: string[]): void {
    this.features = ["http://jabber.org/protocol/caps", NS_DISCO_INFO, ...notify.map((n) => `${n}+notify`)];
    this.ver = capsVer([{ category: "client", type: "pc", name: "pep-test" }], this.features);
  }

  /** Available presence with this client's caps. */
  presenceXml(extra = ""): string {
    return `<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='${CAPS_NODE}' ver='${this.ver}'/>${extra}</presence>`;
  }

  private async pump(): Promise<void> {
    for (;;) {
      const el = await this.raw.next(2 ** 31 - 1);
      if (!el) { this.closed = true; PepClient.open.delete(this); this.flush(); return; }
      if (this.answer(el)) continue;
      const i = this.waiters.findIndex((w) => w.pred(el));
      if (i === -1) this.inbox.push(el);
      else this.waiters.splice(i, 1)[0]!.resolve(el);
    }
  }

  private flush(): void {
    this.waiters = [];
  }

  /** XEP-0115 §6.2: answer the server's question about our caps node. */
  private answer(el: Element): boolean {
    const q = el.name === "iq" && el.attrs.type === "get" ? el.getChild("query", NS_DISCO_INFO) : undefined;
    if (!q) return false;
    this.discoQuestions++;
    const features = this.features.map((f) => `<feature var='${f}'/>`).join("");
    this.send(`<iq type='result' id='${el.attrs.id}' to='${el.attrs.from}'><query xmlns='${NS_DISCO_INFO}' node='${q.attrs.node ?? ""}'><identity category='client' type='pc' name='pep-test'/>${features}</query></iq>`);
    return true;
  }

  send(data: string): void {
    this.raw.send(data);
  }

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

  received(pred: (el: Element) => boolean): Element[] {
    return this.inbox.filter(pred);
  }

  discard(pred: (el: Element) => boolean): void {
    for (let i = this.inbox.length - 1; i >= 0; i--) if (pred(this.inbox[i]!)) this.inbox.splice(i, 1);
  }

  async iq(body: string): Promise<Element> {
    const id = `pq${++seq}`;
    this.send(body.replace(/^<iq\b/, `<iq id='${id}'`));
    return this.expect((el) => el.name === "iq" && el.attrs.id === id && (el.attrs.type === "result" || el.attrs.type === "error"), `the answer to ${id}`);
  }

  /** A pubsub request (user namespace) to `to` (default: the account itself). */
  pubsub(type: "get" | "set", inner: string, to?: string): Promise<Element> {
    return this.iq(`<iq type='${type}'${to ? ` to='${to}'` : ""}><pubsub xmlns='${NS_PUBSUB}'>${inner}</pubsub></iq>`);
  }

  owner(type: "get" | "set", inner: string, to?: string): Promise<Element> {
    return this.iq(`<iq type='${type}'${to ? ` to='${to}'` : ""}><pubsub xmlns='${NS_PUBSUB_OWNER}'>${inner}</pubsub></iq>`);
  }

  /** Publish one item; `options` are publish-options fields (var -> value). */
  publish(node: string, payload: string, o: { id?: string; options?: Record<string, string>; to?: string } = {}): Promise<Element> {
    const options = o.options
      ? `<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>${
        Object.entries(o.options).map(([k, v]) => `<field var='${k}'><value>${v}</value></field>`).join("")}</x></publish-options>`
      : "";
    return this.pubsub("set", `<publish node='${node}'><item${o.id ? ` id='${o.id}'` : ""}>${payload}</item></publish>${options}`, o.to);
  }

  /** Items of a node of `to` (default: own). */
  async items(node: string, to?: string, extra = ""): Promise<Element> {
    return this.pubsub("get", `<items node='${node}'${extra}/>`, to);
  }

  /** The next PEP notification from `from` about `node` (optionally matching `pred`). */
  event(from: string, node: string, pred: (items: Element) => boolean = () => true, what?: string): Promise<Element> {
    return this.expect((el) => {
      const items = el.name === "message" ? el.getChild("event", NS_EVENT)?.getChild("items") : undefined;
      return el.attrs.from === from && items?.attrs.node === node && pred(items);
    }, what ?? `a notification from ${from} about ${node}`);
  }

  /** Notifications about `node` in the inbox (not removed). */
  events(node: string, from?: string): Element[] {
    return this.received((el) => el.name === "message" && el.getChild("event", NS_EVENT)?.getChild("items")?.attrs.node === node && (from === undefined || el.attrs.from === from));
  }

  presence(type: string | undefined, from: string): Promise<Element> {
    return this.expect((el) => el.name === "presence" && el.attrs.type === type && el.attrs.from === from, `presence ${type ?? "available"} from ${from}`);
  }

  /**
   * A barrier: a roster get is answered after what the account's queues hold, and a pubsub request to the
   * account after every earlier notification of its own service was handed to the router.
   */
  async sync(): Promise<void> {
    await this.iq(`<iq type='get'><query xmlns='${NS_ROSTER}' ver='0-0'/></iq>`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.send("</stream:stream>");
    await this.raw.closed;
  }

  destroy(): void {
    this.raw.destroy();
  }
}

/** The first item's payload of a notification or an items result. */
export const firstPayload = (parent: Element | undefined): Element | undefined => parent?.getChild("item")?.getChildElements()[0];

/** The condition of an IQ error, and its pubsub-specific condition. */
export const errorOf = (iq: Element): [string | undefined, string | undefined] => {
  const els = iq.getChild("error")?.getChildElements() ?? [];
  return [els.find((e) => e.attrs.xmlns === "urn:ietf:params:xml:ns:xmpp-stanzas" && e.name !== "text")?.name,
    els.find((e) => e.attrs.xmlns === "http://jabber.org/protocol/pubsub#errors")?.name];
};

/** Make `a` and `b` subscribed to each other's presence (RFC 6121 §3.1, both ways), roster pushes answered. */
export async function mutual(a: PepClient, b: PepClient): Promise<void> {
  const push = (c: PepClient, contact: string) => c.expect((el) => {
    const item = el.name === "iq" && el.attrs.type === "set" ? el.getChild("query", NS_ROSTER)?.getChild("item") : undefined;
    return item?.attrs.jid === contact && item.attrs.subscription === "both";
  }, `subscription both with ${contact}`);
  for (const [x, y] of [[a, b], [b, a]] as const) {
    x.send(`<presence to='${y.bare}' type='subscribe'/>`);
    await y.presence("subscribe", x.bare);
    y.send(`<presence to='${x.bare}' type='subscribed'/>`);
    await x.presence("subscribed", y.bare);
  }
  await push(a, b.bare);
  await push(b, a.bare);
  for (const c of [a, b]) c.discard((el) => el.name === "iq" && el.attrs.type === "set" && !!el.getChild("query", NS_ROSTER));
}
