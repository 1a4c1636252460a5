/**
 * Shared pieces of the browser-transport tests: a test server with HTTP and HTTPS listeners, a raw WebSocket
 * client that reads one element per message, and raw BOSH requests.
 */
import http from "node:http";
import https from "node:https";
import type { Element } from "ltx";
import { parse } from "ltx";
import { WebSocket } from "ws";
import type { RawClient } from "../helpers/raw-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

export interface WebTestServer extends TestServer {
  http: number;
  https: number;
}

/**
 * The usual test listeners (STARTTLS, Direct TLS, plaintext TCP: indices 0-2, as startTestServer expects) plus
 * HTTP and HTTPS on 127.0.0.1. `web` sets options of both web listeners, `each` of one of them; `overrides`
 * replaces top-level config keys.
 */
export async function startWebServer(
  web: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
  each: { http?: Record<string, unknown>; https?: Record<string, unknown> } = {},
  /** More listeners, after the five standard ones. */
  extraListeners: Record<string, unknown>[] = [],
): Promise<WebTestServer> {
  const srv = await startTestServer({
    listeners: [
      { kind: "c2s", port: 0, address: "127.0.0.1" },
      { kind: "c2s-tls", port: 0, address: "127.0.0.1" },
      { kind: "c2s", port: 0, address: "127.0.0.1", allowPlaintext: true },
      { kind: "http", port: 0, address: "127.0.0.1", ...web, ...each.http },
      { kind: "https", port: 0, address: "127.0.0.1", ...web, ...each.https },
      ...extraListeners,
    ],
    ...overrides,
  });
  return Object.assign(srv, { http: srv.server.listeners[3]!.port, https: srv.server.listeners[4]!.port });
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One HTTP(S) request with its own connection (no agent: hundreds may be open at once). */
export function request(url: string, o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<HttpResult> {
  const u = new URL(url);
  const lib = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(u, {
      method: o.method ?? "GET",
      headers: o.headers,
      agent: false,
      ...(u.protocol === "https:" ? { rejectUnauthorized: false, servername: "localhost" } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(o.body);
  });
}

export const NS_HTTPBIND = "http://jabber.org/protocol/httpbind";
export const NS_XBOSH = "urn:xmpp:xbosh";

/** POST one BOSH <body/> and parse the answer. */
export async function bosh(port: number, body: string, headers: Record<string, string> = {}, path = "/http-bind"): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; el: Element | null }> {
  const r = await request(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "Content-Type": "text/xml; charset=utf-8", ...headers },
    body,
  });
  let el: Element | null = null;
  try {
    el = r.text ? (parse(r.text) as Element) : null;
  } catch {
    el = null;
  }
  return { ...r, el };
}

/** A <body/> for a request: attributes given, payloads as XML text. */
export function boshBody(attrs: Record<string, string | number>, payload = ""): string {
  const a = Object.entries(attrs).map(([k, v]) => ` ${k}='${v}'`).join("");
  return `<body xmlns='${NS_HTTPBIND}' xmlns:xmpp='${NS_XBOSH}'${a}${payload ? `>${payload}</body>` : "/>"}`;
}

/** A raw XMPP-over-WebSocket client: what the test sends is one message; every message received is parsed. */
export class WsClient {
  private queue: Array<Element | string> = [];
  private waiters: Array<(m: Element | string | null) => void> = [];
  closeCode: number | null = null;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on("close", (code) => {
        this.closeCode = code;
        for (const w of this.waiters.splice(0)) w(null);
        resolve(code);
      });
    });
    ws.on("message", (data) => {
      const text = data.toString();
      let m: Element | string;
      try {
        m = parse(text) as Element;
      } catch {
        m = text;
      }
      const w = this.waiters.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
  }

  static connect(url: string, o: { protocols?: string[]; origin?: string; headers?: Record<string, string> } = {}): Promise<WsClient> {
    const ws = new WebSocket(url, o.protocols ?? ["xmpp"], {
      ...(o.origin ? { origin: o.origin } : {}),
      ...(o.headers ? { headers: o.headers } : {}),
      rejectUnauthorized: false,
    });
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new WsClient(ws)));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(data: string): void { this.ws.send(data); }

  /** The next message (an element, or the raw text when it did not parse), or null once closed. */
  next(timeoutMs = 5000): Promise<Element | string | null> {
    const q = this.queue.shift();
    if (q !== undefined) return Promise.resolve(q);
    if (this.closeCode !== null) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for a WebSocket message")), timeoutMs);
      this.waiters.push((m) => { clearTimeout(timer); resolve(m); });
    });
  }

  async nextElement(timeoutMs = 5000): Promise<Element | null> {
    const m = await this.next(timeoutMs);
    if (m === null) return null;
    if (typeof m === "string") throw new Error(`not XML: ${m}`);
    return m;
  }

  async open(to = "localhost"): Promise<{ open: Element; features: Element }> {
    this.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='${to}' version='1.0'/>`);
    const open = await this.nextElement();
    const features = await this.nextElement();
    if (!open || !features) throw new Error("closed while opening");
    return { open, features };
  }

  /** Every remaining message until the server closes the WebSocket. */
  async rest(timeoutMs = 5000): Promise<Array<Element | string>> {
    const all: Array<Element | string> = [];
    for (;;) {
      const m = await this.next(timeoutMs);
      if (m === null) return all;
      all.push(m);
    }
  }

  close(): void { this.ws.close(); }
}

/**
 * Everything a RawClient receives, for tests running at once: each waiter gets the first element matching its
 * predicate, received before or after it started waiting; nothing is taken from another waiter.
 */
export class Inbox {
  private readonly received: Element[] = [];
  private waiters: Array<{ pred: (el: Element) => boolean; resolve: (el: Element) => void }> = [];

  constructor(client: RawClient) {
    void (async () => {
      for (;;) {
        const el = await client.next(3_600_000).catch(() => null);
        if (!el) return;
        const w = this.waiters.find((x) => x.pred(el));
        if (w) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(el);
        } else {
          this.received.push(el);
        }
      }
    })();
  }

  wait(pred: (el: Element) => boolean, timeoutMs = 15_000): Promise<Element> {
    const i = this.received.findIndex(pred);
    if (i !== -1) return Promise.resolve(this.received.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve: (el: Element) => { clearTimeout(timer); resolve(el); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== waiter);
        reject(new Error("timed out waiting for a matching element"));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
