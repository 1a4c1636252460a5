/**
 * Misbehaving peers on the receiving side (RFC 6120 §4.9, §8.1.2.2, §13; XEP-0220 §2.2; XEP-0178 §3): each is
 * refused or closed with the right stream error, nothing it sent reaches a local user, and local users are
 * not disturbed. "evil.test" is played by a raw peer; its authoritative server is a real Palaver whose dialback
 * secret the test knows, so the raw peer can present a genuine key when a test needs it to be authenticated.
 */
import test from "ava";
import type { RawClient } from "../helpers/raw-client.js";
import { DialbackKeys } from "../../src/s2s/dialback-key.js";
import { makeCa, startFederated, loopback, freePort, type FedServer, type TestCa } from "./helpers.js";
import { mechanismsOf, RawPeer } from "./raw-peer.js";

const EVIL_SECRET = "the secret of evil.test, known to this test";

let ca: TestCa;
let a: FedServer;
let evil: FedServer;
let victim: RawClient;
let victimPings = 0;

test.before(async () => {
  ca = makeCa();
  const evilAddress = loopback();
  const evilPort = await freePort(evilAddress);
  evil = await startFederated({ domain: "evil.test", address: evilAddress, s2sPort: evilPort, s2s: { dialbackSecret: EVIL_SECRET } });
  a = await startFederated({
    domain: "a.test",
    // evil.test's conference service (its muc module) is reached at the same server.
    routes: { "evil.test": { host: evilAddress, port: evilPort }, "conference.evil.test": { host: evilAddress, port: evilPort } },
    trust: [ca.cert],
    limits: { negotiationTimeout: 3 },
    s2s: { idleTimeout: 2 },
  });
  await a.addUser("victim");
  victim = await a.login("victim");
  victim.send("<presence/>");
  await victim.until((el) => el.name === "presence");
});

test.after.always(async () => {
  victim?.destroy();
  await a?.stop();
  await evil?.stop();
});

/** The victim still gets answers, and what it gets first is that answer: nothing the peer sent reached it. */
async function victimUndisturbed(t: { is: (a: unknown, b: unknown, m?: string) => void }): Promise<void> {
  const id = `ping-${++victimPings}`;
  victim.send(`<iq type='get' id='${id}' to='a.test'><ping xmlns='urn:xmpp:ping'/></iq>`);
  const first = await victim.next(10_000);
  t.is(first?.name === "iq" && first.attrs.id === id ? "pong" : first?.toString(), "pong", "the victim's first element is its own answer");
}

const injected = (from = "mallory@evil.test") => `<message from='${from}' to='victim@a.test' type='chat'><body>injected</body></message>`;

async function peer(): Promise<RawPeer> {
  return RawPeer.connect(a.address, a.ports.s2s);
}

/** A raw peer authenticated as evil.test by dialback (over TLS), with a genuine key. */
async function authenticatedPeer(): Promise<RawPeer> {
  const p = await peer();
  await p.open("evil.test", "a.test");
  await p.starttls("evil.test", "a.test");
  const key = new DialbackKeys(EVIL_SECRET).make("a.test", "evil.test", p.header!.id!);
  p.send(`<db:result from='evil.test' to='a.test'>${key}</db:result>`);
  const result = await p.until((el) => el.name === "db:result");
  if (result.attrs.type !== "valid") throw new Error(`dialback failed: ${result.toString()}`);
  return p;
}

test.serial("stanzas before authentication: not-authorized, nothing delivered", async (t) => {
  const p = await peer();
  const features = await p.open("evil.test", "a.test");
  t.truthy(features.getChild("starttls"), "TLS is offered (and required) first");
  p.send(injected());
  t.is(await p.streamError(), "not-authorized");
  await victimUndisturbed(t);
});

test.serial("a stanza from a domain the peer did not authenticate: invalid-from, nothing delivered", async (t) => {
  const p = await authenticatedPeer();
  p.send(injected("mallory@forged.test"));
  t.is(await p.streamError(), "invalid-from");
  await victimUndisturbed(t);
});

test.serial("an authenticated peer's own stanzas do arrive (the control for the test above)", async (t) => {
  const p = await authenticatedPeer();
  p.send(injected("mallory@evil.test/x"));
  const m = await victim.until((el) => el.name === "message");
  t.is(m.attrs.from, "mallory@evil.test/x");
  t.is(m.getChildText("body"), "injected");
  p.destroy();
});

