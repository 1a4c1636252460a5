/**
 * xmpp.js as a real IM client: subscription handshake both ways, presence, chat, carbons to a second device,
 * and an offline message delivered with a delay stamp (conformance/clients/xmppjs_im.mjs).
 */
import test from "ava";
import { runXmppjsIm } from "../helpers/clients.js";
import { startTestServer } from "../helpers/server.js";

test("two xmpp.js users add each other, see presence, chat online and offline, with carbons on a second device", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => srv.stop());
  await srv.addUser("alice@localhost", "alice pw");
  await srv.addUser("bob@localhost", "bob pw");
  const { code, report } = await runXmppjsIm(srv, { service: `xmpp://127.0.0.1:${srv.ports.starttls}`, alice: "alice:alice pw", bob: "bob:bob pw" });
  t.is(code, 0, `${report.error ?? ""} ${JSON.stringify(report.steps)}`);
  t.like(report.steps, { rosterSet: true, mutualPresence: true, subscription: "both", chat: true, carbonSent: true, unavailableSeen: true });
  t.regex(String(report.steps.offlineDelay), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
});
