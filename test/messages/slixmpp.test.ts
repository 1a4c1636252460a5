/**
 * A real client's view of offline messages and carbons: slixmpp 1.8 with its xep_0203 and xep_0280 plugins
 * (conformance/clients/slixmpp_messages.py), against a live server, with a raw client as the other party.
 */
import test from "ava";
import { join } from "node:path";
import { CLIENTS_DIR, runClient, slixmppAvailable, SYSTEM_PYTHON } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { connect, stop } from "./util.js";

interface Seen {
  id: string; from: string; to: string; type: string; body: string;
  delayFrom: string | null; delayStamp: string | null;
  wrapperFrom?: string; wrapperTo?: string;
}
interface Report { ok: boolean; error: string | null; messages?: Seen[]; sentCarbon?: Seen; receivedCarbon?: Seen; direct?: Seen }

let srv: TestServer;
test.before(async () => {
  if (!slixmppAvailable()) throw new Error("/usr/bin/python3 with python3-slixmpp is required for these tests");
  srv = await startTestServer();
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
});
test.after.always(() => srv && stop(srv));

const run = (jid: string, extra: string[]) => runClient<Report>(SYSTEM_PYTHON, [join(CLIENTS_DIR, "slixmpp_messages.py"),
  "--host", "127.0.0.1", "--port", String(srv.ports.plain), "--jid", jid, "--password", "pw", "--mode", "plain", ...extra]);

test("slixmpp: messages stored while offline arrive at login in order, with XEP-0203 delay from the server", async (t) => {
  const alice = await connect(srv, "alice", "pc");
  alice.send("<message to='bob@localhost' type='chat' id='o1'><body>first while away</body></message>");
  alice.send("<message to='bob@localhost' type='chat' id='o2'><body>second while away</body></message>");
  // Bob has no session: storing waits for the account lookup. A later message to a missing account bounces
  // only after the lookups queued before it, so both are stored once this error is back.
  alice.send("<message to='nobody@localhost' type='chat' id='barrier'><body>?</body></message>");
  t.is((await alice.until((el) => el.attrs.id === "barrier")).attrs.type, "error");

  const { code, report } = await run("bob@localhost/phone", ["--scenario", "offline", "--expect", "2"]);
  t.is(code, 0, report.error ?? "");
  t.deepEqual(report.messages!.map((m) => [m.id, m.body, m.from]), [
    ["o1", "first while away", "alice@localhost/pc"],
    ["o2", "second while away", "alice@localhost/pc"],
  ]);
  for (const m of report.messages!) {
    t.is(m.delayFrom, "localhost");
    t.truthy(m.delayStamp, "slixmpp parsed the stamp");
  }
});

test("slixmpp: two resources with carbons enabled see each other's sent messages and what the other received", async (t) => {
  const alice = await connect(srv, "alice", "carbons");
  const client = run("carol@localhost/one", ["--scenario", "carbons", "--peer", "alice@localhost/carbons", "--second-resource", "two"]);
  const ready = await alice.until((el) => el.name === "message" && el.getChildText("body") === "ready", 30_000);
  t.is(ready.attrs.from, "carol@localhost/one");
  alice.send("<message to='carol@localhost/one' type='chat' id='c1'><body>to first</body></message>");
  const { code, report } = await client;
  t.is(code, 0, report.error ?? "");
  t.like(report.sentCarbon!, { wrapperFrom: "carol@localhost", wrapperTo: "carol@localhost/two", from: "carol@localhost/one", to: "alice@localhost/carbons", body: "ready" });
  t.like(report.receivedCarbon!, { wrapperFrom: "carol@localhost", wrapperTo: "carol@localhost/two", id: "c1", from: "alice@localhost/carbons", to: "carol@localhost/one", body: "to first" });
  t.like(report.direct!, { id: "c1", body: "to first" });
});
