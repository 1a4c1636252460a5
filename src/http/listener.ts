/**
 * An HTTP or HTTPS listener on Node's own http/https servers: XMPP over WebSocket and BOSH, XEP-0156 host-meta,
 * the web chat, and whatever modules add to the shared route table. HTTPS uses the XMPP domains' certificates
 * with SNI. Limits: request head size (431), body size (413, per route), requests in flight (503), time to send
 * a request (408); each request is logged as one structured line.
 */
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import type { Duplex } from "node:stream";
import type { HttpListenerConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { Framing } from "../stream/framing.js";
import type { ServerTlsOptions } from "../tls/options.js";
import { BoshEndpoint } from "../transport/bosh.js";
import type { Transport } from "../transport/types.js";
import { WebSocketEndpoint } from "../transport/websocket.js";
import type { ParserLimits } from "../xml/parser.js";
import { HttpContext, refuseUpgrade, type ListenerView } from "./context.js";
import { addHostMetaRoutes, type Endpoints } from "./host-meta.js";
import { HttpRoutes, type HttpRoute } from "./routes.js";
import { addWebClientRoutes } from "./web-client.js";

/** How long connections may take to finish their last responses when the server stops. */
const SHUTDOWN_GRACE_MS = 1000;

export interface HttpListenerOptions {
  config: HttpListenerConfig;
  /** TLS options for an https listener (SNI-aware, from the certificate store). */
  tls: ServerTlsOptions | null;
  hosts: readonly string[];
  isLocalHost(domain: string): boolean;
  /** The stream limits: the WebSocket message limit is the stanza limit. */
  limits: ParserLimits;
  log: Logger;
  accept(transport: Transport, allowPlaintext: boolean, framing: Framing): boolean;
  /** Routes modules add; shared by every HTTP listener, consulted after the built-in ones. */
  moduleRoutes: HttpRoutes;
  httpsPort(): number | null;
}

export class HttpListener {
  readonly server: http.Server;
  private readonly routes = new HttpRoutes();
  private readonly view: ListenerView;
  private readonly websocket: WebSocketEndpoint | null = null;
  private readonly bosh: BoshEndpoint | null = null;
  private inFlight = 0;
  private stopping = false;
  private closed: Promise<void> | null = null;

  private constructor(private readonly o: HttpListenerOptions) {
    const c = o.config;
    const limits = c.limits;
    const serverOptions: http.ServerOptions = {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout: limits.requestTimeout * 1000,
      headersTimeout: Math.min(limits.requestTimeout, 60) * 1000,
      keepAliveTimeout: 5000,
    };
    this.server = o.tls ? https.createServer({ ...o.tls, ...serverOptions }) : http.createServer(serverOptions);
    if (o.tls) this.server.on("tlsClientError", () => {}); // scanners and wrong protocols are the client's problem
    this.server.on("request", this.onRequest);
    this.server.on("upgrade", this.onUpgrade);
    this.view = {
      config: c,
      port: () => (this.server.address() as net.AddressInfo | null)?.port ?? c.port,
      httpsPort: o.httpsPort,
      hosts: o.hosts,
      isLocalHost: o.isLocalHost,
    };
    const endpoints: Endpoints = {
      websocketPath: c.websocket.enabled ? c.websocket.path : null,
      boshPath: c.bosh.enabled ? c.bosh.path : null,
    };
    if (c.websocket.enabled) {
      this.websocket = new WebSocketEndpoint({
        maxMessageBytes: o.limits.maxStanzaBytes,
        pingIntervalMs: c.websocket.pingInterval * 1000,
        seeOtherUri: c.websocket.seeOtherUri,
        log: o.log,
        accept: o.accept,
      });
      this.routes.upgrade(c.websocket.path, this.websocket.handleUpgrade);
    }
    if (c.bosh.enabled) {
      this.bosh = new BoshEndpoint({ config: c.bosh, maxBodyBytes: limits.maxBodyBytes, limits: o.limits, log: o.log, accept: o.accept });
      this.routes.add({ methods: ["POST", "OPTIONS"], path: c.bosh.path, handler: this.bosh.handle, quiet: true });
    }
    addHostMetaRoutes(this.routes, endpoints);
    addWebClientRoutes(this.routes, c.webClient, endpoints);
  }

  static listen(o: HttpListenerOptions): Promise<HttpListener> {
    const l = new HttpListener(o);
    return new Promise((resolve, reject) => {
      l.server.once("error", reject);
      l.server.listen({ host: o.config.address, port: o.config.port, ipv6Only: false }, () => {
        l.server.off("error", reject);
        resolve(l);
      });
    });
  }

  get port(): number { return this.view.port(); }
  get kind(): "http" | "https" { return this.o.config.kind; }
  /** BOSH sessions open on this listener. */
  get boshSessions(): number { return this.bosh?.sessionCount ?? 0; }

  /** New certificates (SIGHUP): the default context for clients without SNI; SNI contexts come from the store. */
  setSecureContext(options: ServerTlsOptions): void {
    if (this.server instanceof https.Server) this.server.setSecureContext(options);
  }

  private match(method: string, path: string): { route: HttpRoute } | { status: 404 } | { status: 405; allow: string[] } {
    let allow: string[] = [];
    for (const table of [this.routes, this.o.moduleRoutes]) {
      const m = table.match(method, path);
      if (m.kind === "route") return { route: m.route };
      if (m.kind === "method") allow = allow.concat(m.allow);
    }
    return allow.length ? { status: 405, allow: [...new Set(allow)] } : { status: 404 };
  }

  private onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = process.hrtime.bigint();
    const log = this.o.log;
    if (this.stopping) {
      res.writeHead(503, { Connection: "close", "Content-Length": 0 });
      res.end();
      return;
    }
    if (this.inFlight >= this.o.config.limits.maxConcurrentRequests) {
      log.warn("http: too many requests in flight", { limit: this.o.config.limits.maxConcurrentRequests });
      res.writeHead(503, { "Retry-After": "5", Connection: "close", "Content-Length": 0 });
      res.end();
      return;
    }
    this.inFlight++;
    let ctx: HttpContext | null = null;
    let quiet = false;
    res.once("close", () => {
      this.inFlight--;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const fields = {
        method: req.method,
        path: ctx?.path ?? "?",
        status: res.headersSent ? res.statusCode : 0,
        ms: Math.round(ms * 10) / 10,
        ip: ctx?.ip ?? req.socket.remoteAddress,
      };
      if (fields.status >= 500) log.warn("http request", fields);
      else if (quiet) log.debug("http request", fields);
      else log.info("http request", fields);
    });
    try {
      if (!req.url?.startsWith("/")) throw new TypeError("not an origin-form request target");
      ctx = new HttpContext(req, res, this.view, log);
    } catch {
      res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" });
      res.end("bad request target\n");
      return;
    }
    const m = this.match(req.method ?? "GET", ctx.path);
    if ("status" in m) {
      if (m.status === 405) return ctx.text(405, "method not allowed", { Allow: m.allow.join(", ") });
      return ctx.text(404, "not found");
    }
    quiet = m.route.quiet === true;
    const c = ctx;
    const failed = (err: unknown) => {
      log.error("http handler failed", { err, path: c.path });
      if (!res.headersSent) c.text(500, "internal server error");
      else res.destroy();
    };
    try {
      const r = m.route.handler(ctx);
      if (r instanceof Promise) r.catch(failed);
    } catch (err) {
      failed(err);
    }
  };

  private onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => socket.destroy());
    if (this.stopping) return void socket.destroy();
    if (!req.url?.startsWith("/")) return refuseUpgrade(socket, 400, "bad request target");
    let ctx: HttpContext;
    try {
      ctx = new HttpContext(req, null, this.view, this.o.log);
    } catch {
      return refuseUpgrade(socket, 400, "bad request target");
    }
    if ((req.headers.upgrade ?? "").toLowerCase() !== "websocket") return refuseUpgrade(socket, 400, "only WebSocket upgrades are served");
    const handler = this.routes.matchUpgrade(ctx.path) ?? this.o.moduleRoutes.matchUpgrade(ctx.path);
    if (!handler) return refuseUpgrade(socket, 404, "no WebSocket endpoint here");
    try {
      handler(ctx, socket, head);
    } catch (err) {
      this.o.log.error("websocket upgrade failed", { err });
      socket.destroy();
    }
  };

  /** Stop accepting connections; idle keep-alive connections close now. */
  stopAccepting(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
  }

  /**
   * After the server closed every stream: BOSH sessions still here answer with system-shutdown, WebSockets get
   * their close frame, and whatever connection is still open after a short grace is cut.
   */
  async shutdown(): Promise<void> {
    this.stopAccepting();
    this.bosh?.close();
    this.websocket?.close();
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, SHUTDOWN_GRACE_MS); });
    await Promise.race([this.closed, grace]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    await this.closed;
  }
}
