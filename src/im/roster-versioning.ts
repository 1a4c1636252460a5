/**
 * RFC 6121 §2.6 roster versioning, as pure decisions. A version string is `<epoch>-<n>`: `n` counts the
 * roster modifications of the account, `epoch` is drawn when the roster first changes, so a version cached for
 * a deleted and re-created account never matches the new roster. An untouched roster is version "0".
 * Removals are kept as tombstones so a client can learn of them (§2.6.3); the oldest are pruned, and `floor`
 * is the newest version whose tombstones may be gone: changes since an older version cannot be told.
 */

/** The version counters of one roster. */
export interface VersionState {
  readonly epoch: string;
  readonly ver: number;
  /** Changes since a version below this cannot be reconstructed (pruned tombstones). */
  readonly floor: number;
}

export const INITIAL_VERSION: VersionState = Object.freeze({ epoch: "", ver: 0, floor: 0 });

export function formatVersion(epoch: string, ver: number): string {
  return ver === 0 || epoch === "" ? "0" : `${epoch}-${ver}`;
}

export function parseVersion(s: string): { epoch: string; ver: number } | null {
  if (s === "0") return { epoch: "", ver: 0 };
  const m = /^([a-z0-9]{1,32})-(\d{1,15})$/.exec(s);
  return m ? { epoch: m[1]!, ver: Number(m[2]) } : null;
}

export type GetPlan =
  /** Return the whole roster with the current version (§2.1.4). */
  | { kind: "full" }
  /** Return an empty IQ result: the client's cache is current (§2.6.3). */
  | { kind: "current" }
  /** Return an empty IQ result, then one interim roster push per item changed since `since` (§2.6.3). */
  | { kind: "pushes"; since: number };

/**
 * What to answer a roster get carrying `requested` as its 'ver' (undefined when the client did not include
 * one). §2.6.2: ver="" asks to bootstrap versioning (full roster); §2.6.3: a version the server cannot
 * associate with its history gets the full roster too.
 */
export function planRosterGet(requested: string | undefined, current: VersionState): GetPlan {
  if (requested === undefined || requested === "") return { kind: "full" };
  const v = parseVersion(requested);
  if (!v || v.epoch !== (current.ver === 0 ? "" : current.epoch) || v.ver > current.ver || v.ver < current.floor) return { kind: "full" };
  if (v.ver === current.ver) return { kind: "current" };
  return { kind: "pushes", since: v.ver };
}

/**
 * §2.6.3: interim pushes are preferred "unless returning the complete roster would use less bandwidth",
 * which is the case when more entries changed than the roster now holds.
 */
export function preferFullRoster(changed: number, items: number): boolean {
  return changed > items;
}
