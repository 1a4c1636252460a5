/** MapStore on PostgreSQL: JSON values by (store, owner, key); `all` in key order (COLLATE "C": UTF-8 byte order). */
import type { Json, MapStore } from "../types.js";
import type { Db } from "./db.js";

const GET = "SELECT value FROM map WHERE store = $1 AND owner = $2 AND key = $3";
const SET =
  "INSERT INTO map (store, owner, key, value) VALUES ($1, $2, $3, $4) " +
  "ON CONFLICT (store, owner, key) DO UPDATE SET value = excluded.value";
const DELETE = "DELETE FROM map WHERE store = $1 AND owner = $2 AND key = $3";
const ALL = "SELECT key, value FROM map WHERE store = $1 AND owner = $2 ORDER BY key";
const CLEAR = "DELETE FROM map WHERE store = $1 AND owner = $2";

export class PostgresMapStore implements MapStore {
  constructor(private readonly db: Db, private readonly store: string) {}

  async get(owner: string, key: string): Promise<Json | undefined> {
    const value = await this.db.value<string>(GET, [this.store, owner, key]);
    return value === undefined ? undefined : (JSON.parse(value) as Json);
  }

  async set(owner: string, key: string, value: Json): Promise<void> {
    await this.db.query(SET, [this.store, owner, key, JSON.stringify(value)]);
  }

  async delete(owner: string, key: string): Promise<void> {
    await this.db.query(DELETE, [this.store, owner, key]);
  }

  async all(owner: string): Promise<Map<string, Json>> {
    const r = await this.db.query<{ key: string; value: string }>(ALL, [this.store, owner]);
    return new Map(r.rows.map((row) => [row.key, JSON.parse(row.value) as Json]));
  }

  async clear(owner: string): Promise<void> {
    await this.db.query(CLEAR, [this.store, owner]);
  }
}
