/**
 * A raw server-to-server peer for protocol tests: it writes exactly what a test gives (jabber:server stream,
 * dialback, STARTTLS as TLS client with or without a certificate) and parses what the server answers, so
 * misbehaving peers can be played precisely.
 */
import net from "node:net";
import tls from "node:tls";
import type { Element } from "ltx";
import { StreamParser } from "../../src/xml/parser.js";

export class RawPeer {
  private socket: net.Socket;
  private parser!: StreamParser;
  private readonly queue: Element[] = [];
  private waiters: Array<(el: Element | null) => void> = [];
  /** The server's latest stream header. */
  header: Record<string, string> | null = null;
  private headerWaiters: Array<(h: Record<string, string> | null) => void> = [];
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.resetParser();
    socket.on("close", () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
      for (const w of this.headerWaiters.splice(0)) w(null);
    });
    socket.on("error", () => {});
    socket.on("data", (d) => this.parser.write(d));
  }

  static connect(host: string, port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new RawPeer(s)));
      s.once("error", reject);
    });
  }

  private resetParser(): void {
    this.parser = new StreamParser({
      streamOpen: (_n, attrs) => { this.header = attrs; for (const w of this.headerWaiters.splice(0)) w(attrs); },
      element: (el) => { const w = this.waiters.shift(); if (w) w(el); else this.queue.push(el); },
      streamClose: () => {},
      error: () => {},
    }, { maxStanzaBytes: 1024 * 1024, maxDepth: 100, maxAttributes: 100 });
  }

  /** The server's stream header (for streams without features, such as XEP-0114), or null if it closes first. */
  nextHeader(): Promise<Record<string, string> | null> {
    if (this.header) return Promise.resolve(this.header);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.headerWaiters.push(resolve));
  }

  send(data: string): void {
    this.socket.write(data);
  }

  next(timeoutMs = 10_000): Promise<Element | null> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for an element")), timeoutMs);
      this.waiters.push((el) => { clearTimeout(timer); resolve(el); });
    });
  }

  async until(pred: (el: Element) => boolean, timeoutMs = 10_000): Promise<Element> {
    for (;;) {
      const el = await this.next(timeoutMs);
      if (!el) throw new Error("connection closed before the expected element");
      if (pred(el)) return el;
    }
  }

  /** The condition of the stream error the server sends before closing, or null if it just closes. */
  async streamError(timeoutMs = 15_000): Promise<string | null> {
    for (;;) {
      const el = await this.next(timeoutMs);
      if (!el) return null;
      if (el.name === "stream:error") return el.getChildElements()[0]?.name ?? "";
    }
  }

  /** Open a stream as `from` to `to` and read the features. */
  async open(from: string, to: string): Promise<Element> {
    this.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' ` +
      `xmlns:stream='http://etherx.jabber.org/streams' from='${from}' to='${to}' version='1.0'>`);
    return this.until((el) => el.name === "stream:features");
  }

  /** STARTTLS as the TLS client (presenting `cert` when given), then reopen the stream; returns the new features. */
  async starttls(from: string, to: string, cert?: { cert: string; key: string }): Promise<Element> {
    this.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    const proceed = await this.next();
    if (proceed?.name !== "proceed") throw new Error(`STARTTLS refused: ${proceed?.toString()}`);
    const plain = this.socket;
    plain.removeAllListeners("data");
    const secure = tls.connect({ socket: plain, servername: to, rejectUnauthorized: false, ...(cert ?? {}) });
    await new Promise<void>((resolve, reject) => { secure.once("secureConnect", resolve); secure.once("error", reject); });
    secure.on("error", () => {});
    secure.on("data", (d) => this.parser.write(d));
    this.socket = secure;
    this.resetParser();
    return this.open(from, to);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The mechanisms a features element offers. */
export function mechanismsOf(features: Element): string[] {
  return features.getChild("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl")?.getChildren("mechanism").map((m) => m.getText()) ?? [];
}
