/**
 * The muc module without sockets: loaded into a module registry over an in-memory database, stanzas routed to
 * it by the router; its API for other modules (mucApi) answers who is in which room under which nick.
 */
import test from "ava";
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { HookBus } from "../../src/hooks.js";
import { jid } from "../../src/jid.js";
import { configureLogging, rootLogger } from "../../src/log.js";
import { ModuleRegistry } from "../../src/module-registry.js";
import type { ServerInfo } from "../../src/modules.js";
import { Router } from "../../src/router.js";
import type { ClientSession } from "../../src/session/types.js";
import { openSqliteStorage } from "../../src/storage/sqlite/index.js";
import muc, { mucApi } from "../../xeps/0045-muc/index.js";
import { mucOptionsSchema } from "../../xeps/0045-muc/options.js";

configureLogging("error");

test("mucApi: the services, and the nick of a session in a room; gone with the module", async (t) => {
  const storage = openSqliteStorage(":memory:");
  t.teardown(() => storage.close());
  const hooks = new HookBus(rootLogger);
  let registry!: ModuleRegistry;
  const server: ServerInfo = {
    version: "test", startedAt: 0, hosts: ["localhost"],
    isLocalHost: (d) => d === "localhost", isServedDomain: (d) => registry.servesDomain(d),
    admins: () => [], isAdmin: () => false,
  };
  const received: Element[] = [];
  const alice = jid("alice@localhost/r");
  const session = {
    kind: "c2s", id: "s1", jid: alice, bare: alice.toBare(), host: "localhost", presence: null, priority: 0, data: new Map(),
    log: rootLogger, ip: "127.0.0.1", secure: true, send: (el: Element) => { received.push(el); }, close() {},
  } as unknown as ClientSession;
  registry = new ModuleRegistry({
    hooks, log: rootLogger, server, storage, roster: null as never, accounts: null as never,
    sessions: { get: (f) => (f === alice.full ? session : undefined), resources: () => [session], count: () => 1 },
    send: () => {},
  });
  const router = new Router(hooks, server, registry, rootLogger);
  await registry.load({ def: muc, config: mucOptionsSchema.parse({}) });
  const api = mucApi(server)!;
  t.true(api.isService("conference.localhost"));
  t.false(api.isService("localhost"));

  const to = jid("room@conference.localhost/Alice");
  router.route(session, xml("presence", { to: to.full, from: alice.full }, xml("x", { xmlns: "http://jabber.org/protocol/muc" })), alice, to);
  t.true(received.some((p) => p.name === "presence" && p.attrs.from === to.full), "self-presence sent");
  t.is(api.nickOf("room@conference.localhost", alice.full), "Alice");
  t.is(api.nickOf("room@conference.localhost", "bob@localhost/r"), undefined);
  t.is(api.nickOf("other@conference.localhost", alice.full), undefined);

  await registry.unload("muc");
  t.is(mucApi(server), undefined);
  t.false(server.isServedDomain("conference.localhost"));
});
