/**
 * Writes the server must not acknowledge before they are durable (DESIGN "Storage": archive writes may be batched,
 * but a message is acknowledged only once it is stored). A module that defers or batches a write `track`s it; a
 * module that acknowledges what a client sent (stream management's <a/>) runs its answer `after` every write
 * tracked until then. With nothing pending, `after` runs its function at once: the common case costs nothing.
 */
const settle = (): void => undefined;

export class WriteBarrier {
  /** Settles once every write tracked so far has (succeeded or failed); undefined when none is pending. */
  #tail: Promise<void> | undefined;

  /** A write under way; failures are the writer's to report, the barrier only waits for them to settle. */
  track(write: Promise<unknown>): void {
    const settled = write.then(settle, settle);
    const prev = this.#tail;
    const tail = prev === undefined ? settled : Promise.all([prev, settled]).then(settle);
    this.#tail = tail;
    void tail.then(() => {
      if (this.#tail === tail) this.#tail = undefined;
    });
  }

  /** Run `fn` once every write tracked before this call has settled: now when none is pending, else in that order. */
  after(fn: () => void): void {
    const tail = this.#tail;
    if (tail === undefined) fn();
    else void tail.then(fn);
  }

  /** Whether a tracked write has not settled yet. */
  get pending(): boolean {
    return this.#tail !== undefined;
  }
}
