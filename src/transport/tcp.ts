/**
 * TCP transport: plain sockets that can be upgraded with STARTTLS, and Direct TLS sockets (XEP-0368).
 * Writes in one event-loop turn are corked together so a burst of stanzas costs one system call.
 */
import net from "node:net";
import tls from "node:tls";
import { channelBindingFor } from "../sasl/channel-binding.js";
import type { ChannelBinding } from "../sasl/types.js";
import type { Transport, TransportEvents } from "./types.js";

export interface TlsProvider {
  /** Options for a server-side TLS socket (contexts with SNI, TLS 1.2+, ALPN for Direct TLS). */
  serverOptions(alpn?: string[]): tls.TlsOptions;
}

export class TcpTransport implements Transport {
  private events: TransportEvents | null = null;
  private corked = false;
  private closedFired = false;
  private tlsSocket: tls.TLSSocket | null;
  readonly ip: string;

  constructor(private socket: net.Socket, private readonly tlsProvider: TlsProvider | null) {
    this.tlsSocket = socket instanceof tls.TLSSocket ? socket : null;
    this.ip = normaliseIp(socket.remoteAddress ?? "");
    this.listen(socket);
  }

  get secure(): boolean { return this.tlsSocket !== null; }
  get canStartTls(): boolean { return this.tlsSocket === null && this.tlsProvider !== null; }
  get sniName(): string | null {
    const name = (this.tlsSocket as (tls.TLSSocket & { servername?: string | false }) | null)?.servername;
    return typeof name === "string" && name ? name.toLowerCase() : null;
  }

  attach(events: TransportEvents): void { this.events = events; }

  private listen(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on("data", this.onData);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  private unlisten(socket: net.Socket): void {
    socket.off("data", this.onData);
    socket.off("error", this.onError);
    socket.off("close", this.onClose);
  }

  private onData = (chunk: Buffer): void => { this.events?.data(chunk); };
  private onError = (err: Error): void => { this.fireClosed(`socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`); };
  private onClose = (): void => { this.fireClosed("connection closed"); };

  private fireClosed(reason: string): void {
    if (this.closedFired) return;
    this.closedFired = true;
    this.socket.destroy();
    this.events?.closed(reason);
  }

  write(data: string): void {
    const s = this.socket;
    if (s.destroyed || !s.writable) return;
    if (!this.corked) {
      this.corked = true;
      s.cork();
      process.nextTick(this.uncork);
    }
    s.write(data);
  }

  private uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  startTls(): Promise<void> {
    if (!this.tlsProvider || this.tlsSocket) return Promise.reject(new Error("TLS not available"));
    const raw = this.socket;
    // Flush <proceed/> in plain text before the handshake begins.
    if (this.corked) { this.corked = false; raw.uncork(); }
    this.unlisten(raw);
    return new Promise((resolve, reject) => {
      const secure = new tls.TLSSocket(raw, { ...this.tlsProvider!.serverOptions(), isServer: true });
      this.socket = secure;
      this.tlsSocket = secure;
      const fail = (err: Error) => { secure.off("secure", ok); reject(err); };
      const ok = () => { secure.off("error", fail); this.listen(secure); resolve(); };
      secure.once("secure", ok);
      secure.once("error", fail);
      secure.once("close", () => this.fireClosed("connection closed during TLS handshake"));
    });
  }

  channelBinding(): ChannelBinding | null {
    return this.tlsSocket ? channelBindingFor(this.tlsSocket) : null;
  }

  pendingBytes(): number { return this.socket.writableLength; }

  end(): void {
    if (this.corked) { this.corked = false; this.socket.uncork(); }
    this.socket.end();
    // A peer that never reads must not keep the socket open forever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  destroy(): void { this.fireClosed("closed by server"); }
}

function normaliseIp(ip: string): string {
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}

export type ConnectionHandler = (transport: Transport) => void;

/** Listen for plain TCP connections (STARTTLS offered when a TLS provider is given). */
export function listenTcp(address: string, port: number, tlsProvider: TlsProvider | null, onConnection: ConnectionHandler): Promise<net.Server> {
  const server = net.createServer({ noDelay: true }, (socket) => onConnection(new TcpTransport(socket, tlsProvider)));
  return listenOn(server, address, port);
}

/** Listen for Direct TLS connections (XEP-0368, ALPN xmpp-client). */
export function listenDirectTls(address: string, port: number, tlsProvider: TlsProvider, onConnection: ConnectionHandler): Promise<net.Server> {
  const server = tls.createServer(tlsProvider.serverOptions(["xmpp-client"]), (socket) => onConnection(new TcpTransport(socket, tlsProvider)));
  // Handshake failures (scanners, wrong protocol) are the client's problem, not the server's.
  server.on("tlsClientError", () => {});
  return listenOn(server, address, port);
}

function listenOn<S extends net.Server>(server: S, address: string, port: number): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: address, port, ipv6Only: false }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
