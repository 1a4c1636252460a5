/**
 * Runs asynchronous work one task at a time per owner (an account), in the order it was queued, so that
 * storing, delivering and deleting one account's offline messages never interleave.
 */
export class OwnerQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(owner: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(owner) ?? Promise.resolve()).then(task);
    const tail = result.then(() => undefined, () => undefined);
    this.tails.set(owner, tail);
    void tail.then(() => { if (this.tails.get(owner) === tail) this.tails.delete(owner); });
    return result;
  }

  /** Owners with work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
