/**
 * In-band registration (XEP-0077) with slixmpp's xep_0077 plugin (conformance/clients/slixmpp_register.py):
 * register on an open host (§3.1), log in, change the password (§3.3), remove the account (§3.2); and, with a
 * raw client, that a closed host neither offers nor allows registration.
 */
import test from "ava";
import { runSlixmpp, slixmppAvailable } from "../helpers/clients.js";
import { RawClient } from "../helpers/raw-client.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../helpers/server.js";

let srv: TestServer;

test.before(async () => {
  if (!slixmppAvailable()) throw new Error("/usr/bin/python3 with python3-slixmpp is required for these tests");
  srv = await startTestServer();
});

test.after.always(async () => {
  await srv?.stop();
});

test("slixmpp registers an account, logs in with it, changes its password and removes it", async (t) => {
  const port = srv.ports.starttls;
  const jid = "newcomer@localhost";
  const login = (password: string) => runSlixmpp("slixmpp_login.py", { port, jid, password });
  const register = (password: string, action: string, extra: string[] = []) =>
    runSlixmpp("slixmpp_register.py", { port, jid, password, extra: ["--action", action, ...extra] });

  // §3.1: the form asks for a username and a password; submitting it creates the account, and slixmpp then
  // authenticates with the same credentials.
  const created = await register("first secret", "register");
  t.is(created.code, 0, created.report.error ?? "");
  t.true(created.report.registered);
  t.deepEqual(created.report.formFields, ["password", "username"]);
  t.regex(created.report.jid ?? "", /^newcomer@localhost\//);
  t.truthy(await srv.server.storage.accounts.get("localhost", "newcomer"));

  // The same username again is a conflict.
  const again = await register("other", "register");
  t.is(again.code, 1);
  t.is(again.report.condition, "conflict");

  const first = await login("first secret");
  t.is(first.code, 0, first.report.error ?? "");
  t.true(first.report.ping);

  // §3.3: a logged-in user changes their own password; the old one stops working.
  const changed = await register("first secret", "change-password", ["--new-password", "second secret"]);
  t.is(changed.code, 0, changed.report.error ?? "");
  t.is((await login("first secret")).code, 1);
  t.is((await login("second secret")).code, 0);

  // §3.2: removal is answered, then the session ends (the server closes it with not-authorized).
  const removed = await register("second secret", "remove");
  t.is(removed.code, 0, removed.report.error ?? "");
  t.is(removed.report.streamError, "not-authorized");
  const gone = await login("second secret");
  t.is(gone.code, 1);
  t.false(gone.report.authenticated);
  t.is(await srv.server.storage.accounts.get("localhost", "newcomer"), undefined);
});

test("a host not listed in `register.open` offers no registration and refuses it", async (t) => {
  const closed = await startTestServer({ modules: { ...DEFAULT_MODULES, register: { open: [] } } });
  t.teardown(() => closed.stop());
  const c = await RawClient.connect(closed.ports.plain);
  const features = await c.open();
  t.falsy(features.getChild("register", "http://jabber.org/features/iq-register"));
  c.send("<iq type='get' id='r1'><query xmlns='jabber:iq:register'/></iq>");
  const form = await c.until((el) => el.attrs.id === "r1");
  t.is(form.attrs.type, "error");
  t.truthy(form.getChild("error")!.getChild("not-allowed"));
  c.send("<iq type='set' id='r2'><query xmlns='jabber:iq:register'><username>sneaky</username><password>pw</password></query></iq>");
  const refused = await c.until((el) => el.attrs.id === "r2");
  t.truthy(refused.getChild("error")!.getChild("not-allowed"));
  t.is(await closed.server.storage.accounts.get("localhost", "sneaky"), undefined);
  c.destroy();
});
