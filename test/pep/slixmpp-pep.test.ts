/**
 * slixmpp 1.8 (Debian's python3-slixmpp) with its xep_0163, xep_0172 and xep_0084 plugins: a nickname and an
 * avatar published by one client reach a contact whose client asked for them in its caps, and the contact
 * fetches the avatar data. The script is conformance/clients/slixmpp_pep.py.
 */
import test from "ava";
import { join } from "node:path";
import { CLIENTS_DIR, runClient, slixmppAvailable, SYSTEM_PYTHON } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

interface PepReport {
  ok: boolean;
  error: string | null;
  subscription: string | null;
  nickSeen: string | null;
  avatarIdSeen: string | null;
  avatarId: string | null;
  avatarFetched: boolean;
}

let srv: TestServer;

test.before(async () => {
  if (!slixmppAvailable()) throw new Error("/usr/bin/python3 with python3-slixmpp is required for these tests");
  srv = await startTestServer();
  await srv.addUser("alice@localhost", "pw");
  await srv.addUser("bob@localhost", "pw");
});

test.after.always(async () => {
  await srv?.stop();
});

test("slixmpp: a nickname and an avatar published by one client reach its contact (XEP-0163, XEP-0172, XEP-0084)", async (t) => {
  const run = await runClient<PepReport>(SYSTEM_PYTHON, [
    join(CLIENTS_DIR, "slixmpp_pep.py"), "--host", "127.0.0.1", "--port", String(srv.ports.starttls), "--mode", "starttls",
    "--jid", "alice@localhost", "--password", "pw", "--jid2", "bob@localhost", "--password2", "pw",
  ]);
  const r = run.report;
  t.true(r.ok, `${r.error ?? ""}\n${run.stderr}`);
  t.is(r.subscription, "both");
  t.is(r.nickSeen, "Alice Slix");
  t.truthy(r.avatarId);
  t.is(r.avatarIdSeen, r.avatarId);
  t.true(r.avatarFetched, "the data fetched by id hashes to the id");
});
