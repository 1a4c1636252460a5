/**
 * What a misbehaving client gets (RFC 6120 §4.9 stream errors, §6.4.5 SASL failures, §8.3 stanza errors,
 * §11 restricted XML), and that nobody else notices: after each case a client logged in on the same server
 * still gets its pings answered.
 */
import test, { type ExecutionContext } from "ava";
import type { Element } from "ltx";
import net from "node:net";
import { HEADER, RawClient } from "../helpers/raw-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { garbageCollector, until } from "../helpers/release.js";
import { Watcher } from "../helpers/watcher.js";

const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const PING = "<ping xmlns='urn:xmpp:ping'/>";

let srv: TestServer;
let watcher: Watcher;

test.before(async () => {
  srv = await startTestServer();
  await srv.addUser("alice@localhost", "pencil");
  await srv.addUser("dup@localhost", "twice");
  watcher = await Watcher.start(srv);
});

test.after.always(async () => {
  watcher?.close();
  await srv?.stop();
});

/** A stream header with the given attributes (the XML declaration and namespaces as a client sends them). */
function header(attrs: Record<string, string | undefined>, prefixNs = "http://etherx.jabber.org/streams"): string {
  const all: Record<string, string | undefined> = { xmlns: "jabber:client", "xmlns:stream": prefixNs, to: "localhost", version: "1.0", ...attrs };
  const list = Object.entries(all).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}='${v}'`).join("");
  return `<?xml version='1.0'?><stream:stream${list}>`;
}

async function connect(port = srv.ports.plain): Promise<RawClient> {
  return RawClient.connect(port);
}

let resources = 0;
async function loggedIn(): Promise<RawClient> {
  const c = await connect();
  await c.login("alice", "pencil", `bad-input-${++resources}`);
  return c;
}

/** The server sent exactly this stream error and closed the connection. */
async function assertStreamError(t: ExecutionContext, c: RawClient, condition: string, timeoutMs = 5000): Promise<void> {
  t.is(await c.streamError(timeoutMs), condition);
  await c.closed;
  t.true(c.closedByServer);
}

/** The bystander is still served. */
async function assertOthersServed(t: ExecutionContext, w: Watcher = watcher): Promise<void> {
  t.is(await w.ping(), "result", "a logged-in client on the same server gets its ping answered");
}

/** The defined condition of a stanza error reply (RFC 6120 §8.3.3). */
function stanzaCondition(el: Element): string | undefined {
  const error = el.getChild("error");
  return error?.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== "text")?.name;
}

// ---- XML (RFC 6120 §11) ----

test("malformed XML (mismatched tags) is not-well-formed", async (t) => {
  const c = await connect();
  await c.open();
  c.send("<message to='watcher@localhost'><body>hello</message>");
  await assertStreamError(t, c, "not-well-formed");
  await assertOthersServed(t);
});

test("a DTD declaring entities (billion laughs) is restricted-xml", async (t) => {
  const c = await connect();
  const lol = (n: number) => `&lol${n};`.repeat(10);
  const dtd = `<!DOCTYPE lolz [<!ENTITY lol0 "lol">${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `<!ENTITY lol${n} "${lol(n - 1)}">`).join("")}]>`;
  c.send(`<?xml version='1.0'?>${dtd}${HEADER().replace("<?xml version='1.0'?>", "")}<message><body>&lol9;</body></message>`);
  await assertStreamError(t, c, "restricted-xml");
  await assertOthersServed(t);
});

test("a comment is restricted-xml", async (t) => {
  const c = await connect();
  await c.open();
  c.send("<!-- just a remark -->");
  await assertStreamError(t, c, "restricted-xml");
  await assertOthersServed(t);
});

test("a comment inside a stanza after login is restricted-xml", async (t) => {
  const c = await loggedIn();
  c.send("<message to='watcher@localhost'><body>hi<!-- hidden --></body></message>");
  await assertStreamError(t, c, "restricted-xml");
  await assertOthersServed(t);
});

test("an undeclared entity reference is restricted-xml", async (t) => {
  const c = await loggedIn();
  c.send("<message to='watcher@localhost'><body>&xxe;</body></message>");
  await assertStreamError(t, c, "restricted-xml");
  await assertOthersServed(t);
});

test("a processing instruction is restricted-xml", async (t) => {
  const c = await connect();
  await c.open();
  c.send("<?xml-stylesheet href='evil.xsl'?>");
  await assertStreamError(t, c, "restricted-xml");
  await assertOthersServed(t);
});

test("a 1 MiB stanza sent in chunks after login is a policy-violation", async (t) => {
  const c = await loggedIn();
  c.send("<message to='watcher@localhost'><body>");
  const chunk = "x".repeat(64 * 1024);
  let sent = 0;
  // 16 chunks of 64 KiB: the default limit (256 KiB) is crossed a quarter of the way in; stop writing once the
  // server has closed the connection.
  for (let i = 0; i < 16 && !c.closedByServer; i++) {
    c.send(chunk);
    sent += chunk.length;
    await new Promise((r) => setImmediate(r));
  }
  c.send("</body></message>");
  await assertStreamError(t, c, "policy-violation");
  t.log(`bytes written before the close was noticed: ${sent}`);
  await assertOthersServed(t);
});

// ---- stream header (RFC 6120 §4.7, §4.9.3) ----

test("a wrong default namespace or stream namespace is invalid-namespace", async (t) => {
  const a = await connect();
  a.send(header({ xmlns: "jabber:server" }));
  await assertStreamError(t, a, "invalid-namespace");
  const b = await connect();
  b.send(header({}, "http://example.com/not-streams"));
  await assertStreamError(t, b, "invalid-namespace");
  await assertOthersServed(t);
});

test("a stream to a host the server does not serve is host-unknown", async (t) => {
  const c = await connect();
  c.send(header({ to: "example.org" }));
  await assertStreamError(t, c, "host-unknown");
  // The header the server answered with names a domain it does serve, never the unknown one.
  t.is(c.header?.from, "localhost");
  await assertOthersServed(t);
});

test("version 2.0 or no version is unsupported-version", async (t) => {
  const a = await connect();
  a.send(header({ version: "2.0" }));
  await assertStreamError(t, a, "unsupported-version");
  const b = await connect();
  b.send(header({ version: undefined }));
  await assertStreamError(t, b, "unsupported-version");
  await assertOthersServed(t);
});

// ---- before authentication (RFC 6120 §5-§6) ----

test("a stanza before authentication on the plaintext listener is not-authorized", async (t) => {
  const c = await connect();
  await c.open();
  c.send("<message to='watcher@localhost'><body>let me in</body></message>");
  await assertStreamError(t, c, "not-authorized");
  await assertOthersServed(t);
});

test("on the STARTTLS listener before TLS: only STARTTLS is offered, <auth/> gets encryption-required, a stanza is a policy-violation", async (t) => {
  const c = await connect(srv.ports.starttls);
  const features = await c.open();
  t.truthy(features.getChild("starttls", "urn:ietf:params:xml:ns:xmpp-tls")?.getChild("required"));
  // RFC 6120 §5.3.1: while TLS is mandatory it is the only feature, so no PLAIN (nor any mechanism).
  t.is(features.getChild("mechanisms", NS_SASL), undefined);
  const plain = Buffer.from("\0alice\0pencil").toString("base64");
  c.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${plain}</auth>`);
  const failure = await c.next();
  t.is(failure?.name, "failure");
  t.truthy(failure?.getChild("encryption-required"));
  c.send("<message to='watcher@localhost'><body>in the clear</body></message>");
  await assertStreamError(t, c, "policy-violation");
  await assertOthersServed(t);
});

