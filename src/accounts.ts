/**
 * Account management on top of the account store: usernames prepared (RFC 7622 §3.3), passwords turned into
 * SCRAM keys (never stored in clear), and the account hooks fired so modules can set up or remove their data.
 */
import type { HookBus } from "./hooks.js";
import { Jid, prepLocal } from "./jid.js";
import type { AccountsApi, ServerInfo } from "./modules.js";
import { deriveCredentials } from "./sasl/credentials.js";
import type { AccountStore } from "./storage/types.js";

export class Accounts implements AccountsApi {
  constructor(
    private readonly store: AccountStore,
    private readonly hooks: HookBus,
    private readonly server: ServerInfo,
    private readonly iterations: number,
  ) {}

  private key(jid: Jid): { domain: string; username: string } | null {
    if (!jid.local || !this.server.isLocalHost(jid.domain)) return null;
    const local = prepLocal(jid.local);
    return local.ok ? { domain: jid.domain, username: local.value } : null;
  }

  async exists(jid: Jid): Promise<boolean> {
    const k = this.key(jid);
    return k ? (await this.store.get(k.domain, k.username)) !== undefined : false;
  }

  async create(jid: Jid, password: string): ReturnType<AccountsApi["create"]> {
    const k = this.key(jid);
    if (!k) return { ok: false, error: "bad-username" };
    const creds = await deriveCredentials(password, this.iterations);
    if (!creds.ok) return { ok: false, error: "bad-password" };
    if (!(await this.store.create(k.domain, k.username, creds.credentials))) return { ok: false, error: "conflict" };
    this.hooks.fire("account:created", { jid: Jid.ofPrepared(k.username, k.domain) });
    return { ok: true };
  }

  async setPassword(jid: Jid, password: string): ReturnType<AccountsApi["setPassword"]> {
    const k = this.key(jid);
    if (!k) return { ok: false, error: "not-found" };
    const creds = await deriveCredentials(password, this.iterations);
    if (!creds.ok) return { ok: false, error: "bad-password" };
    return (await this.store.setCredentials(k.domain, k.username, creds.credentials)) ? { ok: true } : { ok: false, error: "not-found" };
  }

  async delete(jid: Jid): Promise<boolean> {
    const k = this.key(jid);
    if (!k || !(await this.store.delete(k.domain, k.username))) return false;
    this.hooks.fire("account:deleted", { jid: Jid.ofPrepared(k.username, k.domain) });
    return true;
  }

  async list(domain?: string): Promise<Jid[]> {
    return (await this.store.list(domain)).map((a) => Jid.ofPrepared(a.username, a.domain));
  }
}
