/**
 * XMPP over WebSocket (RFC 7395) against a live server: xmpp.js logs in with SCRAM over ws:// (plain, from
 * loopback) and wss://, reads its roster and exchanges a message with slixmpp on TCP; raw clients check the
 * handshake rules (§3.1), the one-element-per-message rule (§3.3.3), stream headers (§3.3.2, §3.4), stream
 * errors (§3.5) and the message size limit, with a bystander on TCP checking nobody else is disturbed.
 */
import test from "ava";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { CLIENTS_DIR, runClient, slixmppAvailable, SYSTEM_PYTHON, trustFile } from "../helpers/clients.js";
import { Watcher } from "../helpers/watcher.js";
import type { Element } from "ltx";
import { startWebServer, WsClient, type WebTestServer } from "./helpers.js";

let srv: WebTestServer;
let watcher: Watcher;
const MAX_STANZA = 16 * 1024;

test.before(async () => {
  srv = await startWebServer({}, { limits: { maxStanzaBytes: MAX_STANZA } });
  await srv.addUser("alice@localhost", "alice's secret");
  await srv.addUser("bob@localhost", "bob's secret");
  watcher = await Watcher.start(srv);
});

test.after.always(async () => {
  watcher?.close();
  await srv?.stop();
});

/** Element names of the messages received (raw text for anything that did not parse). */
const names = (ms: Array<Element | string>) => ms.map((m) => (typeof m === "string" ? m : m.name));
/** The stream error condition in a <stream:error/> message. */
const condition = (m: Element | string | undefined) => (typeof m === "string" || !m ? null : m.getChildElements()[0]?.name ?? null);

interface WsReport {
  ok: boolean;
  mechanism: string | null;
  jid: string | null;
  roster: { type: string; items: string[] | null } | null;
  sent: string | null;
  received: string | null;
  error: string | null;
}

function runXmppjsWs(service: string, extra: string[] = []) {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: trustFile(srv) };
  delete env.NODE_TLS_REJECT_UNAUTHORIZED;
  return runClient<WsReport>(process.execPath, [join(CLIENTS_DIR, "xmppjs_websocket.mjs"), "--service", service,
    "--domain", "localhost", "--username", "alice", "--password", "alice's secret", ...extra], env);
}

interface EchoReport { ok: boolean; jid: string | null; received: { from: string; body: string }[]; error: string | null }

/** slixmpp (bob) online on STARTTLS, answering one message; resolves `ready` once it is online. */
function slixmppEcho(): { ready: Promise<void>; done: Promise<{ code: number; report: EchoReport }> } {
  const child = spawn(SYSTEM_PYTHON, [join(CLIENTS_DIR, "slixmpp_echo.py"), "--host", "127.0.0.1", "--port", String(srv.ports.starttls),
    "--jid", "bob@localhost/slix", "--password", "bob's secret", "--mode", "starttls", "--count", "1", "--timeout", "30"]);
  let out = "";
  let err = "";
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => { markReady = resolve; });
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes('"ready": true')) markReady();
  });
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  const done = new Promise<{ code: number; report: EchoReport }>((resolve, reject) => {
    child.on("close", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      try {
        resolve({ code: code ?? -1, report: JSON.parse(last) as EchoReport });
      } catch {
        reject(new Error(`slixmpp_echo.py gave no report:\n${out}\n${err}`));
      }
    });
  });
  // If it dies before being ready, `done` tells why.
  return { ready: Promise.race([ready, done.then(() => { throw new Error(`slixmpp left early: ${out}${err}`); })]), done };
}

test.serial("xmpp.js over ws:// logs in with SCRAM, gets its roster and chats with slixmpp on TCP", async (t) => {
  if (!slixmppAvailable()) return t.fail("python3-slixmpp is not installed (.ci/run installs it)");
  const bob = slixmppEcho();
  await bob.ready;
  const { code, report } = await runXmppjsWs(`ws://127.0.0.1:${srv.http}/xmpp-websocket`, ["--peer", "bob@localhost", "--body", "hi bob, from a WebSocket"]);
  t.is(code, 0, report.error ?? "");
  t.is(report.mechanism, "SCRAM-SHA-1");
  t.is(report.jid, "alice@localhost/xmppjs-ws");
  t.deepEqual(report.roster, { type: "result", items: [] });
  t.is(report.received, "echo: hi bob, from a WebSocket");
  const b = await bob.done;
  t.is(b.code, 0, b.report.error ?? "");
  t.deepEqual(b.report.received, [{ from: "alice@localhost/xmppjs-ws", body: "hi bob, from a WebSocket" }]);
});

test("xmpp.js over wss:// verifies the certificate and logs in with SCRAM", async (t) => {
  const { code, report } = await runXmppjsWs(`wss://localhost:${srv.https}/xmpp-websocket`);
  t.is(code, 0, report.error ?? "");
  t.is(report.mechanism, "SCRAM-SHA-1");
  t.is(report.roster?.type, "result");
});

