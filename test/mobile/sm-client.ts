/**
 * A raw client that speaks XEP-0198 by hand for the mobile tests: it counts the stanzas it reads (its 'h'), answers
 * the server's <r/> when told to, and resumes sessions on new connections (plain TCP or Direct TLS).
 */
import type { Element } from "ltx";
import { RawClient } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";

export const NS_SM = "urn:xmpp:sm:3";
export const NS_CSI = "urn:xmpp:csi:0";

const STANZAS = new Set(["message", "presence", "iq"]);
const open = new Map<TestServer, RawClient[]>();
let seq = 0;

export interface ConnectOptions { tls?: boolean }

async function rawConnection(srv: TestServer, o: ConnectOptions): Promise<RawClient> {
  const c = o.tls ? await RawClient.connect(srv.ports.directTls, { tls: true }) : await RawClient.connect(srv.ports.plain);
  open.set(srv, [...(open.get(srv) ?? []), c]);
  return c;
}

/** Drop every connection the tests opened on the server, then stop it. */
export async function stopServer(srv: TestServer): Promise<void> {
  for (const c of open.get(srv) ?? []) c.destroy();
  open.delete(srv);
  await srv.stop();
}

/** SASL PLAIN and the stream restart; returns the features offered after authentication. */
export async function authenticate(c: RawClient, user: string, password: string): Promise<Element> {
  await c.open();
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${password}`).toString("base64")}</auth>`);
  const r = await c.next();
  if (r?.name !== "success") throw new Error(`login failed: ${r?.toString()}`);
  c.resetParser();
  return c.open();
}

export class SmClient {
  /** Stanzas read since stream management was enabled or the session resumed (this connection only). */
  readonly stanzas: Element[] = [];
  /** 'h': every stanza read since enabling, across connections (XEP-0198 §4). */
  h = 0;
  /** The server's <r/> requests seen. */
  requests = 0;
  /** Answer the server's <r/> at once. */
  autoAck = false;
  /** 'h' of the last <a/> the server sent. */
  serverH: number | null = null;
  counting = false;

  private constructor(readonly raw: RawClient) {}

  /** Log in as user/resource (bound, no presence). */
  static async login(srv: TestServer, user: string, resource: string, o: ConnectOptions = {}): Promise<SmClient> {
    const raw = await rawConnection(srv, o);
    await raw.login(user, "pw", resource);
    return new SmClient(raw);
  }

  /** A new connection, authenticated, nothing bound: ready for <resume/>. */
  static async authenticated(srv: TestServer, user: string, o: ConnectOptions = {}): Promise<{ client: SmClient; features: Element }> {
    const raw = await rawConnection(srv, o);
    const features = await authenticate(raw, user, "pw");
    return { client: new SmClient(raw), features };
  }

  send(data: string): void { this.raw.send(data); }

  /** <enable/>; returns <enabled/> (or <failed/>). */
  async enable(resume = true): Promise<Element> {
    this.send(`<enable xmlns='${NS_SM}'${resume ? " resume='true'" : ""}/>`);
    const r = await this.raw.until((el) => el.name === "enabled" || el.name === "failed");
    if (r.name === "enabled") this.counting = true;
    return r;
  }

  /** <resume previd h/> carrying on from `previous` (its 'h'); returns <resumed/> or <failed/>. */
  async resume(previd: string, h: number): Promise<Element> {
    this.send(`<resume xmlns='${NS_SM}' previd='${previd}' h='${h}'/>`);
    const r = await this.raw.until((el) => el.name === "resumed" || el.name === "failed");
    if (r.name === "resumed") { this.counting = true; this.h = h; }
    return r;
  }

  /**
   * The next element that is not a stream management request or ack: stanzas are counted; <r/> is answered when
   * `autoAck`; null when the connection closed.
   */
  async next(): Promise<Element | null> {
    for (;;) {
      const el = await this.raw.next();
      if (!el) return null;
      if (el.attrs.xmlns === NS_SM && el.name === "r") {
        this.requests++;
        if (this.autoAck) this.ack();
        continue;
      }
      if (el.attrs.xmlns === NS_SM && el.name === "a") {
        this.serverH = Number(el.attrs.h);
        continue;
      }
      if (this.counting && STANZAS.has(el.name)) { this.h++; this.stanzas.push(el); }
      return el;
    }
  }

  async until(pred: (el: Element) => boolean): Promise<Element> {
    for (;;) {
      const el = await this.next();
      if (!el) throw new Error("connection closed before the expected element");
      if (pred(el)) return el;
    }
  }

  /** The next <message/>. */
  message(): Promise<Element> { return this.until((el) => el.name === "message"); }

  /** Acknowledge everything read so far. */
  ack(): void { this.send(`<a xmlns='${NS_SM}' h='${this.h}'/>`); }

  /** An IQ round trip: everything sent before it has been handled when it returns. */
  async barrier(): Promise<void> {
    const id = `barrier-${++seq}`;
    this.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await this.until((el) => el.name === "iq" && el.attrs.id === id);
  }

  /** Ask the server for its count; returns it. */
  async serverCount(): Promise<number> {
    this.send(`<r xmlns='${NS_SM}'/>`);
    for (;;) {
      const el = await this.raw.next();
      if (!el) throw new Error("connection closed before <a/>");
      if (el.attrs.xmlns === NS_SM && el.name === "a") return Number(el.attrs.h);
      if (el.attrs.xmlns === NS_SM && el.name === "r") { this.requests++; if (this.autoAck) this.ack(); continue; }
      if (this.counting && STANZAS.has(el.name)) { this.h++; this.stanzas.push(el); }
    }
  }

  /** Kill the TCP connection without closing the stream (a phone losing its network). */
  kill(): void { this.raw.destroy(); }
}
