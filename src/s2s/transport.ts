/**
 * The socket under a server-to-server or component stream: plain TCP that can be upgraded with STARTTLS from
 * either side (RFC 6120 §5.4.3.3: the receiving entity as TLS server, the initiating one as TLS client), or TLS
 * from the first byte (XEP-0368). Like the client transport, writes within one event-loop turn are corked into
 * one system call; unlike it, the peer's certificate is kept for identity checks (XEP-0178, RFC 6125).
 */
import net from "node:net";
import tls from "node:tls";
import type { ChannelBinding } from "../sasl/types.js";
import { SocketTransport } from "../transport/socket.js";

export class S2sTransport extends SocketTransport {
  /** `serverTls`: options for accepting STARTTLS (null on outgoing connections and component listeners). */
  constructor(socket: net.Socket, private readonly serverTls: (() => tls.TlsOptions) | null) {
    super(socket);
  }

  get canStartTls(): boolean { return this.secureSocket === null && this.serverTls !== null; }

  /**
   * The receiving side: <proceed/> has just been written; become the TLS server. The handshake runs in a
   * (never listening) tls.Server, which is what verifies a client certificate and sets `authorized`; a bare
   * server-side TLSSocket requests the certificate but leaves its verification undone.
   */
  startTls(): Promise<void> {
    if (!this.serverTls || this.secureSocket) return Promise.reject(new Error("TLS not available"));
    const raw = this.socket;
    this.flush();
    this.unlisten(raw);
    return new Promise((resolve, reject) => {
      const server = tls.createServer(this.serverTls!());
      server.once("secureConnection", (secure: tls.TLSSocket) => {
        server.removeAllListeners("tlsClientError");
        this.adopt(secure);
        resolve();
      });
      server.once("tlsClientError", (err: Error) => {
        this.fireClosed(`TLS handshake failed: ${err.message}`);
        reject(err);
      });
      raw.once("close", () => this.fireClosed("connection closed during TLS handshake"));
      server.emit("connection", raw);
    });
  }

  /** The initiating side: <proceed/> has been received; become the TLS client. */
  startTlsClient(options: tls.ConnectionOptions): Promise<void> {
    if (this.secureSocket) return Promise.reject(new Error("already encrypted"));
    const raw = this.socket;
    this.flush();
    this.unlisten(raw);
    return new Promise((resolve, reject) => {
      const secure = tls.connect({ ...options, socket: raw });
      const fail = (err: Error) => { secure.off("secureConnect", ok); this.fireClosed(`TLS handshake failed: ${err.message}`); reject(err); };
      const ok = () => { secure.off("error", fail); this.adopt(secure); resolve(); };
      secure.once("secureConnect", ok);
      secure.once("error", fail);
      raw.once("close", () => this.fireClosed("connection closed during TLS handshake"));
    });
  }

  /** Server-to-server streams authenticate with certificates or dialback, never with SASL channel binding. */
  channelBinding(): ChannelBinding | null { return null; }
}

/** Open a TCP (or Direct TLS) connection within `timeoutMs`. */
export function connectTo(
  host: string, port: number, timeoutMs: number, tlsOptions: tls.ConnectionOptions | null,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = tlsOptions ? tls.connect({ ...tlsOptions, host, port }) : net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connecting to ${host}:${port} timed out`), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    timer.unref();
    const fail = (err: Error) => { clearTimeout(timer); socket.destroy(); reject(err); };
    socket.once("error", fail);
    socket.once(tlsOptions ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      resolve(socket);
    });
  });
}
