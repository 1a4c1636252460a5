/**
 * A raw XMPP client for protocol tests: writes exactly the bytes a test gives and parses what the server
 * answers, so malformed input and exact server behaviour can be checked.
 */
import net from "node:net";
import tls from "node:tls";
import type { Element } from "ltx";
import { StreamParser } from "../../src/xml/parser.js";

export const HEADER = (to = "localhost") =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${to}' version='1.0'>`;

export class RawClient {
  private socket: net.Socket;
  private parser!: StreamParser;
  private queue: Element[] = [];
  private waiters: Array<(el: Element | null) => void> = [];
  header: Record<string, string> | null = null;
  closedByServer = false;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.resetParser();
    this.closed = new Promise((resolve) => {
      socket.on("close", () => { this.closedByServer = true; this.flushWaiters(); resolve(); });
    });
    socket.on("error", () => {});
    this.listen(socket);
  }

  static connect(port: number, opts: { tls?: boolean } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = opts.tls
        ? tls.connect({ port, host: "127.0.0.1", servername: "localhost", rejectUnauthorized: false, ALPNProtocols: ["xmpp-client"] }, () => resolve(new RawClient(s)))
        : net.connect({ port, host: "127.0.0.1" }, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  private listen(socket: net.Socket): void {
    socket.on("data", (d) => this.parser.write(d));
  }

  /** The TLS socket once encrypted (for channel binding data). */
  get tlsSocket(): tls.TLSSocket | null {
    return this.socket instanceof tls.TLSSocket ? this.socket : null;
  }

  /** Negotiate STARTTLS (the features must have been read) and restart the stream; returns the new features. */
  async starttls(): Promise<Element> {
    this.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    const proceed = await this.next();
    if (proceed?.name !== "proceed") throw new Error(`STARTTLS refused: ${proceed?.toString()}`);
    const plain = this.socket;
    plain.removeAllListeners("data");
    const secure = tls.connect({ socket: plain, servername: "localhost", rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => { secure.once("secureConnect", resolve); secure.once("error", reject); });
    secure.on("error", () => {});
    this.socket = secure;
    this.resetParser();
    this.listen(secure);
    return this.open();
  }

  resetParser(): void {
    this.parser = new StreamParser({
      streamOpen: (_n, attrs) => { this.header = attrs; },
      element: (el) => { const w = this.waiters.shift(); if (w) w(el); else this.queue.push(el); },
      streamClose: () => {},
      error: () => {},
    }, { maxStanzaBytes: 10 * 1024 * 1024, maxDepth: 100, maxAttributes: 100 });
  }

  private flushWaiters(): void {
    for (const w of this.waiters.splice(0)) w(null);
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next element from the server, or null when the connection closes first. */
  next(timeoutMs = 5000): Promise<Element | null> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedByServer) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for an element")), timeoutMs);
      this.waiters.push((el) => { clearTimeout(timer); resolve(el); });
    });
  }

  /** Read elements until one matches (others are discarded). */
  async until(pred: (el: Element) => boolean, timeoutMs = 5000): Promise<Element> {
    for (;;) {
      const el = await this.next(timeoutMs);
      if (!el) throw new Error("connection closed before the expected element");
      if (pred(el)) return el;
    }
  }

  /** The condition of the stream error the server sent before closing, or null. */
  async streamError(timeoutMs = 5000): Promise<string | null> {
    for (;;) {
      const el = await this.next(timeoutMs);
      if (!el) return null;
      if (el.name === "stream:error") return el.getChildElements()[0]?.name ?? "";
    }
  }

  /** Open the stream and read the features. */
  async open(to = "localhost"): Promise<Element> {
    this.send(HEADER(to));
    return this.until((el) => el.name === "stream:features");
  }

  /** Log in with PLAIN over a plaintext listener and bind a resource; returns the bound JID. */
  async login(user: string, password: string, resource = "raw"): Promise<string> {
    await this.open();
    const auth = Buffer.from(`\0${user}\0${password}`).toString("base64");
    this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`);
    const r = await this.next();
    if (r?.name !== "success") throw new Error(`login failed: ${r?.toString()}`);
    this.resetParser();
    await this.open();
    this.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const bound = await this.until((el) => el.name === "iq" && el.attrs.id === "bind1");
    return bound.getChild("bind")!.getChildText("jid")!;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
