/** KeyValStore on PostgreSQL: one JSON value per (store, owner). */
import type { Json, KeyValStore } from "../types.js";
import type { Db } from "./db.js";

const GET = "SELECT value FROM keyval WHERE store = $1 AND owner = $2";
const SET =
  "INSERT INTO keyval (store, owner, value) VALUES ($1, $2, $3) " +
  "ON CONFLICT (store, owner) DO UPDATE SET value = excluded.value";
const DELETE = "DELETE FROM keyval WHERE store = $1 AND owner = $2";

export class PostgresKeyValStore implements KeyValStore {
  constructor(private readonly db: Db, private readonly store: string) {}

  async get(owner: string): Promise<Json | undefined> {
    const value = await this.db.value<string>(GET, [this.store, owner]);
    return value === undefined ? undefined : (JSON.parse(value) as Json);
  }

  async set(owner: string, value: Json): Promise<void> {
    await this.db.query(SET, [this.store, owner, JSON.stringify(value)]);
  }

  async delete(owner: string): Promise<void> {
    await this.db.query(DELETE, [this.store, owner]);
  }
}