test("an unknown SASL mechanism gets invalid-mechanism, and the stream stays usable", async (t) => {
  const c = await connect();
  await c.open();
  c.send(`<auth xmlns='${NS_SASL}' mechanism='X-NOT-A-MECHANISM'>=</auth>`);
  const failure = await c.next();
  t.is(failure?.name, "failure");
  t.truthy(failure?.getChild("invalid-mechanism"));
  const plain = Buffer.from("\0alice\0pencil").toString("base64");
  c.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${plain}</auth>`);
  t.is((await c.next())?.name, "success");
  c.destroy();
  await assertOthersServed(t);
});

test("the fifth failed SASL attempt on one stream ends it with policy-violation", async (t) => {
  const c = await connect();
  await c.open();
  const wrong = Buffer.from("\0alice\0not-the-password").toString("base64");
  for (let i = 1; i <= 4; i++) {
    c.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${wrong}</auth>`);
    const failure = await c.next();
    t.is(failure?.name, "failure", `attempt ${i}`);
    t.truthy(failure?.getChild("not-authorized"), `attempt ${i}`);
  }
  t.false(c.closedByServer);
  c.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${wrong}</auth>`);
  const fifth = await c.next();
  t.truthy(fifth?.getChild("not-authorized"));
  await assertStreamError(t, c, "policy-violation");
  await assertOthersServed(t);
});

test("failed logins are throttled per address after the free ones, and the real user still gets in within the cap", async (t) => {
  // 2 free failures; a 3-second window, so no delay exceeds 3 s (src/sasl/throttle.ts: 1 s after the first
  // failure beyond the free ones, doubling, capped at the window).
  const windowMs = 3000;
  const throttled = await startTestServer({ auth: { throttleFreeFailures: 2, throttleWindow: windowMs / 1000 } });
  t.teardown(() => throttled.stop());
  await throttled.addUser("victim@localhost", "right");
  const w = await Watcher.start(throttled);
  t.teardown(() => w.close());

  const wrong = `<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${Buffer.from("\0victim\0wrong").toString("base64")}</auth>`;
  const a = await RawClient.connect(throttled.ports.plain);
  await a.open();
  const attempt = async () => {
    const started = Date.now();
    a.send(wrong);
    const failure = await a.next(windowMs + 5000);
    t.truthy(failure?.getChild("not-authorized"));
    return Date.now() - started;
  };
  await attempt();
  await attempt();
  // The third failure (first beyond the free ones) is answered no sooner than 1 s after it happened.
  // (A few milliseconds of tolerance: the server's timer and this Date.now() are different clocks.)
  const third = await attempt();
  t.true(third >= 1000 - 5, `third failure answered after ${third} ms`);

  // The fourth waits 2 s. While it is pending, the account's owner logs in from the same address: throttling is
  // per address, so they wait too, but never longer than the cap.
  const fourth = attempt();
  await new Promise((r) => setTimeout(r, 200));
  const owner = await RawClient.connect(throttled.ports.plain);
  await owner.open();
  const started = Date.now();
  owner.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${Buffer.from("\0victim\0right").toString("base64")}</auth>`);
  const answer = await owner.next(windowMs + 5000);
  const ownerWait = Date.now() - started;
  t.is(answer?.name, "success");
  t.true(ownerWait <= windowMs + 1500, `the owner waited ${ownerWait} ms; the cap is ${windowMs} ms`);
  const fourthWait = await fourth;
  t.true(fourthWait >= 2000 - 5, `fourth failure answered after ${fourthWait} ms`);
  a.destroy();
  owner.destroy();
  await assertOthersServed(t, w);
});

