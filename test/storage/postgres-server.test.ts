/**
 * A real server on PostgreSQL storage (`storage: { driver: postgres }`): accounts registered in-band (XEP-0077), a
 * message to an offline user kept in offline storage (XEP-0160), and both still there after a restart.
 */
import test from "ava";
import { POSTGRES_URL, dropSchema, randomSchema, requirePostgres, withClient } from "../helpers/postgres.js";
import { RawClient } from "../helpers/raw-client.js";
import { startRestartableServer, type RestartableServer } from "../helpers/restartable-server.js";

test.before(requirePostgres);

async function register(srv: RestartableServer, user: string, password: string): Promise<string> {
  const c = await RawClient.connect(srv.ports.plain);
  try {
    await c.open();
    c.send(`<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>${user}</username><password>${password}</password></query></iq>`);
    const reply = await c.until((el) => el.name === "iq" && el.attrs.id === "reg");
    return reply.attrs.type as string;
  } finally {
    c.destroy();
  }
}

/** The rows of `sql` in `schema` once their number satisfies `ok` (checked for up to 5 s). */
async function eventually(schema: string, sql: string, ok: (n: number) => boolean): Promise<unknown[]> {
  return withClient(async (c) => {
    for (let i = 0; ; i++) {
      const { rows } = await c.query(sql);
      if (ok(rows.length)) return rows;
      if (i === 250) throw new Error(`still ${rows.length} rows after 5 s: ${sql}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }, schema);
}

test("registered accounts and an offline message survive a restart on PostgreSQL", async (t) => {
  const schema = randomSchema();
  const clients: RawClient[] = [];
  const login = async (user: string, resource: string) => {
    const c = await RawClient.connect(srv.ports.plain);
    clients.push(c);
    await c.login(user, `secret-${user}`, resource);
    return c;
  };
  let srv = await startRestartableServer({ storage: { driver: "postgres", url: POSTGRES_URL, schema, poolSize: 4 } });
  t.teardown(async () => {
    for (const c of clients) c.destroy();
    await srv.stop();
    await dropSchema(schema);
  });

  t.is(await register(srv, "alice", "secret-alice"), "result");
  t.is(await register(srv, "bob", "secret-bob"), "result");
  t.is(await register(srv, "bob", "other"), "error", "the username is taken");
  t.deepEqual((await srv.server.storage.accounts.list("localhost")).map((a) => a.username), ["alice", "bob"]);

  // Bob is offline: the message goes to offline storage, in PostgreSQL.
  const alice = await login("alice", "pc");
  alice.send("<message to='bob@localhost' type='chat' id='m1'><body>kept in PostgreSQL</body></message>");
  alice.send("<iq type='get' id='ping' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
  t.is((await alice.until((el) => el.name === "iq" && el.attrs.id === "ping")).attrs.type, "result");
  // Storing runs after routing, in the account's queue: wait for the row (in the configured schema).
  const stored = await eventually(schema, "SELECT owner, with_jid FROM archive WHERE store = 'offline/messages'", (n) => n > 0);
  t.deepEqual(stored, [{ owner: "bob@localhost", with_jid: "alice@localhost" }]);

  alice.destroy();
  srv = await srv.restart();

  const bob = await login("bob", "phone");
  bob.send("<presence/>");
  const m = await bob.until((el) => el.name === "message");
  t.is(m.attrs.id, "m1");
  t.is(m.attrs.from, "alice@localhost/pc");
  t.is(m.getChildText("body"), "kept in PostgreSQL");
  t.is(m.getChild("delay", "urn:xmpp:delay")?.attrs.from, "localhost");
  await eventually(schema, "SELECT 1 FROM archive WHERE store = 'offline/messages'", (n) => n === 0);
});

test("a server whose PostgreSQL cannot be reached does not start, and says which database", async (t) => {
  // Port 1 on the loopback: nothing listens there.
  const url = "postgres://palaver:hidden-password@127.0.0.1:1/palaver";
  const err = await t.throwsAsync(startRestartableServer({ storage: { driver: "postgres", url } }));
  t.regex(err?.message ?? "", /^cannot open PostgreSQL database postgres:\/\/palaver@127\.0\.0\.1:1\/palaver: /);
  t.false(err?.message.includes("hidden-password"), "the password is not shown");
});