test("wss:// is secure: channel binding (SCRAM-*-PLUS) is offered, no STARTTLS; features declare their prefix", async (t) => {
  const ws = await WsClient.connect(`wss://127.0.0.1:${srv.https}/xmpp-websocket`);
  const { open, features } = await ws.open();
  t.is(open.attrs.xmlns, "urn:ietf:params:xml:ns:xmpp-framing");
  t.is(open.attrs.from, "localhost");
  t.is(open.attrs.version, "1.0");
  t.truthy(open.attrs.id);
  t.is(features.attrs["xmlns:stream"], "http://etherx.jabber.org/streams");
  const mechs = features.getChild("mechanisms")!.getChildren("mechanism").map((m) => m.getText());
  t.true(mechs.includes("SCRAM-SHA-256-PLUS"));
  t.is(features.getChild("starttls"), undefined);
  ws.close();
});

test("a handshake without the xmpp subprotocol is refused with HTTP 400 (RFC 7395 §3.1)", async (t) => {
  const err = await t.throwsAsync(WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`, { protocols: ["chat"] }));
  t.is(err?.message, "HTTP 400");
  const none = await t.throwsAsync(WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`, { protocols: [] }));
  t.is(none?.message, "HTTP 400");
  t.is(await watcher.ping(), "result");
});

test("a page from another origin is refused; the same host's pages are not", async (t) => {
  const err = await t.throwsAsync(WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`, { origin: "https://evil.example" }));
  t.is(err?.message, "HTTP 403");
  const ok = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`, { origin: `http://127.0.0.1:${srv.http}` });
  const { features } = await ok.open();
  t.truthy(features.getChild("mechanisms"));
  ok.close();
});

test("two stanzas in one message: not-well-formed, and neither is processed (RFC 7395 §3.3.3)", async (t) => {
  const ws = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`);
  await ws.open();
  ws.send("<iq type='get' id='one' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq><iq type='get' id='two' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>");
  const rest = await ws.rest();
  t.deepEqual(names(rest), ["stream:error", "close"]);
  t.is(condition(rest[0]), "not-well-formed");
  t.is(ws.closeCode, 1000);
  t.is(await watcher.ping(), "result");
});

test("half a stanza in a message: not-well-formed", async (t) => {
  const ws = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`);
  await ws.open();
  ws.send("<message to='bob@localhost' xmlns='jabber:client'><body>half");
  const rest = await ws.rest();
  t.deepEqual(names(rest), ["stream:error", "close"]);
  t.is(condition(rest[0]), "not-well-formed");
});

test("a stream header outside the framing namespace is invalid-namespace (RFC 7395 §3.3.2), after an <open/> (§3.5)", async (t) => {
  const ws = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`);
  ws.send("<open xmlns='jabber:client' to='localhost' version='1.0'/>");
  const rest = await ws.rest();
  t.deepEqual(names(rest), ["open", "stream:error", "close"]);
  t.is(condition(rest[1]), "invalid-namespace");
});

test("an unknown domain: the <open/> answer, then host-unknown, then <close/>", async (t) => {
  const ws = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`);
  ws.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='elsewhere.example' version='1.0'/>");
  const rest = await ws.rest();
  t.deepEqual(names(rest), ["open", "stream:error", "close"]);
  t.is(condition(rest[1]), "host-unknown");
});

test("<close/> from the client is answered with <close/> and the WebSocket closes normally (RFC 7395 §3.6)", async (t) => {
  const ws = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`);
  await ws.open();
  ws.send("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
  const rest = await ws.rest();
  t.deepEqual(names(rest), ["close"]);
  t.is(ws.closeCode, 1000);
});

test("a message over the stanza limit closes the WebSocket with 1009; a binary one with 1003", async (t) => {
  const big = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`);
  await big.open();
  big.send(`<message xmlns='jabber:client' to='bob@localhost'><body>${"x".repeat(MAX_STANZA)}</body></message>`);
  t.is(await big.closed, 1009);
  const bin = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`);
  await bin.open();
  bin.ws.send(Buffer.from("<presence xmlns='jabber:client'/>"), { binary: true });
  t.is(await bin.closed, 1003);
  t.is(await watcher.ping(), "result");
});

test("plain ws:// relayed from a remote address gets <close see-other-uri/> to wss:// (RFC 7395 §3.6.1)", async (t) => {
  // A proxy on this machine relaying a remote client over plain HTTP: no login may happen in the clear there.
  const ws = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`, {
    headers: { "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "chat.example:5280" },
  });
  ws.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
  const rest = await ws.rest();
  t.deepEqual(names(rest), ["close"]);
  t.is((rest[0] as Element).attrs["see-other-uri"], `wss://chat.example:${srv.https}/xmpp-websocket`);
  t.is(ws.closeCode, 1000);
});
