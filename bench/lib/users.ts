/**
 * The accounts scenarios log in as: u0, u1, ... on each domain, password "pw-<name>", created on demand by
 * in-band registration (XEP-0077) and remembered for the rest of the run, so a scenario asking for 10,000
 * users after one that asked for 100 only registers the 9,900 missing. A scenario whose accounts keep state that
 * would change other scenarios' work (rosters with 100 contacts, a large archive) uses a group of its own
 * (`prefix`): accounts <prefix>0, <prefix>1, ...
 */
import type { Account } from "../client/conn.js";
import { XmppConn } from "../client/conn.js";
import { describeErrors, openMany } from "../client/open.js";
import type { RunningServer } from "../servers/types.js";

export class UserPool {
  private readonly have = new Map<string, number>();

  constructor(private readonly server: () => RunningServer, private readonly log: (m: string) => void) {}

  account(i: number, domain = "localhost", prefix = "u"): Account {
    return { username: `${prefix}${i}`, domain, password: `pw-${prefix}${i}` };
  }

  /** Make sure accounts <prefix>0 .. <prefix>(count-1) exist on `domain`. */
  async ensure(count: number, domain = "localhost", prefix = "u"): Promise<void> {
    const key = `${prefix} ${domain}`;
    const from = this.have.get(key) ?? 0;
    if (count <= from) return;
    const server = this.server();
    if (!server.capabilities.has("ibr")) throw new Error(`${server.name}: no in-band registration, and no other way to create users yet`);
    const n = count - from;
    if (n >= 1000) this.log(`registering ${n} users on ${domain}`);
    const r = await openMany(n, { rate: Infinity, concurrency: 8, progress: (d) => { if (d % 5000 === 0) this.log(`  ${d}/${n} registered`); } },
      (i) => XmppConn.register(server.tcp, this.account(from + i, domain, prefix)));
    if (r.failures) throw new Error(`could not register ${r.failures} of ${n} users: ${describeErrors(r.errors)}`);
    this.have.set(key, count);
  }
}
