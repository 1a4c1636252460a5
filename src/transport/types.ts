/**
 * A transport only moves bytes (or frames) and knows about TLS; everything else is the stream's job, so a
 * feature works the same over TCP, Direct TLS, WebSocket and BOSH.
 */
import type { ChannelBinding } from "../sasl/types.js";

export interface TransportEvents {
  data(chunk: Buffer | string): void;
  /** The connection is gone (peer closed, reset, or we destroyed it). Fired once. */
  closed(reason: string): void;
}

export interface Transport {
  readonly ip: string;
  /** True once the bytes are encrypted (Direct TLS from the start, or after STARTTLS). */
  readonly secure: boolean;
  /** Whether STARTTLS can be offered (a plain TCP socket with certificates available). */
  readonly canStartTls: boolean;
  /** The server name the client asked for in TLS SNI, if any. */
  readonly sniName: string | null;
  /** Set the receiver of data and close events (the stream). */
  attach(events: TransportEvents): void;
  /** Queue bytes; writes made in one event-loop turn go out in one system call. */
  write(data: string): void;
  /** Upgrade to TLS (RFC 6120 §5.4.3.3): the caller has just written <proceed/>. */
  startTls(): Promise<void>;
  channelBinding(): ChannelBinding | null;
  /** Bytes queued but not yet handed to the kernel (back-pressure). */
  pendingBytes(): number;
  /** Flush what is queued, then close. */
  end(): void;
  /** Close now. */
  destroy(): void;
}
