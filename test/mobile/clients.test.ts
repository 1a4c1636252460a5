/**
 * Real clients resume sessions against the server (XEP-0198 §5): slixmpp's xep_0198 plugin and xmpp.js's
 * @xmpp/stream-management drop their own connection while messages are on their way, reconnect and resume; every
 * message arrives exactly once, in order. The scripts are in conformance/clients/.
 */
import test from "ava";
import { join } from "node:path";
import { CLIENTS_DIR, runClient, slixmppAvailable, SYSTEM_PYTHON, trustFile } from "../helpers/clients.js";
import { startTestServer } from "../helpers/server.js";

interface ResumeReport {
  ok: boolean;
  smEnabled: boolean;
  resumed: boolean;
  newSession: boolean;
  received: { id: string; connection: number }[];
  error: string | null;
}

test("slixmpp (xep_0198): drops its connection mid-conversation, resumes, gets every message once in order", async (t) => {
  if (!slixmppAvailable()) return t.pass("python3-slixmpp is not installed");
  const srv = await startTestServer();
  t.teardown(() => srv.stop());
  await srv.addUser("juliet@localhost", "pw");
  await srv.addUser("romeo@localhost", "pw");
  const { code, report, stderr } = await runClient<ResumeReport>(SYSTEM_PYTHON, [join(CLIENTS_DIR, "slixmpp_sm_resume.py"),
    "--port", String(srv.ports.starttls), "--jid", "juliet@localhost/phone", "--password", "pw",
    "--peer", "romeo@localhost/pc", "--peer-password", "pw", "--count", "6"]);
  t.is(code, 0, `${JSON.stringify(report)}\n${stderr.slice(-2000)}`);
  t.true(report.smEnabled);
  t.true(report.resumed);
  t.false(report.newSession);
  t.deepEqual(report.received.map((r) => r.id), ["m1", "m2", "m3", "m4", "m5", "m6"]);
  t.true(report.received.some((r) => r.connection === 2), "some arrived after resumption");
});

test("xmpp.js (@xmpp/stream-management): its connection is destroyed mid-conversation; it reconnects, resumes, misses nothing", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => srv.stop());
  await srv.addUser("juliet@localhost", "pw");
  await srv.addUser("romeo@localhost", "pw");
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: trustFile(srv) };
  delete env.NODE_TLS_REJECT_UNAUTHORIZED;
  const { code, report, stderr } = await runClient<ResumeReport>(process.execPath, [join(CLIENTS_DIR, "xmppjs_sm_resume.mjs"),
    "--service", `xmpp://127.0.0.1:${srv.ports.starttls}`, "--domain", srv.domain, "--phone", "juliet:pw", "--peer", "romeo:pw", "--count", "6"], env);
  t.is(code, 0, `${JSON.stringify(report)}\n${stderr.slice(-2000)}`);
  t.true(report.smEnabled);
  t.true(report.resumed);
  t.false(report.newSession);
  t.deepEqual(report.received.map((r) => r.id), ["m1", "m2", "m3", "m4", "m5", "m6"]);
  t.true(report.received.some((r) => r.connection === 2), "some arrived after resumption");
});
