/**
 * XEP-0198 Stream Management through a real server with raw clients: enabling, acks both ways, batching of the
 * server's requests, <handled-count-too-high/>, and resumption after the TCP connection dies (on TCP again and on
 * Direct TLS) with every message delivered exactly once and in order; the error cases of §3, §5 and §6.
 */
import test from "ava";
import type { Element } from "ltx";
import type { HookMap } from "../../src/hooks.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../helpers/server.js";
import { NS_SM, SmClient, stopServer } from "./sm-client.js";

/** Resolves the first time `event` fires for a session of `jid` (observes only: runs above every module). */
function when<K extends "session:interrupted" | "session:closed">(srv: TestServer, event: K, jid: string): Promise<HookMap[K]> {
  return new Promise((resolve) => {
    const off = srv.server.hooks.on(event, (p) => {
      if (p.session.jid.full !== jid) return false;
      off();
      resolve(p);
      return false;
    }, 10_000);
  });
}

async function setup(t: { teardown(fn: () => Promise<void>): void }, sm: Record<string, unknown> = {}) {
  const srv = await startTestServer({ modules: { ...DEFAULT_MODULES, sm } });
  t.teardown(() => stopServer(srv));
  await srv.addUser("juliet@localhost", "pw");
  await srv.addUser("romeo@localhost", "pw");
  return srv;
}

const ids = (els: Element[]) => els.filter((e) => e.name === "message").map((e) => e.attrs.id);

