/**
 * Archive appends, in order per archive, started at routing time.
 *
 * Durability (DESIGN "Storage": durable before acknowledgement, off the delivery path): an append that needs nothing
 * else is started at once, inside the routing hook, before the message is delivered. With the SQLite driver the
 * INSERT runs synchronously inside `append`, so it is committed before the core hands the message to any session and
 * before a stream-management ack can be sent for it; with an asynchronous driver it is in flight then. Routing never
 * waits for it. An append that must wait (whether an account with no session exists; a roster lookup for the roster
 * policy) waits behind a gate, and later appends to the same archive wait behind it, so the archive keeps the order
 * in which messages were routed (§3.1).
 *
 * A failed append is logged at error level with the archive and the id. The message has then been delivered with a
 * stanza-id the archive lacks (a client paging from it gets item-not-found and falls back to a time-based query);
 * holding every message until its write completes would put storage latency on every delivery, which the design
 * rules out, and with SQLite a failure here means the database itself is failing.
 */
import type { Logger } from "../../src/log.js";
import type { ArchiveAppend, ArchiveStore } from "../../src/storage/types.js";

export class ArchiveWriter {
  readonly #tails = new Map<string, Promise<void>>();

  constructor(private readonly store: ArchiveStore, private readonly log: Logger) {}

  /** Append `item` to `owner`'s archive, now or, with a gate, once it resolves to true (in order per owner). */
  write(owner: string, item: ArchiveAppend, gate?: Promise<boolean>): void {
    const tail = this.#tails.get(owner);
    if (gate === undefined && tail === undefined) {
      this.store.append(owner, item).catch((err) => this.#failed(owner, item, err));
      return;
    }
    const next: Promise<void> = (async () => {
      if (tail !== undefined) await tail;
      if (gate !== undefined && !(await gate)) return;
      await this.store.append(owner, item);
    })().catch((err) => this.#failed(owner, item, err));
    this.#tails.set(owner, next);
    void next.then(() => {
      if (this.#tails.get(owner) === next) this.#tails.delete(owner);
    });
  }

  /** Wait until the writes started so far for `owner` (or for every archive) are done. */
  async settled(owner?: string): Promise<void> {
    if (owner !== undefined) await this.#tails.get(owner);
    else await Promise.all(this.#tails.values());
  }

  #failed(owner: string, item: ArchiveAppend, err: unknown): void {
    this.log.error("message not archived; its recipient may hold a stanza-id the archive lacks", { owner, id: item.id, err });
  }
}
