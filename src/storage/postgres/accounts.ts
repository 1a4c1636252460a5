/** AccountStore on PostgreSQL: SCRAM credentials (never a password) as JSON per (domain, username). */
import type { AccountStore, StoredCredentials } from "../types.js";
import type { Db } from "./db.js";

const GET = "SELECT credentials FROM accounts WHERE domain = $1 AND username = $2";
const CREATE =
  "INSERT INTO accounts (domain, username, credentials, created) VALUES ($1, $2, $3, $4) " +
  "ON CONFLICT (domain, username) DO NOTHING";
const SET = "UPDATE accounts SET credentials = $1 WHERE domain = $2 AND username = $3";
const DELETE = "DELETE FROM accounts WHERE domain = $1 AND username = $2";
const LIST_DOMAIN = "SELECT domain, username FROM accounts WHERE domain = $1 ORDER BY username";
const LIST_ALL = "SELECT domain, username FROM accounts ORDER BY domain, username";

export class PostgresAccountStore implements AccountStore {
  constructor(private readonly db: Db) {}

  async get(domain: string, username: string): Promise<StoredCredentials | undefined> {
    const json = await this.db.value<string>(GET, [domain, username]);
    return json === undefined ? undefined : (JSON.parse(json) as StoredCredentials);
  }

  async create(domain: string, username: string, credentials: StoredCredentials): Promise<boolean> {
    const r = await this.db.query(CREATE, [domain, username, JSON.stringify(credentials), Date.now()]);
    return r.rowCount === 1;
  }

  async setCredentials(domain: string, username: string, credentials: StoredCredentials): Promise<boolean> {
    return (await this.db.query(SET, [JSON.stringify(credentials), domain, username])).rowCount === 1;
  }

  async delete(domain: string, username: string): Promise<boolean> {
    return (await this.db.query(DELETE, [domain, username])).rowCount === 1;
  }

  async list(domain?: string): Promise<{ domain: string; username: string }[]> {
    const r = domain === undefined
      ? await this.db.query<{ domain: string; username: string }>(LIST_ALL)
      : await this.db.query<{ domain: string; username: string }>(LIST_DOMAIN, [domain]);
    return r.rows;
  }
}