test("§2-§4: <sm/> offered with bind; enable with resume; <a/> counts handled stanzas, not nonzas", async (t) => {
  const srv = await setup(t);
  const { client: probe, features } = await SmClient.authenticated(srv, "romeo");
  t.truthy(features.getChild("sm", NS_SM), "offered after authentication, with bind");
  t.truthy(features.getChild("bind", "urn:ietf:params:xml:ns:xmpp-bind"));
  probe.raw.destroy();

  const juliet = await SmClient.login(srv, "juliet", "phone");
  const enabled = await juliet.enable();
  t.is(enabled.name, "enabled");
  t.is(enabled.attrs.resume, "true");
  t.truthy(enabled.attrs.id);
  t.is(enabled.attrs.max, "300");
  t.is(await juliet.serverCount(), 0, "h starts at zero; <r/> is not a stanza");
  juliet.send("<presence/>");
  juliet.send("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
  // An IQ the core answers itself with an error (no id) is handled too.
  juliet.send("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
  juliet.send(`<a xmlns='${NS_SM}' h='0'/>`);
  t.is(await juliet.serverCount(), 3);
});

test("§3: enable before binding and a second enable fail; without resume no SM-ID is given", async (t) => {
  const srv = await setup(t);
  const { client } = await SmClient.authenticated(srv, "juliet");
  const early = await client.enable();
  t.is(early.name, "failed");
  t.truthy(early.getChild("unexpected-request", "urn:ietf:params:xml:ns:xmpp-stanzas"));

  const juliet = await SmClient.login(srv, "juliet", "phone");
  const enabled = await juliet.enable(false);
  t.is(enabled.name, "enabled");
  t.is(enabled.attrs.id, undefined);
  t.is(enabled.attrs.resume, undefined);
  const again = await juliet.enable();
  t.is(again.name, "failed");
  t.is(await juliet.raw.streamError(), "policy-violation", "§3: a second enable ends the stream");
});

test("§4: the server batches its requests and keeps unacknowledged stanzas until acked", async (t) => {
  const srv = await setup(t, { requestAfter: 4 });
  const juliet = await SmClient.login(srv, "juliet", "phone");
  await juliet.enable();
  const romeo = await SmClient.login(srv, "romeo", "pc");
  for (let i = 1; i <= 8; i++) romeo.send(`<message to='juliet@localhost/phone' type='chat' id='m${i}'><body>${i}</body></message>`);
  await romeo.barrier();
  for (let i = 1; i <= 8; i++) await juliet.message();
  // Not one request per stanza: one once four are unacknowledged, and no other while it is unanswered.
  if (juliet.requests === 0) {
    const r = await juliet.raw.next();
    t.is(r?.name, "r");
    t.is(r?.attrs.xmlns, NS_SM);
    juliet.requests++;
  }
  t.is(juliet.requests, 1);
  juliet.ack();
  t.is(juliet.h, 8);
  // Acknowledged: the next resumption would have nothing to send again.
  const state = srv.server.sessions.get("juliet@localhost/phone")!.data.get("sm") as { queue: { length: number } };
  await juliet.barrier();
  t.is(state.queue.length, 1, "only the ping result written after the ack is unacknowledged");
});

test("§6: an ack for more stanzas than were sent ends the stream with <handled-count-too-high/>", async (t) => {
  const srv = await setup(t);
  const juliet = await SmClient.login(srv, "juliet", "phone");
  await juliet.enable();
  await juliet.barrier(); // one stanza sent: the ping result
  juliet.send(`<a xmlns='${NS_SM}' h='5'/>`);
  const error = await juliet.raw.until((el) => el.name === "stream:error");
  t.truthy(error.getChild("undefined-condition", "urn:ietf:params:xml:ns:xmpp-streams"));
  const detail = error.getChild("handled-count-too-high", NS_SM);
  t.is(detail?.attrs.h, "5");
  t.is(detail?.attrs["send-count"], "1");
});

/**
 * Juliet's connection dies while Romeo's messages are on their way: she read some (and acked fewer), others are in
 * flight or sent while she is away. On a new connection she resumes with the 'h' she reached: everything she did not
 * read comes again, in order, and nothing she read comes twice.
 */
async function resumeAfterDeath(t: import("ava").ExecutionContext, secondConnection: { tls?: boolean }) {
  const srv = await setup(t);
  const juliet = await SmClient.login(srv, "juliet", "phone");
  const enabled = await juliet.enable();
  juliet.send("<presence/>");
  await juliet.until((el) => el.name === "presence"); // her own presence comes back (RFC 6121 §4.2.2)
  const romeo = await SmClient.login(srv, "romeo", "pc");
  for (let i = 1; i <= 10; i++) romeo.send(`<message to='juliet@localhost' type='chat' id='m${i}'><body>${i}</body></message>`);
  await romeo.barrier();
  const firstRead: Element[] = [];
  for (let i = 1; i <= 6; i++) {
    firstRead.push(await juliet.message());
    if (i === 3) juliet.ack(); // acked up to m3; m4-m6 read but never acked; m7-m10 in flight
  }
  const interrupted = when(srv, "session:interrupted", "juliet@localhost/phone");
  juliet.kill();
  await interrupted;
  // Detached: still registered and available, so messages keep coming to the session (XEP-0198 §5).
  const session = srv.server.sessions.get("juliet@localhost/phone");
  t.truthy(session, "the session stays registered");
  t.not(session!.presence, null, "and available");
  for (let i = 11; i <= 13; i++) romeo.send(`<message to='juliet@localhost' type='chat' id='m${i}'><body>${i}</body></message>`);
  await romeo.barrier();

  const { client: again } = await SmClient.authenticated(srv, "juliet", secondConnection);
  const resumed = await again.resume(enabled.attrs.id!, juliet.h);
  t.is(resumed.name, "resumed");
  t.is(resumed.attrs.previd, enabled.attrs.id);
  t.is(resumed.attrs.h, "1", "the server handled one stanza from her: the presence");
  const secondRead: Element[] = [];
  for (let i = 7; i <= 13; i++) secondRead.push(await again.message());
  t.deepEqual([...ids(firstRead), ...ids(secondRead)], Array.from({ length: 13 }, (_, i) => `m${i + 1}`), "each message once, in order");
  for (const m of secondRead.slice(0, 4)) t.truthy(m.getChild("delay", "urn:xmpp:delay"), "retransmitted with the original time");
  // The session goes on where it was: same JID, still available, counters carried over.
  t.is(srv.server.sessions.get("juliet@localhost/phone"), session);
  t.is(await again.serverCount(), 1);
  romeo.send("<message to='juliet@localhost/phone' type='chat' id='after'><body>welcome back</body></message>");
  t.is((await again.message()).attrs.id, "after");
  return { srv, session };
}

test("§5: resumption on a new TCP connection after the old one died: every message exactly once, in order", async (t) => {
  await resumeAfterDeath(t, {});
});

test("§5: resumption on Direct TLS after a plain TCP connection died", async (t) => {
  const { session } = await resumeAfterDeath(t, { tls: true });
  t.true(session!.secure, "the session now runs over TLS");
});

test("§5: resuming while the old connection is still open closes it with <conflict/>", async (t) => {
  const srv = await setup(t);
  const juliet = await SmClient.login(srv, "juliet", "phone");
  const enabled = await juliet.enable();
  const romeo = await SmClient.login(srv, "romeo", "pc");
  romeo.send("<message to='juliet@localhost/phone' type='chat' id='x1'><body>1</body></message>");
  await romeo.barrier();
  const { client: again } = await SmClient.authenticated(srv, "juliet");
  t.is((await again.resume(enabled.attrs.id!, 0)).name, "resumed");
  t.is((await again.message()).attrs.id, "x1");
  t.is(await juliet.raw.streamError(), "conflict");
  await juliet.raw.closed;
  romeo.send("<message to='juliet@localhost/phone' type='chat' id='x2'><body>2</body></message>");
  t.is((await again.message()).attrs.id, "x2", "the session lives on in the new stream");
});

test("§5: failed resumptions: unknown id, another account's id, wrong order; binding is still possible", async (t) => {
  const srv = await setup(t);
  const juliet = await SmClient.login(srv, "juliet", "phone");
  const enabled = await juliet.enable();

  const { client: unknown } = await SmClient.authenticated(srv, "juliet");
  const failed = await unknown.resume("no-such-id", 0);
  t.is(failed.name, "failed");
  t.truthy(failed.getChild("item-not-found", "urn:ietf:params:xml:ns:xmpp-stanzas"));
  t.is(failed.attrs.h, undefined);
  // §5: "the server SHOULD allow the client to bind a resource at this point".
  unknown.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>other</resource></bind></iq>");
  t.is((await unknown.raw.until((el) => el.attrs.id === "b")).attrs.type, "result");
  t.is((await unknown.resume(enabled.attrs.id!, 0)).getChild("unexpected-request")?.name, "unexpected-request", "after binding");

  const { client: thief } = await SmClient.authenticated(srv, "romeo");
  t.truthy((await thief.resume(enabled.attrs.id!, 0)).getChild("item-not-found"), "another account's session is not found");

  const { client: bad } = await SmClient.authenticated(srv, "juliet");
  t.truthy((await bad.resume(enabled.attrs.id!, NaN)).getChild("bad-request"), "a malformed 'h'");
  t.truthy(srv.server.sessions.get("juliet@localhost/phone"), "the session is untouched");
});

test("§5: a session that was not resumed in time is gone: <failed/> with the 'h' it had reached", async (t) => {
  const srv = await setup(t, { resumeTimeout: 1 });
  const juliet = await SmClient.login(srv, "juliet", "phone");
  const enabled = await juliet.enable();
  t.is(enabled.attrs.max, "1");
  juliet.send("<presence/>");
  await juliet.barrier();
  const closed = when(srv, "session:closed", "juliet@localhost/phone");
  juliet.kill();
  t.is((await closed).reason, "not resumed in time");
  t.is(srv.server.sessions.get("juliet@localhost/phone"), undefined);
  const { client: late } = await SmClient.authenticated(srv, "juliet");
  const failed = await late.resume(enabled.attrs.id!, 0);
  t.truthy(failed.getChild("item-not-found"));
  t.is(failed.attrs.h, "2", "presence and ping were handled");
});

test("a clean close ends the session at once (no hibernation)", async (t) => {
  const srv = await setup(t);
  const juliet = await SmClient.login(srv, "juliet", "phone");
  const enabled = await juliet.enable();
  const closed = when(srv, "session:closed", "juliet@localhost/phone");
  juliet.send("</stream:stream>");
  await closed;
  const { client } = await SmClient.authenticated(srv, "juliet");
  t.truthy((await client.resume(enabled.attrs.id!, 0)).getChild("item-not-found"));
});

test("§6: a resumption claiming more than was sent is a stream error, and the session ends (its queue to offline)", async (t) => {
  const srv = await setup(t);
  const juliet = await SmClient.login(srv, "juliet", "phone");
  const enabled = await juliet.enable();
  juliet.send("<presence/>");
  await juliet.barrier(); // sent so far: her own presence and the ping result
  const interrupted = when(srv, "session:interrupted", "juliet@localhost/phone");
  juliet.kill();
  await interrupted;
  const closed = when(srv, "session:closed", "juliet@localhost/phone");
  const { client } = await SmClient.authenticated(srv, "juliet");
  client.send(`<resume xmlns='${NS_SM}' previd='${enabled.attrs.id}' h='7'/>`);
  const error = await client.raw.until((el) => el.name === "stream:error");
  t.is(error.getChild("handled-count-too-high", NS_SM)?.attrs["send-count"], "2");
  await closed;
  t.is(srv.server.sessions.get("juliet@localhost/phone"), undefined);
});
