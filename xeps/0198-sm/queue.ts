/**
 * The server's queue of stanzas sent but not yet acknowledged (XEP-0198 §4 "Acks", §5 "Resumption"), with the
 * sequence number arithmetic of counter.ts. `acked` is the 'h' the client last reported; the queue holds the stanzas
 * numbered acked+1 ... sent, oldest first.
 */
import { distance, advance } from "./counter.js";

export type AckResult<T> =
  /** The stanzas the ack covers, oldest first (possibly none). */
  | { ok: true; handled: T[] }
  /** The client claims more than was sent (§6: <handled-count-too-high/>). */
  | { ok: false; sent: number };

export class UnackedQueue<T> {
  private items: T[] = [];
  /** Index of the oldest unacknowledged item in `items` (removal from the front without shifting every time). */
  private head = 0;
  private ackedH: number;

  constructor(acked = 0) {
    this.ackedH = acked;
  }

  /** The 'h' of the last acknowledgement. */
  get acked(): number { return this.ackedH; }
  /** How many stanzas are unacknowledged. */
  get length(): number { return this.items.length - this.head; }
  /** The number of the last stanza sent (modulo 2^32). */
  get sent(): number { return advance(this.ackedH, this.length); }

  /** A stanza was sent; returns its sequence number. */
  push(item: T): number {
    this.items.push(item);
    return this.sent;
  }

  /** The client has handled every stanza up to 'h' (an <a/>, or the 'h' of <resume/>). */
  ack(h: number): AckResult<T> {
    const n = distance(this.ackedH, h);
    if (n > this.length) return { ok: false, sent: this.sent };
    const handled = this.items.slice(this.head, this.head + n);
    this.head += n;
    this.ackedH = h;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return { ok: true, handled };
  }

  /** The unacknowledged stanzas, oldest first, without removing them. */
  pending(): T[] {
    return this.items.slice(this.head);
  }

  /** Remove and return every unacknowledged stanza, oldest first (the queue is then empty, 'h' unchanged). */
  drain(): T[] {
    const rest = this.pending();
    this.ackedH = this.sent;
    this.items = [];
    this.head = 0;
    return rest;
  }
}
