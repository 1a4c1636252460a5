/**
 * SCRAM through a real stream: STARTTLS and Direct TLS, with and without channel binding, so the wiring of
 * the TLS socket's binding data into SASL is tested end to end (the mechanisms alone are tested in unit/).
 */
import test from "ava";
import type { Element } from "ltx";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { RawClient } from "./helpers/raw-client.js";
import { TestScramClient } from "./unit/sasl-helpers.js";

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer();
  await srv.addUser("juliet@localhost", "r0m30myr0m30");
});
test.after.always(() => srv?.stop());

const mechanisms = (features: Element) => features.getChild("mechanisms")!.getChildren("mechanism").map((m) => m.getText());
const cbTypes = (features: Element) => features.getChild("sasl-channel-binding")?.getChildren("channel-binding").map((c) => c.attrs.type) ?? [];
const b64 = (b: Buffer) => b.toString("base64");

async function scram(c: RawClient, mechanism: string, client: TestScramClient): Promise<Element> {
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='${mechanism}'>${b64(client.first())}</auth>`);
  const challenge = await c.next();
  if (challenge?.name !== "challenge") return challenge!;
  c.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(client.final(Buffer.from(challenge.getText(), "base64").toString()))}</response>`);
  return (await c.next())!;
}

test("STARTTLS is required, then SCRAM-SHA-256-PLUS with tls-exporter (TLS 1.3) logs in and the server proves itself", async (t) => {
  const c = await RawClient.connect(srv.ports.starttls);
  t.teardown(() => c.destroy());
  const before = await c.open();
  t.truthy(before.getChild("starttls")?.getChild("required"));
  t.falsy(before.getChild("mechanisms"), "no SASL before TLS");
  const features = await c.starttls();
  t.deepEqual(mechanisms(features), ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]);
  t.deepEqual(cbTypes(features).sort(), ["tls-exporter", "tls-server-end-point"]);
  const exporter = c.tlsSocket!.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
  const client = new TestScramClient("sha256", "r0m30myr0m30", { username: "juliet", flag: "p=tls-exporter", cbData: exporter });
  const success = await scram(c, "SCRAM-SHA-256-PLUS", client);
  t.is(success.name, "success");
  t.is(Buffer.from(success.getText(), "base64").toString(), client.expectedServerFinal());
});

test("Direct TLS: SCRAM-SHA-1-PLUS with tls-server-end-point, then bind and see the server's disco features", async (t) => {
  const c = await RawClient.connect(srv.ports.directTls, { tls: true });
  t.teardown(() => c.destroy());
  const features = await c.open();
  t.truthy(features.getChild("mechanisms"));
  const { createHash } = await import("node:crypto");
  const endPoint = createHash("sha256").update(c.tlsSocket!.getPeerCertificate().raw).digest();
  const client = new TestScramClient("sha1", "r0m30myr0m30", { username: "Juliet", flag: "p=tls-server-end-point", cbData: endPoint });
  t.is((await scram(c, "SCRAM-SHA-1-PLUS", client)).name, "success");
  c.resetParser();
  const afterAuth = await c.open();
  t.truthy(afterAuth.getChild("bind"));
  t.truthy(afterAuth.getChild("session")?.getChild("optional"));
  c.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  const bound = await c.until((el) => el.attrs.id === "b");
  t.regex(bound.getChild("bind")!.getChildText("jid")!, /^juliet@localhost\/palaver-/);
  c.send("<iq type='get' id='d' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  const info = await c.until((el) => el.attrs.id === "d");
  const features2 = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
  for (const f of ["urn:xmpp:ping", "jabber:iq:version", "urn:xmpp:time", "jabber:iq:last", "http://jabber.org/protocol/disco#info"]) t.true(features2.includes(f), f);
  t.deepEqual(info.getChild("query")!.getChild("identity")!.attrs, { category: "server", type: "im", name: "Palaver" });
});

test("channel binding data from another connection is refused", async (t) => {
  const c = await RawClient.connect(srv.ports.directTls, { tls: true });
  t.teardown(() => c.destroy());
  await c.open();
  const wrong = Buffer.alloc(32, 7);
  const client = new TestScramClient("sha256", "r0m30myr0m30", { username: "juliet", flag: "p=tls-exporter", cbData: wrong });
  const r = await scram(c, "SCRAM-SHA-256-PLUS", client);
  t.is(r.name, "failure");
  t.truthy(r.getChild("not-authorized"));
});

test("a client without channel binding support ('n') logs in with SCRAM-SHA-256; 'y' is refused as a downgrade", async (t) => {
  const c = await RawClient.connect(srv.ports.directTls, { tls: true });
  t.teardown(() => c.destroy());
  await c.open();
  const downgraded = new TestScramClient("sha256", "r0m30myr0m30", { username: "juliet", flag: "y" });
  const refused = await scram(c, "SCRAM-SHA-256", downgraded);
  t.is(refused.name, "failure");
  const plainClient = new TestScramClient("sha256", "r0m30myr0m30", { username: "juliet", flag: "n" });
  t.is((await scram(c, "SCRAM-SHA-256", plainClient)).name, "success");
});
