/**
 * slixmpp 1.8 (Debian's python3-slixmpp): two real clients make a mutual subscription and see each other's
 * presence through the server (RFC 6121 §3.1, §4). The script is conformance/clients/slixmpp_roster.py.
 */
import test from "ava";
import { join } from "node:path";
import { CLIENTS_DIR, runClient, slixmppAvailable, SYSTEM_PYTHON } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

interface PeerReport {
  jid: string;
  subscription: string | null;
  requestsFrom: string[];
  approvalsFrom: string[];
  availableFrom: Record<string, string>;
}
interface RosterReport { ok: boolean; error: string | null; a: PeerReport; b: PeerReport }

let srv: TestServer;

test.before(async () => {
  if (!slixmppAvailable()) throw new Error("/usr/bin/python3 with python3-slixmpp is required for these tests");
  srv = await startTestServer();
  await srv.addUser("romeo@localhost", "pw");
  await srv.addUser("juliet@localhost", "pw");
});

test.after.always(async () => {
  await srv?.stop();
});

test("slixmpp: subscription handshake both ways over STARTTLS, then presence both ways", async (t) => {
  const run = await runClient<RosterReport>(SYSTEM_PYTHON, [
    join(CLIENTS_DIR, "slixmpp_roster.py"), "--host", "127.0.0.1", "--port", String(srv.ports.starttls), "--mode", "starttls",
    "--jid", "romeo@localhost", "--password", "pw", "--jid2", "juliet@localhost", "--password2", "pw",
  ]);
  const r = run.report;
  t.true(r.ok, `${r.error ?? ""}\n${run.stderr}`);
  t.is(run.code, 0);
  t.is(r.a.subscription, "both");
  t.is(r.b.subscription, "both");
  t.deepEqual(r.b.requestsFrom, ["romeo@localhost"], "the request reached juliet once, from romeo's bare JID");
  t.deepEqual(r.a.requestsFrom, ["juliet@localhost"]);
  t.true(r.a.approvalsFrom.includes("juliet@localhost"));
  t.true(r.b.approvalsFrom.includes("romeo@localhost"));
  t.is(r.a.availableFrom[r.b.jid], "b online", "romeo got juliet's presence");
  t.is(r.b.availableFrom[r.a.jid], "status update", "juliet got romeo's presence and its update");
});
