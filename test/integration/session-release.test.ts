/**
 * Sessions leave nothing behind once they end: after many logins with presence come and go (closed cleanly by
 * the client, dropped without a closing tag, reset), the connection table and the session registry are empty
 * again, and neither the sessions nor their streams stay reachable (nothing keyed by JID or session, no timer,
 * no listener keeps them). A probe module sees every stream through a post-auth stream feature and keeps only
 * weak references to it.
 */
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { catalog } from "../../xeps/index.js";
import { configSchema } from "../../src/config/schema.js";
import { jid } from "../../src/jid.js";
import { configureLogging } from "../../src/log.js";
import { defineModule } from "../../src/modules.js";
import { Server } from "../../src/server.js";
import { DEFAULT_MODULES } from "../helpers/server.js";
import { RawClient } from "../helpers/raw-client.js";
import { garbageCollector, until } from "../helpers/release.js";

const ACCOUNTS = 10;
const RESOURCES = 6;

test("sessions that came and went leave no stream, session or registry entry behind", async (t) => {
  configureLogging("error");
  const streams: WeakRef<object>[] = [];
  const probe = defineModule({
    id: "release-probe",
    xeps: [],
    setup(api) {
      api.streamFeature({ stage: "post-auth", offer: (stream) => { streams.push(new WeakRef(stream)); return null; } });
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "palaver-release-"));
  const config = configSchema.parse({
    hosts: { localhost: { admins: [] } },
    listeners: [{ kind: "c2s", port: 0, address: "127.0.0.1", allowPlaintext: true }],
    auth: { throttleFreeFailures: 1000, scramIterations: 4096 },
    limits: { maxConnectionsPerIp: 1000 },
    modules: { ...DEFAULT_MODULES, "release-probe": null },
  });
  const server = await Server.start({ config, dir, catalog: [...catalog, probe] });
  t.teardown(async () => { await server.stop(); rmSync(dir, { recursive: true, force: true }); });
  const port = server.listeners[0]!.port;
  for (let a = 0; a < ACCOUNTS; a++) {
    const r = await server.accounts.create(jid(`user${a}@localhost`), "secret");
    t.true(r.ok);
  }

  const clients: RawClient[] = [];
  const sessions: WeakRef<object>[] = [];
  for (let a = 0; a < ACCOUNTS; a++) {
    await Promise.all(Array.from({ length: RESOURCES }, async (_, r) => {
      const c = await RawClient.connect(port);
      const full = await c.login(`user${a}`, "secret", `r${r}`);
      // Initial presence, a directed presence to another account, a message to one of its resources, a ping.
      c.send("<presence/>");
      c.send(`<presence to='user${(a + 1) % ACCOUNTS}@localhost'/>`);
      c.send(`<message to='user${(a + 1) % ACCOUNTS}@localhost/r${r}' type='chat'><body>hi</body></message>`);
      c.send("<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
      await c.until((el) => el.name === "iq" && el.attrs.id === "p");
      const session = server.sessions.get(full);
      t.truthy(session, full);
      sessions.push(new WeakRef(session!));
      clients.push(c);
    }));
  }
  t.is(server.sessions.count(), ACCOUNTS * RESOURCES);
  t.is(streams.length, ACCOUNTS * RESOURCES);

  // Half close their stream cleanly, a quarter drop the connection, a quarter reset it.
  clients.forEach((c, i) => {
    if (i % 4 < 2) c.send("</stream:stream>");
    else if (i % 4 === 2) c.destroy();
    else (c as unknown as { socket: import("node:net").Socket }).socket.resetAndDestroy();
  });
  t.true(await until(() => server.connectionCount() === 0, 10_000), `connections left: ${server.connectionCount()}`);
  t.true(await until(() => server.sessions.count() === 0, 10_000), `sessions left: ${server.sessions.count()}`);
  for (let a = 0; a < ACCOUNTS; a++) t.deepEqual(server.sessions.resources(`user${a}@localhost`), []);
  for (const c of clients) c.destroy();

  // Nothing may keep them: not the registry, not a pending timer (the grace period of an ended socket is 5 s, far
  // more than is waited here), not a hook or a per-JID table.
  const gc = garbageCollector();
  const alive = () => sessions.filter((w) => w.deref() !== undefined).length + streams.filter((w) => w.deref() !== undefined).length;
  const released = await until(() => { gc?.(); return alive() === 0; }, 2000);
  t.true(released, `${sessions.filter((w) => w.deref()).length} sessions and ${streams.filter((w) => w.deref()).length} streams still reachable`);
});
