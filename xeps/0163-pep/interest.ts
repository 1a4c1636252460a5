/**
 * Who is listening to each PEP service: for every account, the available resources it has presence from (its
 * own, its contacts', and entities that sent it directed presence) and the nodes each one wants notifications
 * for (XEP-0163 §4.2 filtered notifications). Kept in memory: it is rebuilt from presence after a restart.
 *
 * A resource's interests are learnt asynchronously (a caps question may be needed), so each entry remembers
 * which caps it was announced with; an answer about caps the resource no longer advertises is ignored.
 */

interface Entry {
  /** The caps key the resource last advertised ("" for none). */
  caps: string;
  /** Nodes with +notify, once known for the caps advertised before (null before the first answer). */
  nodes: ReadonlySet<string> | null;
}

export type Arrival = "new" | "changed" | "same";

const bareOf = (full: string) => {
  const slash = full.indexOf("/");
  return slash === -1 ? full : full.slice(0, slash);
};

export class InterestTable {
  private readonly owners = new Map<string, Map<string, Entry>>();

  /** `maxPerOwner` bounds what one account's listeners may take (directed presence from anyone adds some). */
  constructor(private readonly maxPerOwner = 10_000) {}

  /**
   * Available presence from `full` reached `owner`'s service. "new" is initial presence (XEP-0163 §4.3.3 note:
   * only that triggers the last items), "changed" a presence with other caps, "same" anything else; "full" when
   * the account has as many listeners as it may, and this one is not recorded.
   */
  available(owner: string, full: string, caps: string): Arrival | "full" {
    let table = this.owners.get(owner);
    if (!table) this.owners.set(owner, (table = new Map()));
    const entry = table.get(full);
    if (!entry) {
      if (table.size >= this.maxPerOwner) return "full";
      table.set(full, { caps, nodes: null });
      return "new";
    }
    if (entry.caps === caps) return "same";
    entry.caps = caps;
    return "changed";
  }

  /**
   * The nodes `full` wants, learnt from the caps `caps`. Returns the nodes that were not of interest before
   * (to send their last items), or null when the answer is stale (the resource left or changed its caps).
   */
  resolved(owner: string, full: string, caps: string, nodes: ReadonlySet<string>): string[] | null {
    const entry = this.owners.get(owner)?.get(full);
    if (!entry || entry.caps !== caps) return null;
    const added = [...nodes].filter((n) => !entry.nodes?.has(n));
    entry.nodes = nodes;
    return added;
  }

  unavailable(owner: string, full: string): void {
    const table = this.owners.get(owner);
    if (!table) return;
    table.delete(full);
    if (table.size === 0) this.owners.delete(owner);
  }

  has(owner: string, full: string): boolean {
    return this.owners.get(owner)?.has(full) ?? false;
  }

  dropOwner(owner: string): void {
    this.owners.delete(owner);
  }

  /** The resources listening to `owner` that want `node`, as full JIDs. */
  interested(owner: string, node: string): string[] {
    const out: string[] = [];
    for (const [full, e] of this.owners.get(owner) ?? []) if (e.nodes?.has(node)) out.push(full);
    return out;
  }

  /** The same, among the resources of one bare JID. */
  interestedOf(owner: string, bare: string, node: string): string[] {
    return this.interested(owner, node).filter((f) => bareOf(f) === bare);
  }

  clear(): void {
    this.owners.clear();
  }
}
