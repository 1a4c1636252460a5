/**
 * Item order and the max_items limit (XEP-0060 §7.1.2 "Node is full": the oldest items go first, "retract-oldest"
 * being the default behaviour), as pure functions over the list of item ids, oldest first.
 */

export interface Publication {
  /** Item ids after the publication, oldest first. */
  order: string[];
  /** Items that fell out because the node was full (to delete, and to notify as retracted). */
  dropped: string[];
  /** Whether the id replaced an existing item (§7.1.2: re-publication is modification). */
  replaced: boolean;
}

/**
 * Publishing `id` makes it the newest item (a re-published id moves to the end); then the oldest items beyond
 * `max` are dropped.
 */
export function publishOrder(order: readonly string[], id: string, max: number): Publication {
  const replaced = order.includes(id);
  const next = order.filter((x) => x !== id);
  next.push(id);
  const excess = Math.max(0, next.length - Math.max(1, max));
  return { order: next.slice(excess), dropped: next.slice(0, excess), replaced };
}

/** A smaller max_items (a new configuration): which items to keep and which to drop, oldest dropped first. */
export function trimOrder(order: readonly string[], max: number): { order: string[]; dropped: string[] } {
  const excess = Math.max(0, order.length - Math.max(1, max));
  return { order: order.slice(excess), dropped: order.slice(0, excess) };
}

/** §6.5.7 max_items: the `n` most recent item ids, in publication order. */
export function mostRecent(order: readonly string[], n: number): string[] {
  return n >= order.length ? [...order] : order.slice(order.length - n);
}
