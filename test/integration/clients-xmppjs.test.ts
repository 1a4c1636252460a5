/**
 * xmpp.js (@xmpp/client 0.14) against a live server, over STARTTLS and Direct TLS (XEP-0368). The client runs
 * in its own process (conformance/clients/xmppjs_login.mjs) with NODE_EXTRA_CA_CERTS naming the server's
 * self-signed certificate: xmpp.js has no option to trust a certificate, and relaxing verification in this
 * test process would affect every other test in it.
 */
import test from "ava";
import { runXmppjs } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { Watcher } from "../helpers/watcher.js";

let srv: TestServer;
let watcher: Watcher;

test.before(async () => {
  srv = await startTestServer();
  await srv.addUser("carol@localhost", "xmpp.js rocks");
  // Tests run concurrently: each logs in as its own account, or the same full JID would conflict.
  await srv.addUser("dave@localhost", "xmpp.js rocks");
  watcher = await Watcher.start(srv);
});

test.after.always(async () => {
  watcher?.close();
  await srv?.stop();
});

const FEATURES = ["http://jabber.org/protocol/disco#info", "urn:xmpp:ping"];

test("STARTTLS: xmpp.js verifies the certificate, logs in with SCRAM-SHA-1, gets disco#info and a pong", async (t) => {
  const { code, report } = await runXmppjs(srv, { service: `xmpp://127.0.0.1:${srv.ports.starttls}`, username: "carol", password: "xmpp.js rocks" });
  t.is(code, 0, report.error ?? "");
  t.true(report.ok);
  // xmpp.js offers SCRAM-SHA-1 and PLAIN and takes the first it supports in the server's order.
  t.is(report.mechanism, "SCRAM-SHA-1");
  t.is(report.jid, "carol@localhost/xmppjs");
  t.is(report.tls, "TLSv1.3");
  for (const f of FEATURES) t.true(report.features!.includes(f), f);
  t.true(report.ping);
});

test("Direct TLS: xmpp.js logs in with SCRAM-SHA-1, gets disco#info and a pong", async (t) => {
  // `localhost`, not 127.0.0.1: Node checks the certificate's name against the host it connects to.
  const { code, report } = await runXmppjs(srv, { service: `xmpps://localhost:${srv.ports.directTls}`, username: "dave", password: "xmpp.js rocks" });
  t.is(code, 0, report.error ?? "");
  t.is(report.mechanism, "SCRAM-SHA-1");
  t.is(report.jid, "dave@localhost/xmppjs");
  t.is(report.tls, "TLSv1.3");
  for (const f of FEATURES) t.true(report.features!.includes(f), f);
  t.true(report.ping);
});

test("a wrong password: xmpp.js gets SASL not-authorized and the server keeps serving others", async (t) => {
  const { code, report } = await runXmppjs(srv, { service: `xmpp://127.0.0.1:${srv.ports.starttls}`, username: "carol", password: "wrong" });
  t.is(code, 1);
  t.false(report.ok);
  t.is(report.mechanism, "SCRAM-SHA-1");
  t.regex(report.error ?? "", /^not-authorized/);
  t.is(report.jid, null);
  t.is(await watcher.ping(), "result");
});
