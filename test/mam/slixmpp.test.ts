/** A real client's archive: slixmpp 1.8's xep_0313 plugin pages through history both ways (conformance/clients/slixmpp_mam.py). */
import test from "ava";
import { join } from "node:path";
import { CLIENTS_DIR, runClient, slixmppAvailable, SYSTEM_PYTHON } from "../helpers/clients.js";
import { startTestServer } from "../helpers/server.js";
import { barrier, connect, stop } from "../messages/util.js";
import { walk } from "./util.js";

interface Seen { id: string; queryid: string; from: string; to: string; body: string; stamp: string | null }
interface Report {
  ok: boolean; error: string | null;
  features?: string[]; forward?: Seen[]; backward?: Seen[]; last?: Seen[]; with?: Seen[];
  fields?: string[]; metadata?: { start: string; end: string };
}

test("slixmpp: history page by page, oldest first and newest first, the newest alone, with a filter; the form and metadata", async (t) => {
  if (!slixmppAvailable()) throw new Error("/usr/bin/python3 with python3-slixmpp is required for this test");
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  const [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((u) => connect(srv, u, "pc")));
  const expected: string[] = [];
  for (let i = 0; i < 47; i++) {
    const [from, to] = i % 7 === 3 ? [carol!, "alice@localhost"] : i % 2 === 0 ? [alice!, "bob@localhost"] : [bob!, "alice@localhost"];
    from.send(`<message to='${to}' type='chat'><body>line ${i}</body></message>`);
    await barrier(from);
    expected.push(`line ${i}`);
  }
  const archive = await walk(alice!, { max: 100 }, "forward");
  t.deepEqual(archive.bodies, expected);

  const { code, report } = await runClient<Report>(SYSTEM_PYTHON, [join(CLIENTS_DIR, "slixmpp_mam.py"), "--host", "127.0.0.1",
    "--port", String(srv.ports.plain), "--jid", "alice@localhost/history", "--password", "pw", "--mode", "plain",
    "--page", "10", "--last", "5", "--with", "bob@localhost"]);
  t.is(code, 0, report.error ?? "");
  t.true(report.features!.includes("urn:xmpp:mam:2") && report.features!.includes("urn:xmpp:mam:2#extended"));
  t.deepEqual(report.forward!.map((m) => m.body), expected);
  t.deepEqual(report.forward!.map((m) => m.id), archive.ids, "result ids are the archive ids");
  t.true(report.forward!.every((m) => m.stamp !== null && m.queryid !== ""), "delay stamps and query ids parsed");
  t.deepEqual(report.backward!.map((m) => m.body), [...expected].reverse());
  t.deepEqual(report.last!.map((m) => m.body), expected.slice(-5).reverse());
  const withBob = expected.filter((_, i) => i % 7 !== 3);
  t.deepEqual(report.with!.map((m) => m.body), withBob);
  for (const f of ["with", "start", "end", "before-id", "after-id", "ids", "{urn:xmpp:fulltext:0}fulltext"]) t.true(report.fields!.includes(f), f);
  t.deepEqual(report.metadata, { start: archive.ids[0], end: archive.ids.at(-1) });
});
