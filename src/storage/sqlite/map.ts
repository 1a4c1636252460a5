/** MapStore on SQLite: JSON values by (store, owner, key); `all` in key order (binary, i.e. UTF-8 byte order). */
import type { Json, MapStore } from "../types.js";
import type { Statements } from "./statements.js";

const GET = "SELECT value FROM map WHERE store = ? AND owner = ? AND key = ?";
const SET =
  "INSERT INTO map (store, owner, key, value) VALUES (?, ?, ?, ?) " +
  "ON CONFLICT (store, owner, key) DO UPDATE SET value = excluded.value";
const DELETE = "DELETE FROM map WHERE store = ? AND owner = ? AND key = ?";
const ALL = "SELECT key, value FROM map WHERE store = ? AND owner = ? ORDER BY key";
const CLEAR = "DELETE FROM map WHERE store = ? AND owner = ?";

export class SqliteMapStore implements MapStore {
  constructor(private readonly sql: Statements, private readonly store: string) {}

  async get(owner: string, key: string): Promise<Json | undefined> {
    const value = this.sql.get(GET).pluck().get(this.store, owner, key) as string | undefined;
    return value === undefined ? undefined : (JSON.parse(value) as Json);
  }

  async set(owner: string, key: string, value: Json): Promise<void> {
    this.sql.get(SET).run(this.store, owner, key, JSON.stringify(value));
  }

  async delete(owner: string, key: string): Promise<void> {
    this.sql.get(DELETE).run(this.store, owner, key);
  }

  async all(owner: string): Promise<Map<string, Json>> {
    const rows = this.sql.get(ALL).all(this.store, owner) as { key: string; value: string }[];
    return new Map(rows.map((r) => [r.key, JSON.parse(r.value) as Json]));
  }

  async clear(owner: string): Promise<void> {
    this.sql.get(CLEAR).run(this.store, owner);
  }
}
