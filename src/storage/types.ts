/**
 * Storage interfaces. Asynchronous so the same module code runs on SQLite (default) and PostgreSQL.
 * Data is kept by kind, as Prosody does: keyval (one value per owner), map (values by key per owner),
 * archive (an ordered, queryable log per owner). An owner is a bare JID or a domain.
 */

/** A JSON-serialisable value. XML is stored as its serialised string. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface KeyValStore {
  get(owner: string): Promise<Json | undefined>;
  set(owner: string, value: Json): Promise<void>;
  delete(owner: string): Promise<void>;
}

export interface MapStore {
  get(owner: string, key: string): Promise<Json | undefined>;
  set(owner: string, key: string, value: Json): Promise<void>;
  delete(owner: string, key: string): Promise<void>;
  /** Every key and value of one owner, in key order. */
  all(owner: string): Promise<Map<string, Json>>;
  /** Remove everything of one owner (account removal). */
  clear(owner: string): Promise<void>;
}

export interface ArchiveItem {
  /** Stable id, unique within the store (used as XEP-0359 stanza-id and RSM key). */
  id: string;
  /** Milliseconds since the epoch. */
  when: number;
  /** The other party (a bare JID), for `with` filtering; "" when not applicable. */
  with: string;
  value: Json;
}

export interface ArchiveAppend {
  /** Given ids are kept (must be unique); otherwise the store makes one. */
  id?: string;
  when?: number;
  with?: string;
  value: Json;
  /** Text to index for full-text search. */
  text?: string;
}

/** One item of `appendMany`, with its owner. */
export interface ArchiveAppendTo {
  owner: string;
  item: ArchiveAppend;
}

export interface ArchiveQuery {
  with?: string;
  start?: number;
  end?: number;
  /** RSM: items strictly after / before this id (XEP-0059). `before: ""` means "the last page". */
  after?: string;
  before?: string;
  /**
   * Bounds of the result set itself (XEP-0313 `after-id` / `before-id`): only items strictly after / before this id.
   * Unlike `after` / `before` they are filters (`count` counts only the items between them) and do not set the paging
   * direction, so they combine with either cursor. An unknown id is item-not-found, as for the cursors.
   */
  afterId?: string;
  beforeId?: string;
  ids?: string[];
  fulltext?: string;
  limit?: number;
}

export type ArchivePage =
  | { ok: true; items: ArchiveItem[]; complete: boolean; count: number }
  | { ok: false; error: "item-not-found" };

export interface ArchiveStore {
  append(owner: string, item: ArchiveAppend): Promise<string>;
  /**
   * Append several items, of one or several owners, in this order and atomically: all of them or, when the promise
   * rejects, none. Returns their ids in order. Optional: a driver offers it where one call costs much less than as many
   * `append`s (SQLite: one transaction, one WAL commit); callers fall back to `append`.
   */
  appendMany?(items: readonly ArchiveAppendTo[]): Promise<string[]>;
  query(owner: string, q: ArchiveQuery): Promise<ArchivePage>;
  /**
   * Replace one item's value, keeping its id, time, `with` and place in the order (a moderated retraction leaves a
   * tombstone, XEP-0425); its full-text entry becomes `text` (none when absent). false when there is no such item.
   */
  replace(owner: string, id: string, value: Json, text?: string): Promise<boolean>;
  /** Remove items older than `before` (ms), or all of one owner's items when omitted. Returns how many. */
  delete(owner: string, before?: number): Promise<number>;
  /** Remove items of every owner older than `before` (retention). */
  expire(before: number): Promise<number>;
}

/** SCRAM keys for one hash function (RFC 5802 §3): the password itself is never stored. */
export interface ScramKeys {
  salt: string;        // base64
  iterations: number;
  storedKey: string;   // base64
  serverKey: string;   // base64
}

export interface StoredCredentials {
  "SCRAM-SHA-1": ScramKeys;
  "SCRAM-SHA-256": ScramKeys;
}

export interface AccountStore {
  get(domain: string, username: string): Promise<StoredCredentials | undefined>;
  /** false when the account exists already. */
  create(domain: string, username: string, credentials: StoredCredentials): Promise<boolean>;
  /** false when there is no such account. */
  setCredentials(domain: string, username: string, credentials: StoredCredentials): Promise<boolean>;
  /** false when there is no such account. */
  delete(domain: string, username: string): Promise<boolean>;
  list(domain?: string): Promise<{ domain: string; username: string }[]>;
}

/** One storage backend. Store names are `module/name`, declared by modules in their `storage`. */
export interface Storage {
  readonly accounts: AccountStore;
  keyval(name: string): KeyValStore;
  map(name: string): MapStore;
  archive(name: string): ArchiveStore;
  /**
   * A new archive item id (XEP-0359 stanza-id, XEP-0313 archive id) that this storage indexes cheaply: opaque and
   * unpredictable like any stanza id, but appended near the other new ids in its index (SQLite: archive-id.ts).
   * Stamp live messages with these when they will be archived, so the live id is the archive id.
   */
  newArchiveId(): string;
  close(): Promise<void>;
}
