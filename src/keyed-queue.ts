/**
 * Runs asynchronous tasks one at a time per key (an account's bare JID), in the order they were queued, so
 * read-modify-write changes of one roster never interleave and one account's presence broadcasts leave in the
 * order its clients sent them. Tasks of different keys run concurrently.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(task);
    const tail = result.then(() => undefined, () => undefined);
    this.tails.set(key, tail);
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key); });
    return result;
  }

  /** Keys with queued or running tasks (for tests and diagnostics). */
  get size(): number {
    return this.tails.size;
  }
}
