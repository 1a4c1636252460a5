/** KeyValStore on SQLite: one JSON value per (store, owner). */
import type { Json, KeyValStore } from "../types.js";
import type { Statements } from "./statements.js";

const GET = "SELECT value FROM keyval WHERE store = ? AND owner = ?";
const SET =
  "INSERT INTO keyval (store, owner, value) VALUES (?, ?, ?) " +
  "ON CONFLICT (store, owner) DO UPDATE SET value = excluded.value";
const DELETE = "DELETE FROM keyval WHERE store = ? AND owner = ?";

export class SqliteKeyValStore implements KeyValStore {
  constructor(private readonly sql: Statements, private readonly store: string) {}

  async get(owner: string): Promise<Json | undefined> {
    const value = this.sql.get(GET).pluck().get(this.store, owner) as string | undefined;
    return value === undefined ? undefined : (JSON.parse(value) as Json);
  }

  async set(owner: string, value: Json): Promise<void> {
    this.sql.get(SET).run(this.store, owner, JSON.stringify(value));
  }

  async delete(owner: string): Promise<void> {
    this.sql.get(DELETE).run(this.store, owner);
  }
}
