/**
 * TCP transport: plain sockets that can be upgraded with STARTTLS, and Direct TLS sockets (XEP-0368).
 * Writes in one event-loop turn are corked together so a burst of stanzas costs one system call.
 */
import net from "node:net";
import tls from "node:tls";
import { channelBindingFor } from "../sasl/channel-binding.js";
import type { ChannelBinding } from "../sasl/types.js";
import { SocketTransport } from "./socket.js";
import type { Transport } from "./types.js";

export interface TlsProvider {
  /** Options for a server-side TLS socket (contexts with SNI, TLS 1.2+, ALPN for Direct TLS). */
  serverOptions(alpn?: string[]): tls.TlsOptions;
}

/** A client connection: STARTTLS as the TLS server (RFC 6120 §5.4.3.3), or TLS from the first byte. */
export class TcpTransport extends SocketTransport {
  constructor(socket: net.Socket, private readonly tlsProvider: TlsProvider | null) {
    super(socket);
  }

  get canStartTls(): boolean { return this.secureSocket === null && this.tlsProvider !== null; }

  startTls(): Promise<void> {
    if (!this.tlsProvider || this.secureSocket) return Promise.reject(new Error("TLS not available"));
    const raw = this.socket;
    // Flush <proceed/> in plain text before the handshake begins.
    this.flush();
    this.unlisten(raw);
    return new Promise((resolve, reject) => {
      const secure = new tls.TLSSocket(raw, { ...this.tlsProvider!.serverOptions(), isServer: true });
      this.socket = secure;
      this.secureSocket = secure;
      const fail = (err: Error) => { secure.off("secure", ok); reject(err); };
      const ok = () => { secure.off("error", fail); this.listen(secure); resolve(); };
      secure.once("secure", ok);
      secure.once("error", fail);
      secure.once("close", () => this.fireClosed("connection closed during TLS handshake"));
    });
  }

  channelBinding(): ChannelBinding | null {
    return this.secureSocket ? channelBindingFor(this.secureSocket) : null;
  }
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
