/**
 * XMPP over WebSocket (RFC 7395). The handshake must offer the `xmpp` subprotocol (§3.1) from an allowed origin;
 * then every text message is one element (§3.2, §3.3.3: the stream checks it) and the stream is the same
 * C2sStream as over TCP, framed with <open/> and <close/> (websocketFraming). TLS belongs to the HTTP layer
 * (§3.9): `secure` over wss://, channel binding to that TLS connection when it ends here.
 *
 * Plain ws:// on the HTTP listener: a login there is unencrypted, so it is accepted only where the listener's
 * policy allows plaintext (by default: clients on this same machine, see HttpContext.plaintextAllowed). Anyone
 * else is sent to the wss:// endpoint with see-other-uri (§3.6.1) when the server has an HTTPS listener, and is
 * refused otherwise.
 */
import type net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { escapeXML } from "@xmpp/xml";
import { refuseUpgrade as refuse, type HttpContext } from "../http/context.js";
import type { Logger } from "../log.js";
import { channelBindingFor } from "../sasl/channel-binding.js";
import type { ChannelBinding } from "../sasl/types.js";
import { NS_FRAMING, qualifyStanza, websocketFraming, type Framing } from "../stream/framing.js";
import type { Transport, TransportEvents } from "./types.js";

/** RFC 7395 §3.1 / IANA: the WebSocket subprotocol name. */
export const XMPP_SUBPROTOCOL = "xmpp";
/** RFC 6455 §7.4.1 status codes. */
const CLOSE_NORMAL = 1000;
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_GOING_AWAY = 1001;
/** How long a closing handshake may take before the connection is dropped. */
const CLOSE_GRACE_MS = 5000;
/** How long a client that is only going to be redirected may take to send its <open/>. */
const REDIRECT_WAIT_MS = 10_000;

export interface WebSocketEndpointOptions {
  /** Largest message, in bytes: the stanza limit. A larger one closes the connection with 1009 (RFC 6455 §7.4.1). */
  maxMessageBytes: number;
  pingIntervalMs: number;
  /** Send every client elsewhere (RFC 7395 §3.6.1). */
  seeOtherUri?: string;
  log: Logger;
  /** Start the XMPP stream on a new transport; false when the server refuses it (it then destroys the transport). */
  accept(transport: Transport, allowPlaintext: boolean, framing: Framing): boolean;
}

/** The `xmpp` token among the offered subprotocols (Sec-WebSocket-Protocol is a comma-separated list). */
export function offersXmpp(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(",") : header ?? "";
  return value.split(",").some((p) => p.trim() === XMPP_SUBPROTOCOL);
}

export class WebSocketEndpoint {
  private readonly wss: WebSocketServer;
  private readonly live = new Set<WebSocketTransport>();
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly o: WebSocketEndpointOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: o.maxMessageBytes,
      // Compression costs memory per connection and mixes secrets with attacker-chosen text (CRIME/BREACH).
      perMessageDeflate: false,
      handleProtocols: (offered) => (offered.has(XMPP_SUBPROTOCOL) ? XMPP_SUBPROTOCOL : false),
    });
    this.pinger = setInterval(() => this.ping(), o.pingIntervalMs);
    this.pinger.unref();
  }

  /** Every interval: drop connections that did not answer the previous ping (or send anything), ping the rest. */
  private ping(): void {
    for (const t of this.live) {
      if (!t.alive) {
        t.log.info("websocket peer stopped answering pings");
        t.destroy();
        continue;
      }
      t.alive = false;
      t.ping();
    }
  }

  handleUpgrade = (ctx: HttpContext, socket: Duplex, head: Buffer): void => {
    const log = ctx.log;
    if (!offersXmpp(ctx.req.headers["sec-websocket-protocol"])) {
      log.info("websocket refused: no xmpp subprotocol", { ip: ctx.ip });
      return refuse(socket, 400, "XMPP over WebSocket needs the 'xmpp' subprotocol (RFC 7395 section 3.1)");
    }
    if (!ctx.originAllowed) {
      log.info("websocket refused: origin not allowed", { ip: ctx.ip, origin: ctx.origin });
      return refuse(socket, 403, "pages from this origin may not connect here (see the listener's `origins`)");
    }
    let redirect = this.o.seeOtherUri ?? null;
    if (!redirect && !ctx.secure && !ctx.plaintextAllowed) {
      const secure = ctx.secureBaseUrl();
      if (!secure) {
        log.info("websocket refused: plaintext from a remote address", { ip: ctx.ip });
        return refuse(socket, 403, "XMPP over plain ws:// is accepted only from this machine; use wss://");
      }
      redirect = `wss://${secure.slice("https://".length)}${ctx.path}`;
    }
    this.wss.handleUpgrade(ctx.req, socket, head, (ws) => {
      if (redirect) return this.redirect(ws, redirect, log);
      const raw = ctx.req.socket;
      const transport = new WebSocketTransport(ws, raw, {
        ip: ctx.ip,
        secure: ctx.secure,
        sniName: ctx.info.directTls ? sniOf(raw) : null,
        tlsSocket: ctx.info.directTls && raw instanceof tls.TLSSocket ? raw : null,
        log: log.child({ ip: ctx.ip }),
      });
      this.live.add(transport);
      transport.onGone = () => this.live.delete(transport);
      log.info("websocket opened", { ip: ctx.ip, secure: ctx.secure });
      if (!this.o.accept(transport, ctx.plaintextAllowed, websocketFraming)) this.live.delete(transport);
    });
  };

  /** RFC 7395 §3.4 and §3.6.1: answer the client's <open/> with a <close/> naming the other endpoint. */
  private redirect(ws: WebSocket, uri: string, log: Logger): void {
    const timer = setTimeout(() => ws.terminate(), REDIRECT_WAIT_MS);
    timer.unref();
    ws.once("message", () => {
      clearTimeout(timer);
      ws.send(`<close xmlns='${NS_FRAMING}' see-other-uri='${escapeXML(uri)}'/>`);
      ws.close(CLOSE_NORMAL);
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    });
    ws.on("error", () => ws.terminate());
    log.info("websocket client sent elsewhere", { to: uri });
  }

  /** Stop pinging; the streams themselves are closed by the server. */
  close(): void {
    clearInterval(this.pinger);
    for (const t of [...this.live]) t.goingAway();
  }
}

