/**
 * A real client's file upload and push registration (conformance/clients/slixmpp_upload_push.py): slixmpp 1.8's
 * xep_0363 plugin finds upload.localhost, uploads over HTTPS (the certificate verified) and the file downloads
 * intact; the push registration it makes by hand reaches an app server once the account is offline.
 */
import test from "ava";
import { join } from "node:path";
import { CLIENTS_DIR, runClient, slixmppAvailable, SYSTEM_PYTHON, trustFile } from "../helpers/clients.js";
import { RawClient } from "../helpers/raw-client.js";
import { DEFAULT_MODULES } from "../helpers/server.js";
import { Inbox, startWebServer, type WebTestServer } from "../web/helpers.js";

interface Report {
  ok: boolean;
  error: string | null;
  service: string;
  maxFileSize: number;
  url: string;
  status: number;
  contentType: string;
  sentSha256: string;
  receivedSha256: string;
  tooBigRefused: boolean;
  pushEnabled: boolean;
}

let srv: WebTestServer;
const clients: RawClient[] = [];

test.before(async () => {
  if (!slixmppAvailable()) throw new Error("/usr/bin/python3 with python3-slixmpp is required for these tests");
  srv = await startWebServer({}, { modules: { ...DEFAULT_MODULES, upload: { maxFileSize: 1_000_000 }, push: { minInterval: 0 } } });
  for (const u of ["alice", "bob", "appserver"]) await srv.addUser(`${u}@localhost`, "pw");
});

test.after.always(async () => {
  for (const c of clients) c.destroy();
  await srv?.stop();
});

test("slixmpp uploads a file and downloads it, and registers for push notifications that then arrive", async (t) => {
  const app = await RawClient.connect(srv.ports.plain);
  clients.push(app);
  await app.login("appserver", "pw", "push");
  const inbox = new Inbox(app);

  const args = [join(CLIENTS_DIR, "slixmpp_upload_push.py"), "--host", "127.0.0.1", "--port", String(srv.ports.plain),
    "--jid", "alice@localhost/phone", "--password", "pw", "--mode", "plain", "--size", "300000",
    "--push-jid", "appserver@localhost/push", "--push-node", "slix"];
  const env = { ...process.env, SSL_CERT_FILE: trustFile(srv) };
  const { code, report: r } = await runClient<Report>(SYSTEM_PYTHON, args, env);
  t.is(code, 0, r.error ?? "");
  t.is(r.service, "upload.localhost");
  t.is(r.maxFileSize, 1_000_000);
  t.regex(r.url, new RegExp(`^https://localhost:${srv.https}/upload/[A-Za-z0-9_-]{32}/holiday%20photo\\.jpg$`));
  t.is(r.status, 200);
  t.is(r.contentType, "image/jpeg");
  t.is(r.receivedSha256, r.sentSha256);
  t.true(r.tooBigRefused);
  t.true(r.pushEnabled);

  // slixmpp has logged out: a message for alice now wakes the device it registered.
  while (srv.server.sessions.resources("alice@localhost").length > 0) await new Promise((res) => setTimeout(res, 10));
  const bob = await RawClient.connect(srv.ports.plain);
  clients.push(bob);
  await bob.login("bob", "pw", "desk");
  bob.send("<message to='alice@localhost' type='chat'><body>your photo is lovely</body></message>");
  const publish = await inbox.wait((el) => el.name === "iq" && el.getChild("pubsub")?.getChild("publish")?.attrs.node === "slix");
  const options = publish.getChild("pubsub")!.getChild("publish-options")!.getChild("x")!.getChildren("field");
  t.is(options.find((f) => f.attrs.var === "secret")?.getChildText("value"), "slixmpp-secret");
});
