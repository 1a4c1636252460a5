/**
 * What an inactive client's session holds back (XEP-0352 §1), in arrival order: an item with a key replaces the held
 * item with the same key, and takes its place at the end (the newest state goes out where it arrived, after whatever
 * came before it, so nothing is delivered ahead of something that preceded it).
 */
export class HeldStanzas<T> {
  /** Arrival order; superseded entries become null until the next drain. */
  private entries: Array<T | null> = [];
  private readonly byKey = new Map<string, number>();
  private live = 0;

  /** How many items are held. */
  get size(): number { return this.live; }

  add(item: T, key?: string): void {
    if (key !== undefined) {
      const previous = this.byKey.get(key);
      if (previous !== undefined) {
        this.entries[previous] = null;
        this.live--;
      }
      this.byKey.set(key, this.entries.length);
    }
    this.entries.push(item);
    this.live++;
    // Many superseded entries (a flood of presence from few contacts): compact so memory follows `size`.
    if (this.entries.length > 64 && this.entries.length > this.live * 4) this.compact();
  }

  /** Everything held, in order; the buffer is empty afterwards. */
  drain(): T[] {
    const out = this.entries.filter((e): e is T => e !== null);
    this.entries = [];
    this.byKey.clear();
    this.live = 0;
    return out;
  }

  private compact(): void {
    const keyAt = new Map<number, string>();
    for (const [key, index] of this.byKey) keyAt.set(index, key);
    const entries: T[] = [];
    this.byKey.clear();
    this.entries.forEach((e, i) => {
      if (e === null) return;
      const key = keyAt.get(i);
      if (key !== undefined) this.byKey.set(key, entries.length);
      entries.push(e);
    });
    this.entries = entries;
  }
}
