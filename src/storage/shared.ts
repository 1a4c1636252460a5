/** Pieces every storage driver uses the same way. */
import type { ArchiveItem, ArchivePage, Json } from "./types.js";

/** One store per name, made on first use. Names come from module declarations (`module/name`), never empty. */
export function byName<T>(cache: Map<string, T>, name: string, make: () => T): T {
  if (name === "") throw new Error("a store name must not be empty");
  let store = cache.get(name);
  if (store === undefined) {
    store = make();
    cache.set(name, store);
  }
  return store;
}

/** An archive item as both drivers' queries select it (the value as JSON text). */
export interface ArchiveItemRow {
  id: string;
  when_ms: number;
  with_jid: string;
  value: string;
}

export function archiveItem(row: ArchiveItemRow): ArchiveItem {
  return { id: row.id, when: Number(row.when_ms), with: row.with_jid, value: JSON.parse(row.value) as Json };
}

export const emptyPage = (): ArchivePage => ({ ok: true, items: [], complete: true, count: 0 });
export const itemNotFound = (): ArchivePage => ({ ok: false, error: "item-not-found" });
