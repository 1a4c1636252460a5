/**
 * Stream restarts (RFC 6120 §4.3.3): after STARTTLS (§5.4.3.3 step 4) and after SASL success (§6.4.6) the
 * receiving entity "MUST generate a new stream ID (instead of reusing the old stream ID)".
 */
import test from "ava";
import net from "node:net";
import tls from "node:tls";
import { HEADER, RawClient } from "../helpers/raw-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let srv: TestServer;

test.before(async () => {
  srv = await startTestServer();
  await srv.addUser("alice@localhost", "pencil");
});

test.after.always(async () => {
  await srv?.stop();
});

/** Read from a socket until `marker` has arrived; returns everything read. */
function readUntil(socket: net.Socket, marker: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(marker)) { socket.off("data", onData); socket.off("error", reject); resolve(seen); }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

const streamId = (text: string) => /<stream:stream\b[^>]*\sid=['"]([^'"]+)['"]/.exec(text)?.[1];

test("after STARTTLS the response stream header carries a new stream id", async (t) => {
  const raw = net.connect({ port: srv.ports.starttls, host: "127.0.0.1" });
  t.teardown(() => raw.destroy());
  await new Promise((r) => raw.once("connect", r));
  raw.write(HEADER());
  const before = streamId(await readUntil(raw, "</stream:features>"));
  raw.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  await readUntil(raw, "<proceed");
  const secure = tls.connect({ socket: raw, servername: "localhost", rejectUnauthorized: false });
  await new Promise((r) => secure.once("secureConnect", r));
  secure.write(HEADER());
  const after = streamId(await readUntil(secure, "</stream:features>"));
  secure.destroy();
  t.truthy(before);
  t.truthy(after);
  t.not(after, before);
});

test("after SASL success the response stream header carries a new stream id", async (t) => {
  const c = await RawClient.connect(srv.ports.plain);
  t.teardown(() => c.destroy());
  await c.open();
  const before = c.header?.id;
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from("\0alice\0pencil").toString("base64")}</auth>`);
  t.is((await c.next())?.name, "success");
  c.resetParser();
  await c.open();
  const after = c.header?.id;
  t.truthy(before);
  t.truthy(after);
  t.not(after, before);
});

test("plaintext sent after <starttls/> is never processed (STARTTLS command injection)", async (t) => {
  const raw = net.connect({ port: srv.ports.starttls, host: "127.0.0.1" });
  t.teardown(() => raw.destroy());
  await new Promise((r) => raw.once("connect", r));
  raw.write(HEADER());
  await readUntil(raw, "</stream:features>");
  // An attacker on the path appends an authentication to the client's <starttls/>, in the same segment.
  const plain = Buffer.from("\0alice\0pencil").toString("base64");
  raw.write(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth>`);
  const proceed = await readUntil(raw, "<proceed");
  t.false(proceed.includes("<success"));
  const secure = tls.connect({ socket: raw, servername: "localhost", rejectUnauthorized: false });
  await new Promise((r) => secure.once("secureConnect", r));
  secure.write(HEADER());
  const features = await readUntil(secure, "</stream:features>");
  // Still unauthenticated: SASL is offered again, nothing says the injected <auth/> succeeded.
  t.regex(features, /<mechanisms xmlns=['"]urn:ietf:params:xml:ns:xmpp-sasl['"]>/);
  t.false(features.includes("<success"));
  t.false(features.includes("urn:ietf:params:xml:ns:xmpp-bind"));
  secure.destroy();
});
