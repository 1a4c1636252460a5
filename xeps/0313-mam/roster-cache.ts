/**
 * The contacts of the accounts whose archiving default is "roster" (XEP-0441 §3.1), kept in memory so that the
 * decision for each message stays synchronous: loaded once per account, then kept current from `roster:changed`.
 * Changes seen while a roster is being read are applied after it, in order, so none is lost or undone.
 */
import type { RosterApi } from "../../src/modules.js";

export class RosterCache {
  readonly #contacts = new Map<string, Set<string>>();
  readonly #loading = new Map<string, { changes: [string, boolean][]; done: Promise<void> }>();

  constructor(private readonly roster: RosterApi) {}

  /** Whether `contact` (a bare JID) is on `owner`'s roster; undefined when that roster is not loaded. */
  contains(owner: string, contact: string): boolean | undefined {
    return this.#contacts.get(owner)?.has(contact);
  }

  loaded(owner: string): boolean {
    return this.#contacts.has(owner);
  }

  /** Load `owner`'s roster (once; concurrent calls share the read). */
  load(owner: string): Promise<void> {
    if (this.#contacts.has(owner)) return Promise.resolve();
    const pending = this.#loading.get(owner);
    if (pending) return pending.done;
    const changes: [string, boolean][] = [];
    const done = this.roster.items(owner).then((items) => {
      const set = new Set(items.map((i) => i.jid));
      for (const [contact, removed] of changes) {
        if (removed) set.delete(contact);
        else set.add(contact);
      }
      this.#contacts.set(owner, set);
    }).finally(() => this.#loading.delete(owner));
    this.#loading.set(owner, { changes, done });
    return done;
  }

  /** A roster item was added, changed or removed. */
  changed(owner: string, contact: string, removed: boolean): void {
    const set = this.#contacts.get(owner);
    if (set) {
      if (removed) set.delete(contact);
      else set.add(contact);
    } else {
      this.#loading.get(owner)?.changes.push([contact, removed]);
    }
  }

  drop(owner: string): void {
    this.#contacts.delete(owner);
  }
}
