/**
 * slixmpp 1.8 (Debian's python3-slixmpp) against a live server: STARTTLS, Direct TLS (XEP-0368), TLS 1.2,
 * a plaintext stream, and a wrong password. The script is conformance/clients/slixmpp_login.py.
 *
 * slixmpp 1.8 knows only the tls-unique channel binding and is not XEP-0440 aware: where the server offers
 * SCRAM-*-PLUS it tries them with tls-unique, then SCRAM without binding (flag "y", which a server that
 * offers binding must refuse, RFC 5802 §6), then PLAIN. Which mechanism wins is asserted only where it is
 * deterministic: without TLS, and on TLS 1.2, where the server offers tls-unique.
 */
import test, { type ExecutionContext } from "ava";
import { runSlixmpp, slixmppAvailable, type SlixmppReport } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { Watcher } from "../helpers/watcher.js";

const NS = {
  discoInfo: "http://jabber.org/protocol/disco#info",
  ping: "urn:xmpp:ping",
  version: "jabber:iq:version",
  time: "urn:xmpp:time",
};
const OFFERED_WITH_TLS = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"];
/** XEP-0082 DateTime (seconds, optional fraction, Z or an offset). */
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

let srv: TestServer;
let watcher: Watcher;

test.before(async () => {
  if (!slixmppAvailable()) throw new Error("/usr/bin/python3 with python3-slixmpp is required for these tests");
  srv = await startTestServer();
  await srv.addUser("alice@localhost", "pencil");
  await srv.addUser("bob@localhost", "correct horse");
  watcher = await Watcher.start(srv);
});

test.after.always(async () => {
  watcher?.close();
  await srv?.stop();
});

/** What every successful run must show: bound JID, disco features, ping, version and time answers. */
function assertQueried(t: ExecutionContext, r: SlixmppReport, user: string): void {
  t.true(r.ok, r.error ?? "");
  t.true(r.authenticated);
  t.regex(r.jid ?? "", new RegExp(`^${user}@localhost/.+`));
  for (const f of Object.values(NS)) t.true(r.features!.includes(f), `disco#info lists ${f}`);
  t.deepEqual(r.identities!.find((i) => i[0] === "server")?.slice(0, 2), ["server", "im"]);
  t.true(r.ping);
  t.is(r.version!.name, "Palaver");
  t.regex(r.time!.utc, DATETIME);
  t.regex(r.time!.tzo, /^(Z|[+-]\d{2}:\d{2})$/);
}

/** On TLS 1.3 the exact mechanism depends on slixmpp's fallbacks; it must be one the server offered, and every refusal before it not-authorized. */
function assertFellBackCleanly(t: ExecutionContext, r: SlixmppReport): void {
  t.true(OFFERED_WITH_TLS.includes(r.mechanism ?? ""), `mechanism ${r.mechanism}`);
  for (const f of r.failedMechanisms) {
    t.true(OFFERED_WITH_TLS.includes(f.mechanism));
    t.is(f.condition, "not-authorized");
  }
}

test("STARTTLS: slixmpp logs in and gets disco#info, ping, version and time answers", async (t) => {
  const { code, report } = await runSlixmpp("slixmpp_login.py", { port: srv.ports.starttls, jid: "alice@localhost", password: "pencil" });
  t.is(code, 0);
  assertQueried(t, report, "alice");
  t.is(report.tls, "TLSv1.3");
  assertFellBackCleanly(t, report);
});

test("Direct TLS (XEP-0368): slixmpp logs in and gets disco#info, ping, version and time answers", async (t) => {
  const { code, report } = await runSlixmpp("slixmpp_login.py", { port: srv.ports.directTls, jid: "alice@localhost", password: "pencil", mode: "direct" });
  t.is(code, 0);
  assertQueried(t, report, "alice");
  t.is(report.tls, "TLSv1.3");
  assertFellBackCleanly(t, report);
});

// slixmpp 1.8 knows only tls-unique, which the server offers on TLS 1.2 (RFC 5929 §3).
test("TLS 1.2 (STARTTLS and Direct TLS): slixmpp's first choice, SCRAM-SHA-256-PLUS with tls-unique, succeeds at once", async (t) => {
  for (const [port, mode] of [[srv.ports.starttls, "starttls"], [srv.ports.directTls, "direct"]] as const) {
    const { code, report } = await runSlixmpp("slixmpp_login.py", { port, jid: "bob@localhost", password: "correct horse", mode, tls12: true });
    t.is(code, 0, mode);
    assertQueried(t, report, "bob");
    t.is(report.tls, "TLSv1.2");
    t.deepEqual(report.failedMechanisms, [], mode);
    t.is(report.mechanism, "SCRAM-SHA-256-PLUS", mode);
  }
});

test("without TLS (plaintext test listener): slixmpp uses SCRAM-SHA-256 at once", async (t) => {
  const { code, report } = await runSlixmpp("slixmpp_login.py", { port: srv.ports.plain, jid: "alice@localhost", password: "pencil", mode: "plain" });
  t.is(code, 0);
  assertQueried(t, report, "alice");
  t.is(report.tls, null);
  // No TLS, hence no channel binding and no -PLUS: slixmpp's strongest remaining choice, and PLAIN is not used
  // unencrypted by slixmpp's defaults.
  t.is(report.mechanism, "SCRAM-SHA-256");
  t.deepEqual(report.failedMechanisms, []);
});

test("a wrong password fails every mechanism, and the server keeps serving others", async (t) => {
  const { code, report } = await runSlixmpp("slixmpp_login.py", { port: srv.ports.starttls, jid: "alice@localhost", password: "not the password" });
  t.is(code, 1);
  t.false(report.ok);
  t.false(report.authenticated);
  t.is(report.jid, null);
  t.true(report.failedMechanisms.length > 0);
  for (const f of report.failedMechanisms) t.is(f.condition, "not-authorized", f.mechanism);
  t.is(report.failedMechanisms.at(-1)!.mechanism, "PLAIN");
  // Another client, already logged in, is answered; and a new login works.
  t.is(await watcher.ping(), "result");
  const again = await runSlixmpp("slixmpp_login.py", { port: srv.ports.starttls, jid: "alice@localhost", password: "pencil" });
  t.is(again.code, 0, again.report.error ?? "");
});
