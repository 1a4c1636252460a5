/**
 * Sending notifications without flooding app servers (XEP-0357 §5), per registration (one device's app):
 * - at most one publish in flight: until the app server answers (or `timeout` passes), further events wait;
 * - at least `minInterval` between two publishes;
 * - events that wait are folded into one publish, carrying the latest message and the count of all of them.
 * The answer decides the registration's fate (outcome.ts): a permanent error disables it at once, transient ones
 * (and timeouts) after `maxErrors` in a row; a success resets that count.
 * Time and timers are given, so that every rule is tested without waiting.
 */
import type { Outcome } from "./outcome.js";
import type { Notice } from "./notice.js";
import { keyOf, type Registration } from "./registrations.js";

export interface Summary {
  /** Notifications since the account was last active (message-count). */
  count: number;
  notice: Notice;
}

export interface PusherDeps {
  /** Send the publish with this id to the registration's app server. */
  publish(owner: string, reg: Registration, summary: Summary, id: string): void;
  /** The registration is to be removed (permanent error, or too many transient ones). */
  disable(owner: string, reg: Registration, reason: string): void;
  now(): number;
  /** Run `fn` after `ms`; returns what cancels it. */
  schedule(fn: () => void, ms: number): () => void;
  newId(): string;
  minIntervalMs: number;
  timeoutMs: number;
  maxErrors: number;
}

interface Device {
  owner: string;
  reg: Registration;
  /** The publish waiting for its answer. */
  inFlight: { id: string; cancelTimeout: () => void } | null;
  lastSent: number;
  /** The latest event not yet published. */
  pending: Notice | null;
  /** A timer for the end of the minimum interval. */
  wake: (() => void) | null;
  errors: number;
}

export class Pusher {
  private readonly devices = new Map<string, Device>();
  private readonly byId = new Map<string, Device>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly d: PusherDeps) {}

  private static key(owner: string, reg: Pick<Registration, "jid" | "node">): string {
    return `${owner}\u0000${keyOf(reg)}`;
  }

  /** An event for `owner`, to be told to each of `regs`. */
  notify(owner: string, regs: readonly Registration[], notice: Notice): void {
    if (regs.length === 0) return;
    this.counts.set(owner, (this.counts.get(owner) ?? 0) + 1);
    for (const reg of regs) {
      const key = Pusher.key(owner, reg);
      let dev = this.devices.get(key);
      if (!dev) {
        dev = { owner, reg, inFlight: null, lastSent: -Infinity, pending: null, wake: null, errors: 0 };
        this.devices.set(key, dev);
      }
      dev.reg = reg; // the latest publish options (§4: the last enable request counts)
      dev.pending = notice;
      this.pump(dev);
    }
  }

  /** The account was active: counting starts again. */
  resetCount(owner: string): void {
    this.counts.delete(owner);
  }

  /**
   * The app server answered publish `id` (or did not, when `outcome` is "transient" from a timeout). False when the
   * id is not one of ours or the answer comes from another address (it is then ignored).
   */
  answer(id: string, from: string, outcome: Outcome): boolean {
    const dev = this.byId.get(id);
    if (!dev || from !== dev.reg.jid) return false;
    this.settle(dev, outcome);
    return true;
  }

  /** The registration is gone (disabled by the user): forget its state. */
  forget(owner: string, reg: Pick<Registration, "jid" | "node">): void {
    const key = Pusher.key(owner, reg);
    const dev = this.devices.get(key);
    if (!dev) return;
    this.devices.delete(key);
    this.stop(dev);
  }

  /** Drop the state of devices with nothing to do whose interval has passed (memory stays bounded). */
  prune(): void {
    const now = this.d.now();
    for (const [key, dev] of this.devices) {
      if (!dev.pending && !dev.inFlight && !dev.wake && dev.errors === 0 && dev.lastSent + this.d.minIntervalMs <= now) this.devices.delete(key);
    }
  }

  /** Devices with state (for tests and metrics). */
  get size(): number { return this.devices.size; }

  /** Cancel every timer (module unloaded). */
  close(): void {
    for (const dev of this.devices.values()) this.stop(dev);
    this.devices.clear();
  }

  private stop(dev: Device): void {
    if (dev.inFlight) { dev.inFlight.cancelTimeout(); this.byId.delete(dev.inFlight.id); dev.inFlight = null; }
    dev.wake?.();
    dev.wake = null;
    dev.pending = null;
  }

  private settle(dev: Device, outcome: Outcome): void {
    if (!dev.inFlight) return;
    dev.inFlight.cancelTimeout();
    this.byId.delete(dev.inFlight.id);
    dev.inFlight = null;
    if (outcome === "ok") dev.errors = 0;
    else if (outcome === "transient") dev.errors++;
    if (outcome === "permanent" || dev.errors >= this.d.maxErrors) {
      const reason = outcome === "permanent" ? "the app server refused the notification" : `${dev.errors} failed notifications in a row`;
      this.devices.delete(Pusher.key(dev.owner, dev.reg));
      this.stop(dev);
      this.d.disable(dev.owner, dev.reg, reason);
      return;
    }
    this.pump(dev);
  }

  private pump(dev: Device): void {
    if (!dev.pending || dev.inFlight || dev.wake) return;
    const wait = dev.lastSent + this.d.minIntervalMs - this.d.now();
    if (wait > 0) {
      dev.wake = this.d.schedule(() => { dev.wake = null; this.pump(dev); }, wait);
      return;
    }
    const id = this.d.newId();
    const notice = dev.pending;
    dev.pending = null;
    dev.lastSent = this.d.now();
    dev.inFlight = { id, cancelTimeout: this.d.schedule(() => this.settle(dev, "transient"), this.d.timeoutMs) };
    this.byId.set(id, dev);
    this.d.publish(dev.owner, dev.reg, { count: this.counts.get(dev.owner) ?? 1, notice }, id);
  }
}
