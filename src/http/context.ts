/**
 * One HTTP request as handlers see it: the parsed URL, who is asking (client-info.ts), the XMPP domain the Host
 * header names, the base URLs to put in links, and small helpers to answer.
 */
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../log.js";
import { clientInfo, originAllowed, type ClientInfo } from "./client-info.js";
import type { HttpListenerConfig } from "../config/schema.js";

/** What a request needs to know about the listener it came in on and the server behind it. */
export interface ListenerView {
  readonly config: HttpListenerConfig;
  /** The port this listener is bound to. */
  port(): number;
  /** The port of this server's first HTTPS listener, to send plain-HTTP clients to (null: there is none). */
  httpsPort(): number | null;
  readonly hosts: readonly string[];
  isLocalHost(domain: string): boolean;
}

export class HttpContext {
  readonly info: ClientInfo;
  readonly url: URL;
  readonly origin: string | undefined;
  private attrs: Record<string, unknown> = {};

  constructor(
    readonly req: IncomingMessage,
    /** Null for WebSocket upgrades, which answer on the raw socket. */
    readonly res: ServerResponse | null,
    readonly listener: ListenerView,
    readonly log: Logger,
  ) {
    const c = listener.config;
    this.info = clientInfo(req, { tls: c.kind === "https", trustedProxies: c.trustedProxies });
    // The request target is a path (origin-form; the listener answers 400 to anything else). Appended to a fixed
    // base rather than resolved against it, so "//host/path" stays a path.
    this.url = new URL(`http://palaver.invalid${req.url ?? "/"}`);
    const o = req.headers.origin;
    this.origin = Array.isArray(o) ? o[0] : o;
  }

  get ip(): string { return this.info.ip; }
  get secure(): boolean { return this.info.secure; }
  get path(): string { return this.url.pathname; }

  /**
   * Whether this client may log in without TLS: encrypted requests always; otherwise only when the listener
   * allows plaintext, or (by default) for a client on this same machine whose traffic never leaves it.
   */
  get plaintextAllowed(): boolean {
    const c = this.listener.config;
    if (c.kind !== "http") return false;
    return c.allowPlaintext || (c.allowPlaintextFromLoopback && this.info.loopback);
  }

  /** The XMPP domain this request is about: the Host header's name when it is served here, else the first host. */
  get domain(): string {
    const h = this.info.hostname;
    return h && this.listener.isLocalHost(h) ? h : this.listener.hosts[0]!;
  }

  /** Whether a page from this request's Origin may use the XMPP endpoints (CORS and WebSocket). */
  get originAllowed(): boolean {
    const c = this.listener.config;
    return originAllowed(this.origin, this.info.host, c.origins, c.publicUrl);
  }

  /** The base URL this client reached us at ("http://localhost:5280"), or the configured public one. */
  baseUrl(): string {
    const c = this.listener.config;
    if (c.publicUrl) return c.publicUrl.replace(/\/+$/, "");
    const host = this.info.host || `${this.info.hostname || "localhost"}:${this.listener.port()}`;
    return `${this.info.secure ? "https" : "http"}://${host}`;
  }

  /**
   * An https base URL for this server as this client can reach it: the public URL when it is https, this request's
   * own base when it is encrypted, else this host on the HTTPS listener's port; null when there is none.
   */
  secureBaseUrl(): string | null {
    const c = this.listener.config;
    if (c.publicUrl) return c.publicUrl.startsWith("https:") ? c.publicUrl.replace(/\/+$/, "") : null;
    if (this.info.secure) return this.baseUrl();
    const port = this.listener.httpsPort();
    if (port === null || !this.info.hostname) return null;
    const name = this.info.hostname.includes(":") ? `[${this.info.hostname}]` : this.info.hostname;
    return `https://${name}${port === 443 ? "" : `:${port}`}`;
  }

  /** Per-request values handlers share (e.g. a route's CORS decision). */
  get<T>(key: string): T | undefined { return this.attrs[key] as T | undefined; }
  set(key: string, value: unknown): void { this.attrs[key] = value; }

  /** Answer with a complete body (a HEAD request gets the headers only, as Node does for HEAD). */
  send(status: number, body: string | Buffer, headers: OutgoingHttpHeaders = {}): void {
    const res = this.res;
    if (!res || res.headersSent) return;
    const buf = typeof body === "string" ? Buffer.from(body) : body;
    res.writeHead(status, { "Content-Length": buf.length, ...headers });
    res.end(buf);
  }

  /** A short plain-text answer (errors, redirects). */
  text(status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
    this.send(status, `${message}\n`, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...headers });
  }
}

/** Answer an upgrade request with an HTTP error on its raw socket (RFC 6455 §4.2.2: refusing before 101). */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nConnection: close\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
