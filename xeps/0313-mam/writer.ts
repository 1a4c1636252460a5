/**
 * Archive appends: batched per event-loop turn, in order per archive, off the delivery path.
 *
 * When: appends that need nothing else are queued while the router works and written together by a
 * `process.nextTick` scheduled with the first of them, i.e. as soon as the synchronous routing work of the current
 * turn is done: before any further input is read and before any timer runs. With the SQLite
 * driver the batch is one transaction (`appendMany`: one WAL commit for all its items; in bursts of 10 to 50
 * messages that measured under half the CPU per item of committing each), committed synchronously in that tick.
 * Routing never waits for storage. DESIGN ("Storage") asks that a message be durable before it is acknowledged:
 * every batch, and every write waiting behind a gate, is tracked by the server's write barrier (`durability`), which
 * stream management's <a/> waits for.
 *
 * Appends that must wait (whether an account with no session exists; a roster lookup for the roster policy) wait
 * behind a gate, and later appends to the same archive wait behind them, so every archive keeps the order in which
 * its messages were routed (XEP-0313 §3.1).
 *
 * Failures: a batch that fails is retried item by item (it was all or nothing), so one bad item costs only itself.
 * An item that cannot be written is logged at error level with its archive and id: that message was delivered with
 * a stanza-id the archive lacks (a client paging from it gets item-not-found and falls back to a query by time).
 * Holding each message until its write completed would put storage latency on every delivery, which the design
 * rules out; and with SQLite a failure here means the database itself is failing.
 */
import type { Logger } from "../../src/log.js";
import type { WriteBarrier } from "../../src/write-barrier.js";
import type { ArchiveAppend, ArchiveAppendTo, ArchiveStore } from "../../src/storage/types.js";

interface Entry extends ArchiveAppendTo {
  /** Called once the entry is written (or given up on). */
  done?: () => void;
}

export class ArchiveWriter {
  #batch: Entry[] = [];
  #scheduled = false;
  /** Settles the scheduled batch's commit promise, tracked by the write barrier since its first item was queued. */
  #commitDone: (() => void) | undefined;
  readonly #writing = new Set<Promise<void>>();
  /** Per archive: the last write that had to wait, which later ones of that archive wait for. */
  readonly #tails = new Map<string, Promise<void>>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly log: Logger,
    private readonly durability: Pick<WriteBarrier, "track">,
  ) {}

  /** Append `item` to `owner`'s archive: with this turn's batch, or, with a gate, once it resolves to true. */
  write(owner: string, item: ArchiveAppend, gate?: Promise<boolean>): void {
    const tail = this.#tails.get(owner);
    if (gate === undefined && tail === undefined) {
      this.#enqueue({ owner, item });
      return;
    }
    const next: Promise<void> = (async () => {
      if (tail !== undefined) await tail;
      if (gate !== undefined && !(await gate)) return;
      await new Promise<void>((done) => this.#enqueue({ owner, item, done }));
    })().catch((err) => this.#failed(owner, item, err));
    this.#tails.set(owner, next);
    this.durability.track(next);
    void next.then(() => {
      if (this.#tails.get(owner) === next) this.#tails.delete(owner);
    });
  }

  /** Wait until the writes started so far for `owner` (or for every archive) are written. */
  async settled(owner?: string): Promise<void> {
    if (owner !== undefined) await this.#tails.get(owner);
    else await Promise.all(this.#tails.values());
    if (this.#batch.length > 0) this.#flush();
    await Promise.all(this.#writing);
  }

  #enqueue(entry: Entry): void {
    this.#batch.push(entry);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // Tracked from now, not from the commit: an <r/> read later in this turn must wait for this batch.
      this.durability.track(new Promise<void>((resolve) => { this.#commitDone = resolve; }));
      process.nextTick(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#batch;
    const done = this.#commitDone;
    this.#commitDone = undefined;
    if (batch.length === 0) {
      done?.();
      return;
    }
    this.#batch = [];
    const writing = this.#commit(batch).finally(done);
    this.#writing.add(writing);
    void writing.then(() => this.#writing.delete(writing));
  }

  async #commit(batch: Entry[]): Promise<void> {
    try {
      if (this.store.appendMany && batch.length > 1) {
        await this.store.appendMany(batch);
      } else {
        for (const e of batch) await this.#one(e);
      }
    } catch {
      // All or nothing: nothing of the batch was written; each item alone, so only the bad ones fail.
      for (const e of batch) await this.#one(e);
    } finally {
      for (const e of batch) e.done?.();
    }
  }

  async #one(e: Entry): Promise<void> {
    try {
      await this.store.append(e.owner, e.item);
    } catch (err) {
      this.#failed(e.owner, e.item, err);
    }
  }

  #failed(owner: string, item: ArchiveAppend, err: unknown): void {
    this.log.error("message not archived; its recipient may hold a stanza-id the archive lacks", { owner, id: item.id, err });
  }
}
