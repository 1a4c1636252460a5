/**
 * Archive appends: batched per event-loop turn, in order per archive, off the delivery path.
 *
 * When: appends that need nothing else are queued while the router works and written together, as one batch,
 * `gatherMs` (5) after the first of them, or at once when the batch reaches MAX_BATCH items. With the SQLite driver a
 * batch is one transaction (`appendMany`), and a commit costs much more than the items in it: it writes every index
 * page the batch touched to the WAL, and each message touches pages of two archives. Committing each message of a
 * chat at 2,000 messages/s on its own measured 3.5 times the CPU of routing it; a few ms of gathering lets one
 * commit carry several messages. Routing never waits for storage. DESIGN ("Storage") asks that a message be durable
 * before it is acknowledged: every batch, and every write waiting behind a gate, is tracked by the server's write
 * barrier (`durability`), which stream management's <a/> waits for; an archive query, and unloading, write the
 * batch at once (`settled`). The price: a crash of the process loses what was gathered in those few ms (delivered,
 * not archived, and not acknowledged to a client using stream management).
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

/** Most items in one batch; a full batch is written without waiting for the rest of the gathering time. */
const MAX_BATCH = 1000;

interface Entry extends ArchiveAppendTo {
  /** Called once the entry is written (or given up on). */
  done?: () => void;
}

export class ArchiveWriter {
  #batch: Entry[] = [];
  /** The pending batch's timer; undefined when nothing is scheduled, null when it is written at the next tick. */
  #timer: NodeJS.Timeout | null | undefined;
  /** Settles the scheduled batch's commit promise, tracked by the write barrier since its first item was queued. */
  #commitDone: (() => void) | undefined;
  readonly #writing = new Set<Promise<void>>();
  /** Per archive: the last write that had to wait, which later ones of that archive wait for. */
  readonly #tails = new Map<string, Promise<void>>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly log: Logger,
    private readonly durability: Pick<WriteBarrier, "track">,
    /** How long a batch gathers appends before it is written; 0: at the end of the current turn. */
    private readonly gatherMs = 5,
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
    if (this.#timer === undefined) {
      // Tracked from now, not from the commit: an <r/> read later in this turn must wait for this batch.
      this.durability.track(new Promise<void>((resolve) => { this.#commitDone = resolve; }));
      if (this.gatherMs > 0) {
        this.#timer = setTimeout(() => this.#flush(), this.gatherMs);
        return;
      }
      this.#timer = null;
      process.nextTick(() => this.#flush());
    } else if (this.#timer !== null && this.#batch.length >= MAX_BATCH) {
      clearTimeout(this.#timer);
      this.#timer = null;
      process.nextTick(() => this.#flush());
    }
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
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
