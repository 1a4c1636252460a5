/** Prepared statements, compiled once per database and SQL text (better-sqlite3 has no cache of its own). */
import type Database from "better-sqlite3";

export type Statement = Database.Statement<unknown[], unknown>;

export class Statements {
  readonly #db: Database.Database;
  readonly #cache = new Map<string, Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  get(sql: string): Statement {
    let stmt = this.#cache.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare<unknown[], unknown>(sql);
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  /** How many distinct statements are cached (dynamic archive queries add one per filter combination). */
  get size(): number {
    return this.#cache.size;
  }
}
