/**
 * Module-served domains (ModuleApi.serveDomain): the router hands every stanza for such a domain to its module
 * after `stanza:pre`, never to `route:remote`; the registration is undone on unload; a configured host or a
 * domain another module serves cannot be taken.
 */
import test from "ava";
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { HookBus, type StanzaEvent } from "../../src/hooks.js";
import { jid } from "../../src/jid.js";
import { configureLogging, rootLogger } from "../../src/log.js";
import { ModuleRegistry } from "../../src/module-registry.js";
import { defineModule, type ServerInfo } from "../../src/modules.js";
import { Router } from "../../src/router.js";

// The throwing handler below is logged by design; keep the test output quiet.
configureLogging("error", { write() {} });

function setup() {
  const hooks = new HookBus(rootLogger);
  let registry!: ModuleRegistry;
  const server: ServerInfo = {
    version: "test", startedAt: 0, hosts: ["localhost"],
    isLocalHost: (d) => d === "localhost",
    isServedDomain: (d) => registry.servesDomain(d),
    admins: () => [], isAdmin: () => false,
  };
  const sent: Element[] = [];
  registry = new ModuleRegistry({
    hooks, log: rootLogger, server, sessions: null as never, accounts: null as never, roster: null as never, storage: null as never,
    send: (s) => sent.push(s),
  });
  const router = new Router(hooks, server, registry, rootLogger);
  const remote: StanzaEvent[] = [];
  hooks.on("route:remote", (e) => { remote.push(e); return true; });
  return { hooks, registry, router, server, remote };
}

const message = (to: string) => xml("message", { to, from: "alice@localhost/a", type: "groupchat" }, xml("body", null, "hi"));

test("stanzas to a served domain and to any address at it reach its module, not route:remote", async (t) => {
  const { registry, router, server, remote } = setup();
  const seen: string[] = [];
  await registry.load({
    def: defineModule({ id: "svc", xeps: [], setup(api) { api.serveDomain("conference.localhost", (e) => { seen.push(e.to.full); }); } }),
    config: {},
  });
  t.true(server.isServedDomain("conference.localhost"));
  t.false(server.isServedDomain("localhost"));
  for (const to of ["conference.localhost", "room@conference.localhost", "room@conference.localhost/nick"]) {
    router.route(null, message(to), jid("alice@localhost/a"), jid(to));
  }
  router.route(null, message("elsewhere.example"), jid("alice@localhost/a"), jid("elsewhere.example"));
  t.deepEqual(seen, ["conference.localhost", "room@conference.localhost", "room@conference.localhost/nick"]);
  t.deepEqual(remote.map((e) => e.to.full), ["elsewhere.example"]);

  await registry.unload("svc");
  t.false(server.isServedDomain("conference.localhost"));
  router.route(null, message("room@conference.localhost"), jid("alice@localhost/a"), jid("room@conference.localhost"));
  t.deepEqual(remote.map((e) => e.to.full), ["elsewhere.example", "room@conference.localhost"], "once unloaded, the domain is remote again");
});

test("stanza:pre runs first and may stop a stanza for a served domain", async (t) => {
  const { hooks, registry, router } = setup();
  let reached = 0;
  await registry.load({ def: defineModule({ id: "svc", xeps: [], setup(api) { api.serveDomain("muc.localhost", () => { reached++; }); } }), config: {} });
  const stop = hooks.on("stanza:pre", () => true);
  router.route(null, message("r@muc.localhost"), jid("alice@localhost/a"), jid("r@muc.localhost"));
  t.is(reached, 0);
  stop();
  router.route(null, message("r@muc.localhost"), jid("alice@localhost/a"), jid("r@muc.localhost"));
  t.is(reached, 1);
});

test("a configured host, or a domain another module serves, cannot be served", async (t) => {
  const { registry } = setup();
  await t.throwsAsync(registry.load({ def: defineModule({ id: "a", xeps: [], setup(api) { api.serveDomain("localhost", () => {}); } }), config: {} }),
    { message: /configured hosts/ });
  await registry.load({ def: defineModule({ id: "b", xeps: [], setup(api) { api.serveDomain("x.localhost", () => {}); } }), config: {} });
  await t.throwsAsync(registry.load({ def: defineModule({ id: "c", xeps: [], setup(api) { api.serveDomain("x.localhost", () => {}); } }), config: {} }),
    { message: /already served by module "b"/ });
});

test("a handler that throws is logged and the sender gets internal-server-error", async (t) => {
  const { registry, router } = setup();
  await registry.load({ def: defineModule({ id: "svc", xeps: [], setup(api) { api.serveDomain("muc.localhost", () => { throw new Error("bug"); }); } }), config: {} });
  const replies: Element[] = [];
  const origin = { send: (el: Element) => replies.push(el) } as never;
  const iq = xml("iq", { type: "get", id: "q1", to: "muc.localhost", from: "alice@localhost/a" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }));
  router.route(origin, iq, jid("alice@localhost/a"), jid("muc.localhost"));
  t.is(replies.length, 1);
  t.is(replies[0]!.attrs.type, "error");
  t.truthy(replies[0]!.getChild("error")?.getChild("internal-server-error"));
});
