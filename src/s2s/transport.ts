/**
 * The socket under a server-to-server or component stream: plain TCP that can be upgraded with STARTTLS from
 * either side (RFC 6120 §5.4.3.3: the receiving entity as TLS server, the initiating one as TLS client), or TLS
 * from the first byte (XEP-0368). Like the client transport, writes within one event-loop turn are corked into
 * one system call; unlike it, the peer's certificate is kept for identity checks (XEP-0178, RFC 6125).
 */
import net from "node:net";
import tls from "node:tls";
import type { ChannelBinding } from "../sasl/types.js";
import type { Transport, TransportEvents } from "../transport/types.js";

export class S2sTransport implements Transport {
  private events: TransportEvents | null = null;
  private corked = false;
  private closedFired = false;
  private secureSocket: tls.TLSSocket | null;
  readonly ip: string;

  /** `serverTls`: options for accepting STARTTLS (null on outgoing connections and component listeners). */
  constructor(private socket: net.Socket, private readonly serverTls: (() => tls.TlsOptions) | null) {
    this.secureSocket = socket instanceof tls.TLSSocket ? socket : null;
    const ip = socket.remoteAddress ?? "";
    this.ip = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
    this.listen(socket);
  }

  get secure(): boolean { return this.secureSocket !== null; }
  get canStartTls(): boolean { return this.secureSocket === null && this.serverTls !== null; }
  get tlsSocket(): tls.TLSSocket | null { return this.secureSocket; }
  get sniName(): string | null {
    const name = (this.secureSocket as (tls.TLSSocket & { servername?: string | false }) | null)?.servername;
    return typeof name === "string" && name ? name.toLowerCase() : null;
  }
  get closed(): boolean { return this.closedFired; }

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

  private flush(): void {
    if (this.corked) { this.corked = false; this.socket.uncork(); }
  }

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

  private adopt(secure: tls.TLSSocket): void {
    this.socket = secure;
    this.secureSocket = secure;
    this.listen(secure);
  }

  channelBinding(): ChannelBinding | null { return null; }

  pendingBytes(): number { return this.socket.writableLength; }

  end(): void {
    this.flush();
    this.socket.end();
    // A peer that never reads must not keep the socket open forever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  destroy(): void { this.fireClosed("closed by server"); }
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