test.serial("several sender domains on one stream (XEP-0220 §4 multiplexing), each verified by its own key", async (t) => {
  const p = await authenticatedPeer();
  const key = new DialbackKeys(EVIL_SECRET).make("a.test", "conference.evil.test", p.header!.id!);
  p.send(`<db:result from='conference.evil.test' to='a.test'>${key}</db:result>`);
  const result = await p.until((el) => el.name === "db:result" && el.attrs.to === "conference.evil.test");
  t.is(result.attrs.type, "valid");
  p.send(injected("room@conference.evil.test/nick"));
  const m = await victim.until((el) => el.name === "message");
  t.is(m.attrs.from, "room@conference.evil.test/nick");
  // A third domain, not verified on this stream, is still refused.
  p.send(injected("x@other.evil.test"));
  t.is(await p.streamError(), "invalid-from");
});

test.serial("a dialback key that does not verify: db:result type='invalid', and its stanzas are refused", async (t) => {
  const p = await peer();
  await p.open("evil.test", "a.test");
  await p.starttls("evil.test", "a.test");
  p.send(`<db:result from='evil.test' to='a.test'>${"0".repeat(64)}</db:result>`);
  const result = await p.until((el) => el.name === "db:result");
  t.is(result.attrs.type, "invalid");
  t.is(result.attrs.from, "a.test");
  p.send(injected());
  t.is(await p.streamError(), "not-authorized");
  await victimUndisturbed(t);
});

test.serial("a dialback request for a domain this server does not serve: a dialback error, the stream stays", async (t) => {
  const p = await peer();
  await p.open("evil.test", "a.test");
  await p.starttls("evil.test", "a.test");
  p.send(`<db:result from='evil.test' to='elsewhere.test'>abc</db:result>`);
  const result = await p.until((el) => el.name === "db:result");
  t.is(result.attrs.type, "error");
  t.truthy(result.getChild("error")?.getChild("item-not-found"));
  p.send(injected());
  t.is(await p.streamError(), "not-authorized");
});

test.serial("a certificate for another domain: EXTERNAL is not offered and fails if tried; the right one succeeds", async (t) => {
  const wrong = await peer();
  await wrong.open("evil.test", "a.test");
  const features = await wrong.starttls("evil.test", "a.test", ca.issue(["other.test"]));
  t.deepEqual(mechanismsOf(features), []);
  t.truthy(features.getChild("dialback"), "dialback remains possible");
  wrong.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>ZXZpbC50ZXN0</auth>");
  const failure = await wrong.until((el) => el.name === "failure");
  t.truthy(failure.getChild("invalid-mechanism"));
  wrong.send(injected());
  t.is(await wrong.streamError(), "not-authorized");

  const right = await peer();
  await right.open("evil.test", "a.test");
  const good = await right.starttls("evil.test", "a.test", ca.issue(["evil.test"]));
  t.deepEqual(mechanismsOf(good), ["EXTERNAL"]);
  right.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>ZXZpbC50ZXN0</auth>");
  t.is((await right.next())?.name, "success");
  right.destroy();
  await victimUndisturbed(t);
});

test.serial("a peer that stalls in the middle of a stanza: connection-timeout", async (t) => {
  const p = await authenticatedPeer();
  p.send("<message from='mallory@evil.test' to='victim@a.test' type='chat'><body>never fin");
  t.is(await p.streamError(30_000), "connection-timeout");
  await victimUndisturbed(t);
});

test.serial("a peer that never authenticates: connection-timeout", async (t) => {
  const p = await peer();
  await p.open("evil.test", "a.test");
  t.is(await p.streamError(30_000), "connection-timeout");
});

test.serial("junk: not-well-formed, and junk instead of a header too", async (t) => {
  const p = await peer();
  await p.open("evil.test", "a.test");
  p.send("<message><<<&&& this is not XML");
  t.is(await p.streamError(), "not-well-formed");
  const q = await peer();
  q.send("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
  t.is(await q.streamError(), "not-well-formed");
  await victimUndisturbed(t);
});

test.serial("a stream header for a domain this server does not serve: host-unknown", async (t) => {
  const p = await peer();
  p.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='evil.test' to='elsewhere.test' version='1.0'>`);
  t.is(await p.streamError(), "host-unknown");
  const q = await peer();
  q.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='a.test' version='1.0'>`);
  t.is(await q.streamError(), "invalid-namespace");
});
