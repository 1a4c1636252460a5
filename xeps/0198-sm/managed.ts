/**
 * The stream management state of one session (XEP-0198): both counters, the queue of unacknowledged stanzas, when to
 * ask the client for an acknowledgement, and the resumption timer while the session is detached.
 *
 * Requests (§4: "either party MAY send an <r/> ... at any time"; §7.2: ask periodically, not after every stanza): at
 * most one <r/> is outstanding. One is sent at the end of the event-loop turn in which `requestAfter` stanzas are
 * unacknowledged (so a burst gets one request, after the burst), or `requestDelay` after the first stanza that
 * nobody asked about yet, so every stanza is asked about soon even when traffic is light.
 */
import type { SessionControl } from "../../src/session/control.js";
import type { ClientSession } from "../../src/session/types.js";
import { increment } from "./counter.js";
import { UnackedQueue } from "./queue.js";

export const NS_SM = "urn:xmpp:sm:3";
const REQUEST = `<r xmlns='${NS_SM}'/>`;

/** A stanza written to the client: its bytes (retransmitted as they were) and when it was written (delay stamps). */
export interface SentStanza {
  readonly serialized: string;
  readonly at: number;
}

export interface AckPolicy {
  /** Unacknowledged stanzas that make a request go out at the end of the turn. */
  readonly requestAfter: number;
  /** Milliseconds after which a request goes out for fewer. */
  readonly requestDelayMs: number;
}

export class ManagedSession {
  /** 'h' for the stanzas received from the client (§4: handled inbound stanzas). */
  inbound = 0;
  readonly queue = new UnackedQueue<SentStanza>();
  /** An <r/> was sent and its <a/> has not come yet. */
  private requested = false;
  private soon: NodeJS.Immediate | null = null;
  private timer: NodeJS.Timeout | null = null;
  private expiry: NodeJS.Timeout | null = null;

  constructor(
    readonly control: SessionControl,
    /** The SM-ID when the session may be resumed (§5), else null. */
    readonly id: string | null,
    /** Seconds a detached session waits to be resumed (the 'max' of <enabled/>). */
    readonly max: number,
    private readonly policy: AckPolicy,
  ) {}

  get session(): ClientSession { return this.control.session; }

  /** A stanza from the client was handled. */
  received(): void {
    this.inbound = increment(this.inbound);
  }

  /** A stanza was written to the client (or, detached, would have been). Returns the number of unacknowledged ones. */
  sent(serialized: string): number {
    this.queue.push({ serialized, at: Date.now() });
    this.planRequest();
    return this.queue.length;
  }

  /** An <a/> came (after a request or not): the next request may go out. */
  acknowledged(): void {
    this.requested = false;
    this.planRequest();
  }

  /** Ask for an acknowledgement now, unless one is outstanding or nothing is unacknowledged. */
  request(): void {
    this.cancelRequests();
    if (this.requested || this.queue.length === 0 || !this.control.attached) return;
    this.requested = true;
    this.control.writeRaw(REQUEST);
  }

  private planRequest(): void {
    if (this.requested || this.soon || this.queue.length === 0 || !this.control.attached) return;
    if (this.queue.length >= this.policy.requestAfter) {
      if (this.timer) { clearTimeout(this.timer); this.timer = null; }
      this.soon = setImmediate(() => { this.soon = null; this.request(); });
    } else if (!this.timer) {
      this.timer = setTimeout(() => { this.timer = null; this.request(); }, this.policy.requestDelayMs);
      this.timer.unref();
    }
  }

  private cancelRequests(): void {
    if (this.soon) { clearImmediate(this.soon); this.soon = null; }
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
  }

  /** The connection is gone: no requests until a new stream takes the session; `expire` after `max` seconds. */
  hibernate(expire: () => void): void {
    this.cancelRequests();
    this.requested = false;
    this.expiry = setTimeout(expire, this.max * 1000);
    this.expiry.unref();
  }

  /** A new stream took the session over: requests start afresh (the old stream's <r/> will never be answered). */
  resumed(): void {
    if (this.expiry) { clearTimeout(this.expiry); this.expiry = null; }
    this.requested = false;
  }

  /** The session has ended: stop every timer. */
  dispose(): void {
    this.cancelRequests();
    if (this.expiry) { clearTimeout(this.expiry); this.expiry = null; }
  }
}
