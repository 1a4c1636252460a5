/**
 * One scripted client's connection: TCP (plaintext test listener), STARTTLS (RFC 6120 §5) or Direct TLS
 * (XEP-0368), stream opening, SASL PLAIN (RFC 6120 §6, RFC 4616) and resource binding (RFC 6120 §7). After
 * that, the script sends text and reads top-level elements one at a time with a bound on the wait.
 */
import net from "node:net";
import tls from "node:tls";
import type { Element } from "ltx";
import { StreamParser } from "../../src/xml/parser.js";
import type { Via } from "./script.js";

const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
const LIMITS = { maxStanzaBytes: 10 * 1024 * 1024, maxDepth: 100, maxAttributes: 200 };

export interface Endpoint {
  /** The server's domain (stream `to`, TLS server name). */
  domain: string;
  host: string;
  port: number;
  via: Via;
  /** PEM certificate(s) to trust for TLS; the server's certificate is verified against them. */
  ca?: string;
}

/** What the server sent next: an element, or the end of the stream (closing tag or connection closed). */
export type Incoming = { kind: "element"; el: Element } | { kind: "end"; how: "stream closed" | "connection closed" };

export class ConnectionError extends Error {}

export class Connection {
  private socket: net.Socket;
  private parser!: StreamParser;
  private queue: Incoming[] = [];
  private waiter: ((i: Incoming) => void) | null = null;
  private ended = false;
  /** The last stream header the server sent. */
  header: Record<string, string> | null = null;

  private constructor(socket: net.Socket, private readonly endpoint: Endpoint) {
    this.socket = socket;
    this.attach(socket);
  }

  static async open(endpoint: Endpoint): Promise<Connection> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = endpoint.via === "direct-tls"
        ? tls.connect({ host: endpoint.host, port: endpoint.port, servername: endpoint.domain, ca: endpoint.ca, ALPNProtocols: ["xmpp-client"] }, () => resolve(s))
        : net.connect({ host: endpoint.host, port: endpoint.port }, () => resolve(s));
      s.once("error", reject);
    });
    return new Connection(socket, endpoint);
  }

  private attach(socket: net.Socket): void {
    this.resetParser();
    socket.on("data", (d) => this.parser.write(d));
    socket.on("error", () => {});
    socket.on("close", () => this.push({ kind: "end", how: "connection closed" }));
  }

  private resetParser(): void {
    this.parser = new StreamParser({
      streamOpen: (_name, attrs) => { this.header = attrs; },
      element: (el) => this.push({ kind: "element", el }),
      streamClose: () => this.push({ kind: "end", how: "stream closed" }),
      error: (condition, text) => this.push({ kind: "end", how: "connection closed" }, `server sent bad XML (${condition}: ${text})`),
    }, LIMITS);
  }

  private push(item: Incoming, problem?: string): void {
    if (this.ended) return;
    if (item.kind === "end") this.ended = true;
    if (problem) this.socket.destroy(new Error(problem));
    const w = this.waiter;
    if (w) { this.waiter = null; w(item); } else this.queue.push(item);
  }

  get closed(): boolean { return this.ended && this.queue.length === 0; }

  /** Elements received and not yet read. */
  pending(): Element[] {
    return this.queue.flatMap((i) => (i.kind === "element" ? [i.el] : []));
  }

  /** Put an element back at the front, to be read again. */
  requeue(el: Element): void {
    this.queue.unshift({ kind: "element", el });
  }

  send(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  /** The next thing from the server, or null when nothing came within `ms`. */
  next(ms: number): Promise<Incoming | null> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.resolve({ kind: "end", how: "connection closed" });
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiter = null; resolve(null); }, ms);
      this.waiter = (i) => { clearTimeout(timer); resolve(i); };
    });
  }

  private async expectElement(ms: number, what: string): Promise<Element> {
    const i = await this.next(ms);
    if (!i) throw new ConnectionError(`timed out waiting for ${what}`);
    if (i.kind === "end") throw new ConnectionError(`${i.how} while waiting for ${what}`);
    return i.el;
  }

  /** Send a stream header and read the features (RFC 6120 §4.2, §4.3.2). */
  async openStream(ms: number): Promise<Element> {
    this.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${this.endpoint.domain}' version='1.0'>`);
    const features = await this.expectElement(ms, "stream features");
    if (features.name !== "stream:features") throw new ConnectionError(`expected <stream:features/>, got ${features.toString()}`);
    return features;
  }

  /** Restart the stream on the same connection (RFC 6120 §4.3.3, after SASL success); returns the new features. */
  restart(ms: number): Promise<Element> {
    this.resetParser();
    return this.openStream(ms);
  }

  /** Over `via: starttls`, negotiate TLS and restart the stream; returns the features after TLS. */
  async negotiate(ms: number): Promise<Element> {
    let features = await this.openStream(ms);
    if (this.endpoint.via !== "starttls") return features;
    if (!features.getChild("starttls", NS_TLS)) throw new ConnectionError("the server does not offer STARTTLS");
    this.send(`<starttls xmlns='${NS_TLS}'/>`);
    const proceed = await this.expectElement(ms, "<proceed/>");
    if (proceed.name !== "proceed") throw new ConnectionError(`STARTTLS refused: ${proceed.toString()}`);
    const plain = this.socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    const secure = tls.connect({ socket: plain, servername: this.endpoint.domain, ca: this.endpoint.ca });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", (err) => reject(new ConnectionError(`TLS failed: ${err.message}`)));
    });
    this.socket = secure;
    this.attach(secure);
    features = await this.openStream(ms);
    return features;
  }

  /** SASL PLAIN, stream restart and resource binding; returns the bound full JID. */
  async login(local: string, password: string, resource: string | null, ms: number): Promise<string> {
    const features = await this.negotiate(ms);
    const mechanisms = features.getChild("mechanisms", NS_SASL)?.getChildren("mechanism").map((m) => m.getText()) ?? [];
    if (!mechanisms.includes("PLAIN")) throw new ConnectionError(`the server does not offer SASL PLAIN here (offers ${mechanisms.join(", ") || "nothing"})`);
    this.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${Buffer.from(`\0${local}\0${password}`).toString("base64")}</auth>`);
    const outcome = await this.expectElement(ms, "the SASL outcome");
    if (outcome.name !== "success") throw new ConnectionError(`SASL PLAIN failed: ${outcome.toString()}`);
    this.resetParser();
    const bound = await this.openStream(ms);
    if (!bound.getChild("bind", NS_BIND)) throw new ConnectionError("no resource binding offered after authentication");
    const id = "scs-bind";
    this.send(`<iq type='set' id='${id}'><bind xmlns='${NS_BIND}'>${resource ? `<resource>${escapeText(resource)}</resource>` : ""}</bind></iq>`);
    const reply = await this.expectElement(ms, "the bind result");
    const jid = reply.attrs.id === id && reply.attrs.type === "result" ? reply.getChild("bind", NS_BIND)?.getChildText("jid") : null;
    if (!jid) throw new ConnectionError(`resource binding failed: ${reply.toString()}`);
    return jid;
  }

  /** Close the stream (RFC 6120 §4.4) and wait for the server to close its side. */
  async close(ms: number): Promise<boolean> {
    this.send("</stream:stream>");
    const deadline = Date.now() + ms;
    while (!this.ended) {
      const i = await this.next(Math.max(1, deadline - Date.now()));
      if (!i || i.kind === "end") break;
    }
    const clean = this.ended;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 200).unref();
    return clean;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/'/g, "&apos;").replace(/"/g, "&quot;");
}