// ---- stanzas (RFC 6120 §8) ----

test("an IQ without an id, and a get with two payloads, are bad-request", async (t) => {
  const c = await loggedIn();
  c.send(`<iq type='get' to='localhost'>${PING}</iq>`);
  const noId = await c.until((el) => el.name === "iq" && el.attrs.id === undefined);
  t.is(noId.attrs.type, "error");
  t.is(stanzaCondition(noId), "bad-request");
  c.send(`<iq type='get' id='two' to='localhost'>${PING}<query xmlns='jabber:iq:version'/></iq>`);
  const two = await c.until((el) => el.attrs.id === "two");
  t.is(two.attrs.type, "error");
  t.is(stanzaCondition(two), "bad-request");
  // Stanza errors leave the stream open.
  c.send(`<iq type='get' id='after' to='localhost'>${PING}</iq>`);
  t.is((await c.until((el) => el.attrs.id === "after")).attrs.type, "result");
  c.destroy();
  await assertOthersServed(t);
});

test("a from that is not the session's is invalid-from", async (t) => {
  const c = await loggedIn();
  c.send("<message from='watcher@localhost/watch' to='alice@localhost'><body>it is me, really</body></message>");
  await assertStreamError(t, c, "invalid-from");
  await assertOthersServed(t);
});

test("a malformed to is jid-malformed", async (t) => {
  const c = await loggedIn();
  c.send(`<iq type='get' id='m1' to='a@b@c'>${PING}</iq>`);
  const m1 = await c.until((el) => el.attrs.id === "m1");
  t.is(m1.attrs.type, "error");
  t.is(stanzaCondition(m1), "jid-malformed");
  c.send("<message id='m2' to='user@bad..domain'><body>x</body></message>");
  const m2 = await c.until((el) => el.attrs.id === "m2");
  t.is(m2.attrs.type, "error");
  t.is(stanzaCondition(m2), "jid-malformed");
  c.send(`<iq type='get' id='m3' to='user@-leading-hyphen.example'>${PING}</iq>`);
  t.is(stanzaCondition(await c.until((el) => el.attrs.id === "m3")), "jid-malformed");
  c.destroy();
  await assertOthersServed(t);
});

test("an IQ in an unknown namespace to the server is service-unavailable", async (t) => {
  const c = await loggedIn();
  c.send("<iq type='get' id='u1' to='localhost'><nothing xmlns='urn:example:unknown'/></iq>");
  const reply = await c.until((el) => el.attrs.id === "u1");
  t.is(reply.attrs.type, "error");
  t.is(reply.attrs.from, "localhost");
  t.is(stanzaCondition(reply), "service-unavailable");
  c.destroy();
  await assertOthersServed(t);
});

