/**
 * A bystander: a client logged in on the same server as a test that misbehaves, which checks that the server
 * still answers it. Pings are serialised so concurrent tests can share one watcher.
 */
import { RawClient } from "./raw-client.js";
import type { TestServer } from "./server.js";

export class Watcher {
  private chain: Promise<unknown> = Promise.resolve();
  private seq = 0;

  private constructor(readonly client: RawClient, readonly jid: string) {}

  /** Create the account `user@localhost` and log it in on the plaintext listener. */
  static async start(srv: TestServer, user = "watcher"): Promise<Watcher> {
    await srv.addUser(`${user}@${srv.domain}`, "watching");
    const client = await RawClient.connect(srv.ports.plain);
    const jid = await client.login(user, "watching", "watch");
    return new Watcher(client, jid);
  }

  /** Ping the server; resolves with the reply's type ("result" when all is well). */
  ping(): Promise<string> {
    const run = async () => {
      const id = `watch-${++this.seq}`;
      this.client.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
      const reply = await this.client.until((el) => el.name === "iq" && el.attrs.id === id, 15_000);
      return reply.attrs.type ?? "";
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.client.destroy();
  }
}
