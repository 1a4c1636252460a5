/**
 * What every socket-based transport shares (client TCP/Direct TLS, server-to-server, components): events to the
 * stream, writes joined per event-loop turn so a burst of stanzas costs one system call, a single "closed"
 * notification, bounded ending, and swapping the socket for its TLS wrapper after STARTTLS.
 */
import { isIPv4 } from "node:net";
import type net from "node:net";
import tls from "node:tls";
import type { ChannelBinding } from "../sasl/types.js";
import type { Transport, TransportEvents } from "./types.js";

/** How long a peer that does not read gets after we end the stream before the socket is destroyed. */
const END_GRACE_MS = 5000;

/** An IPv4-mapped IPv6 address ("::ffff:127.0.0.1") as the IPv4 address it is; anything else unchanged. */
export function normaliseIp(ip: string): string {
  return ip.startsWith("::ffff:") && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

export abstract class SocketTransport implements Transport {
  private events: TransportEvents | null = null;
  /** What was written during this event-loop turn, handed to the socket as one string at the end of it. */
  private pending: string | null = null;
  private closedFired = false;
  /** Destroys the socket if the peer has not closed it END_GRACE_MS after we ended it; cleared once it closes. */
  private endTimer: NodeJS.Timeout | null = null;
  protected secureSocket: tls.TLSSocket | null;
  readonly ip: string;

  protected constructor(protected socket: net.Socket) {
    this.secureSocket = socket instanceof tls.TLSSocket ? socket : null;
    this.ip = normaliseIp(socket.remoteAddress ?? "");
    this.listen(socket);
  }

  abstract readonly canStartTls: boolean;
  abstract startTls(): Promise<void>;
  abstract channelBinding(): ChannelBinding | null;

  get secure(): boolean { return this.secureSocket !== null; }
  get tlsSocket(): tls.TLSSocket | null { return this.secureSocket; }
  get closed(): boolean { return this.closedFired; }
  get sniName(): string | null {
    const name = (this.secureSocket as (tls.TLSSocket & { servername?: string | false }) | null)?.servername;
    return typeof name === "string" && name ? name.toLowerCase() : null;
  }

  attach(events: TransportEvents): void { this.events = events; }

  protected listen(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on("data", this.onData);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  protected unlisten(socket: net.Socket): void {
    socket.off("data", this.onData);
    socket.off("error", this.onError);
    socket.off("close", this.onClose);
  }

  private onData = (chunk: Buffer): void => { this.events?.data(chunk); };
  private onError = (err: Error): void => { this.fireClosed(`socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`); };
  private onClose = (): void => { this.fireClosed("connection closed"); };

  protected fireClosed(reason: string): void {
    if (this.closedFired) return;
    this.closedFired = true;
    if (this.endTimer) {
      // Otherwise the timer would keep this transport, its socket and the stream alive for the whole grace period.
      clearTimeout(this.endTimer);
      this.endTimer = null;
    }
    this.socket.destroy();
    this.events?.closed(reason);
  }

  /**
   * Writes of one turn are joined into one string and written once: one system call, and none of the per-chunk
   * work corking does in the stream (a buffered request per chunk, then writev).
   */
  write(data: string): void {
    const s = this.socket;
    if (s.destroyed || !s.writable) return;
    if (this.pending === null) {
      this.pending = data;
      process.nextTick(this.flushPending);
    } else {
      this.pending += data;
    }
  }

  private flushPending = (): void => {
    const data = this.pending;
    if (data === null) return;
    this.pending = null;
    const s = this.socket;
    if (!s.destroyed && s.writable) s.write(data);
  };

  /** Write out what is pending now (before a TLS handshake takes the socket over, or before ending). */
  protected flush(): void {
    this.flushPending();
  }

  /** From now on the stream runs over this TLS socket (after STARTTLS). */
  protected adopt(secure: tls.TLSSocket): void {
    this.socket = secure;
    this.secureSocket = secure;
    this.listen(secure);
  }

  pendingBytes(): number { return this.socket.writableLength + (this.pending?.length ?? 0); }

  end(): void {
    this.flush();
    this.socket.end();
    if (this.closedFired || this.endTimer) return;
    // A peer that never reads must not keep the socket open forever.
    this.endTimer = setTimeout(() => this.socket.destroy(), END_GRACE_MS).unref();
  }

  destroy(): void { this.fireClosed("closed by server"); }
}