test("an IQ to a full JID that is not online is service-unavailable", async (t) => {
  const c = await loggedIn();
  c.send(`<iq type='get' id='f1' to='watcher@localhost/not-this-one'>${PING}</iq>`);
  const f1 = await c.until((el) => el.attrs.id === "f1");
  t.is(f1.attrs.type, "error");
  t.is(f1.attrs.from, "watcher@localhost/not-this-one");
  t.is(stanzaCondition(f1), "service-unavailable");
  c.send(`<iq type='get' id='f2' to='nobody@localhost/anything'>${PING}</iq>`);
  t.is(stanzaCondition(await c.until((el) => el.attrs.id === "f2")), "service-unavailable");
  c.destroy();
  await assertOthersServed(t);
});

test("a second login with the same resource replaces the first, which gets a conflict stream error", async (t) => {
  const first = await connect();
  t.is(await first.login("dup", "twice", "same"), "dup@localhost/same");
  const second = await connect();
  t.is(await second.login("dup", "twice", "same"), "dup@localhost/same");
  await assertStreamError(t, first, "conflict");
  second.send(`<iq type='get' id='p' to='localhost'>${PING}</iq>`);
  t.is((await second.until((el) => el.attrs.id === "p")).attrs.type, "result");
  t.is(srv.server.sessions.resources("dup@localhost").length, 1);
  second.destroy();
  await assertOthersServed(t);
});

// ---- many connections, timeouts ----

test("500 connections opened and dropped at once: pings are answered throughout and everything is released", async (t) => {
  const N = 500;
  // All connections come from 127.0.0.1, above the per-address default of 200.
  const busy = await startTestServer({ limits: { maxConnectionsPerIp: N + 10 } });
  t.teardown(() => busy.stop());
  const w = await Watcher.start(busy);
  t.teardown(() => w.close());
  t.is(busy.server.connectionCount(), 1);
  const gc = garbageCollector();
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;

  const full = HEADER();
  const partial = full.slice(0, full.indexOf(" to="));
  const pending = `<message to='watcher@localhost'><body>${"x".repeat(64 * 1024)}`;
  const open = (i: number) => new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ port: busy.ports.plain, host: "127.0.0.1" });
    s.on("error", () => {});
    s.once("error", reject);
    if (i % 2 === 0) {
      s.once("connect", () => { s.write(partial); resolve(s); });
    } else {
      // Complete header, answered by the server's features; then the start of a stanza the server must buffer
      // (64 KiB each, 16 MiB in all: enough that keeping them after the drop would show in the heap).
      let seen = "";
      s.once("connect", () => s.write(full));
      s.on("data", (d) => {
        if (seen.includes("</stream:features>")) return;
        seen += d.toString();
        if (seen.includes("</stream:features>")) s.write(pending, () => resolve(s));
      });
    }
  });
  const sockets = await Promise.all(Array.from({ length: N }, (_, i) => open(i)));
  await assertOthersServed(t, w);
  gc?.();
  t.log(`heap growth while the ${N} connections are open: ${((process.memoryUsage().heapUsed - heapBefore) / 1024).toFixed(0)} KiB`);
  t.true(await until(() => busy.server.connectionCount() === N + 1, 10_000), `connections seen: ${busy.server.connectionCount()}`);

  // Drop them all in one go: half with a FIN, half with a RST.
  sockets.forEach((s, i) => (i % 4 < 2 ? s.destroy() : s.resetAndDestroy()));
  await assertOthersServed(t, w);
  t.true(await until(() => busy.server.connectionCount() === 1, 10_000), `connections left: ${busy.server.connectionCount()}`);
  await assertOthersServed(t, w);

  if (!gc) {
    t.log("no garbage collector available: heap not compared");
    return;
  }
  gc();
  const grown = process.memoryUsage().heapUsed - heapBefore;
  t.log(`heap growth after ${N} connections came and went: ${(grown / 1024).toFixed(0)} KiB`);
  // Loose: the half-received stanzas alone hold 16 MiB while the connections are open.
  t.true(grown < 8 * 1024 * 1024, `heap grew by ${grown} bytes`);
});

test("a connection that only sends a header is closed with connection-timeout after negotiationTimeout", async (t) => {
  const slow = await startTestServer({ limits: { negotiationTimeout: 1 } });
  t.teardown(() => slow.stop());
  const w = await Watcher.start(slow);
  t.teardown(() => w.close());
  const c = await RawClient.connect(slow.ports.plain);
  const features = await c.open();
  t.is(features.name, "stream:features");
  // The sweeper runs every 5 s: the error comes 1-6 s after connecting.
  await assertStreamError(t, c, "connection-timeout", 9000);
  await assertOthersServed(t, w);
});