function sniOf(socket: net.Socket): string | null {
  const name = (socket as tls.TLSSocket & { servername?: string | false }).servername;
  return typeof name === "string" && name ? name.toLowerCase() : null;
}

export interface WebSocketPeer {
  ip: string;
  secure: boolean;
  sniName: string | null;
  /** The TLS connection the WebSocket runs on, when TLS ends here (for channel binding). */
  tlsSocket: tls.TLSSocket | null;
  log: Logger;
}

export class WebSocketTransport implements Transport {
  readonly ip: string;
  readonly secure: boolean;
  readonly sniName: string | null;
  readonly canStartTls = false;
  readonly log: Logger;
  /** Answered the last ping or sent something since (the endpoint's keepalive sweep reads and clears it). */
  alive = true;
  onGone: (() => void) | null = null;
  private events: TransportEvents | null = null;
  private corked = false;
  private closedFired = false;
  private readonly tlsSocket: tls.TLSSocket | null;

  constructor(private readonly ws: WebSocket, private readonly socket: net.Socket, peer: WebSocketPeer) {
    this.ip = peer.ip;
    this.secure = peer.secure;
    this.sniName = peer.sniName;
    this.tlsSocket = peer.tlsSocket;
    this.log = peer.log;
    ws.on("message", this.onMessage);
    ws.on("pong", () => { this.alive = true; });
    ws.on("close", (code: number) => this.fireClosed(`websocket closed (${code})`));
    ws.on("error", (err: Error) => this.fireClosed(`websocket error: ${err.message}`));
  }

  attach(events: TransportEvents): void { this.events = events; }

  private onMessage = (data: RawData, isBinary: boolean): void => {
    this.alive = true;
    if (isBinary) {
      // RFC 7395 §3.2: data frames are text.
      this.ws.close(CLOSE_UNSUPPORTED_DATA, "XMPP messages are text frames");
      this.fireClosed("binary websocket message");
      return;
    }
    // ws has checked that a text message is valid UTF-8 (RFC 6455 §8.1), so it decodes as a whole.
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    this.events?.data(buf.toString("utf8"));
  };

  /** One write is one element from the stream, and one WebSocket message (RFC 7395 §3.3.3). */
  write(data: string): void {
    if (!data || this.ws.readyState !== WebSocket.OPEN) return;
    if (!this.corked) {
      // Messages written in one event-loop turn leave in one system call, as over TCP.
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.ws.send(qualifyStanza(data));
  }

  private uncork = (): void => {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  };

  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  startTls(): Promise<void> {
    return Promise.reject(new Error("TLS is negotiated by the WebSocket's HTTP connection (RFC 7395 §3.9)"));
  }

  channelBinding(): ChannelBinding | null {
    return this.tlsSocket ? channelBindingFor(this.tlsSocket) : null;
  }

  pendingBytes(): number { return this.ws.bufferedAmount; }

  /** After the stream's <close/>: the WebSocket closing handshake (RFC 7395 §3.6), bounded in time. */
  end(): void {
    this.uncork();
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(CLOSE_NORMAL);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** The server is stopping and the stream was closed already: tell the browser it is going away. */
  goingAway(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(CLOSE_GOING_AWAY);
  }

  destroy(): void {
    this.ws.terminate();
    this.fireClosed("closed by server");
  }

  private fireClosed(reason: string): void {
    if (this.closedFired) return;
    this.closedFired = true;
    this.uncork();
    const state = this.ws.readyState;
    // A closing handshake under way gets its close frame out first; anything else ends now.
    if (state === WebSocket.CLOSING) setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    else if (state !== WebSocket.CLOSED) this.ws.terminate();
    this.onGone?.();
    this.events?.closed(reason);
  }
}
