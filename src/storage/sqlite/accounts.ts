/** AccountStore on SQLite: SCRAM credentials (never a password) as JSON per (domain, username). */
import type { AccountStore, StoredCredentials } from "../types.js";
import type { Statements } from "./statements.js";

const GET = "SELECT credentials FROM accounts WHERE domain = ? AND username = ?";
const CREATE =
  "INSERT INTO accounts (domain, username, credentials, created) VALUES (?, ?, ?, ?) " +
  "ON CONFLICT (domain, username) DO NOTHING";
const SET = "UPDATE accounts SET credentials = ? WHERE domain = ? AND username = ?";
const DELETE = "DELETE FROM accounts WHERE domain = ? AND username = ?";
const LIST_DOMAIN = "SELECT domain, username FROM accounts WHERE domain = ? ORDER BY username";
const LIST_ALL = "SELECT domain, username FROM accounts ORDER BY domain, username";

export class SqliteAccountStore implements AccountStore {
  constructor(private readonly sql: Statements) {}

  async get(domain: string, username: string): Promise<StoredCredentials | undefined> {
    const json = this.sql.get(GET).pluck().get(domain, username) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as StoredCredentials);
  }

  async create(domain: string, username: string, credentials: StoredCredentials): Promise<boolean> {
    return this.sql.get(CREATE).run(domain, username, JSON.stringify(credentials), Date.now()).changes === 1;
  }

  async setCredentials(domain: string, username: string, credentials: StoredCredentials): Promise<boolean> {
    return this.sql.get(SET).run(JSON.stringify(credentials), domain, username).changes === 1;
  }

  async delete(domain: string, username: string): Promise<boolean> {
    return this.sql.get(DELETE).run(domain, username).changes === 1;
  }

  async list(domain?: string): Promise<{ domain: string; username: string }[]> {
    const rows = domain === undefined ? this.sql.get(LIST_ALL).all() : this.sql.get(LIST_DOMAIN).all(domain);
    return rows as { domain: string; username: string }[];
  }
}
