/**
 * XMPP over BOSH (XEP-0124, XEP-0206) against a live server: strophe.js (its real BOSH code, on a Node
 * XMLHttpRequest) logs in with SCRAM over http:// (from loopback) and https://, reads its roster and chats with a
 * client on TCP; raw requests check session creation, the rid rules (§14), retransmission, acks, pause,
 * termination, the body limit and CORS, and that 300 idle long polls held at once disturb nobody.
 */
import test from "ava";
import { Strophe, $iq, $msg, $pres } from "strophe.js";
import type { Element } from "ltx";
import { RawClient } from "../helpers/raw-client.js";
import { bosh, boshBody, Inbox, request, startWebServer, NS_XBOSH, type WebTestServer } from "./helpers.js";
import { closeXhrAgents, installXhr } from "./xhr.js";

let srv: WebTestServer;
let bob: RawClient;
let bobInbox: Inbox;
const MAX_BODY = 8 * 1024;
const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";

test.before(async () => {
  installXhr();
  Strophe.setLogLevel(Strophe.LogLevel.FATAL);
  srv = await startWebServer(
    // A long polling interval, so two quick empty polls of a polling session are always "too frequent".
    { limits: { maxBodyBytes: MAX_BODY }, origins: ["https://app.example"], bosh: { polling: 30 } },
    { limits: { maxConnectionsPerIp: 1000 } },
  );
  await srv.addUser("alice@localhost", "alice's secret");
  await srv.addUser("carol@localhost", "carol's secret");
  await srv.addUser("bob@localhost", "bob's secret");
  bob = await RawClient.connect(srv.ports.plain);
  await bob.login("bob", "bob's secret", "tcp");
  bob.send("<presence/>");
  bobInbox = new Inbox(bob);
});

test.after.always(async () => {
  bob?.destroy();
  await srv?.stop();
  closeXhrAgents();
});

/** The <stream:features/> in a response (ltx's getChild compares names without their prefix). */
const featuresOf = (el: Element | null | undefined) => el?.getChildElements().find((c) => c.name === "stream:features");
const b64 = (s: string) => Buffer.from(s).toString("base64");
let nextRid = 1000;
/** A fresh block of rids per session, so tests running at once never share one. */
const firstRid = () => (nextRid += 1000);

/** Create a session with raw requests; returns its sid, the next rid and the creation response. */
async function create(attrs: Record<string, string | number> = {}) {
  const rid = firstRid();
  const r = await bosh(srv.http, boshBody({ rid, to: "localhost", ver: "1.11", wait: 30, hold: 1, "xmpp:version": "1.0", "xml:lang": "en", ...attrs }));
  if (!r.el?.attrs.sid) throw new Error(`no session: ${r.text}`);
  return { sid: r.el.attrs.sid, rid: rid + 1, first: r };
}

/** Create a session and log in with PLAIN (allowed from loopback), restart and bind. */
async function login(user: string, password: string, resource: string) {
  const s = await create();
  let rid = s.rid;
  const auth = await bosh(srv.http, boshBody({ rid: rid++, sid: s.sid }, `<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${b64(`\0${user}\0${password}`)}</auth>`));
  if (!auth.el?.getChild("success", NS_SASL)) throw new Error(`login failed: ${auth.text}`);
  const restart = await bosh(srv.http, boshBody({ rid: rid++, sid: s.sid, to: "localhost", "xmpp:restart": "true" }));
  if (!featuresOf(restart.el)?.getChild("bind", NS_BIND)) throw new Error(`no bind after restart: ${restart.text}`);
  const bind = await bosh(srv.http, boshBody({ rid: rid++, sid: s.sid }, `<iq type='set' id='b' xmlns='jabber:client'><bind xmlns='${NS_BIND}'><resource>${resource}</resource></bind></iq>`));
  const jid = bind.el?.getChild("iq")?.getChild("bind", NS_BIND)?.getChildText("jid");
  if (!jid) throw new Error(`bind failed: ${bind.text}`);
  return { sid: s.sid, rid, jid };
}

interface StropheRun { status: number[]; mechanism: string | null; jid: string | null; roster: Element | null; received: string | null }

/** strophe.js logs in over BOSH, fetches the roster, sends bob a message and waits for bob's answer. */
function stropheSession(service: string, user: string, password: string, body: string): Promise<StropheRun> {
  return new Promise((resolve, reject) => {
    const conn = new Strophe.Connection(service);
    const run: StropheRun = { status: [], mechanism: null, jid: null, roster: null, received: null };
    const timer = setTimeout(() => reject(new Error(`strophe timed out: ${JSON.stringify(run.status)}`)), 20_000);
    conn.connect(`${user}@localhost/strophe`, password, (status: number) => {
      run.status.push(status);
      if (status === Strophe.Status.AUTHFAIL || status === Strophe.Status.CONNFAIL) {
        clearTimeout(timer);
        reject(new Error(`strophe could not log in (status ${status})`));
      }
      if (status !== Strophe.Status.CONNECTED) return;
      run.mechanism = (conn as unknown as { _sasl_mechanism?: { mechname: string } })._sasl_mechanism?.mechname ?? null;
      run.jid = conn.jid;
      conn.addHandler((msg: globalThis.Element) => {
        if (msg.getAttribute("from")?.startsWith("bob@localhost") && msg.getElementsByTagName("body").length) {
          run.received = msg.getElementsByTagName("body")[0]!.textContent;
          clearTimeout(timer);
          conn.disconnect("done");
          resolve(run);
          return false;
        }
        return true;
      }, null, "message", null, null, null);
      conn.sendIQ($iq({ type: "get" }).c("query", { xmlns: "jabber:iq:roster" }), (iq: globalThis.Element) => {
        run.roster = { name: iq.tagName, attrs: { type: iq.getAttribute("type") } } as unknown as Element;
        conn.send($pres());
        conn.send($msg({ to: "bob@localhost", type: "chat" }).c("body").t(body));
      }, (err: globalThis.Element | null) => {
        clearTimeout(timer);
        reject(new Error(`roster failed: ${err?.outerHTML ?? "timeout"}`));
      });
    });
  });
}

/** Bob answers the next chat message that comes to him from `from` with "echo: <body>". */
async function bobEchoes(from: string): Promise<string> {
  const msg = await bobInbox.wait((el) => el.name === "message" && (el.attrs.from ?? "").startsWith(from) && el.getChild("body") !== undefined, 20_000);
  const body = msg.getChildText("body") ?? "";
  bob.send(`<message to='${msg.attrs.from}' type='chat'><body>echo: ${body}</body></message>`);
  return body;
}

test.serial("strophe.js over BOSH (http://, loopback): SCRAM login, roster, a message each way with a TCP client", async (t) => {
  const echoed = bobEchoes("alice@localhost");
  const run = await stropheSession(`http://127.0.0.1:${srv.http}/http-bind`, "alice", "alice's secret", "hello from BOSH");
  t.regex(run.mechanism ?? "", /^SCRAM-SHA-/);
  t.is(run.jid, "alice@localhost/strophe");
  t.deepEqual(run.roster?.attrs, { type: "result" });
  t.is(await echoed, "hello from BOSH");
  t.is(run.received, "echo: hello from BOSH");
});

test.serial("strophe.js over BOSH on https:// logs in with SCRAM and chats", async (t) => {
  const echoed = bobEchoes("carol@localhost");
  const run = await stropheSession(`https://127.0.0.1:${srv.https}/http-bind`, "carol", "carol's secret", "hello over TLS");
  t.regex(run.mechanism ?? "", /^SCRAM-SHA-/);
  t.is(await echoed, "hello over TLS");
  t.is(run.received, "echo: hello over TLS");
});

test("the session creation response: sid, negotiated wait/hold/requests, authid, from, ver, features (XEP-0206 §5)", async (t) => {
  const rid = firstRid();
  const r = await bosh(srv.http, boshBody({ rid, to: "localhost", ver: "1.6", wait: 600, hold: 5, ack: 1, "xmpp:version": "1.0" }));
  t.is(r.status, 200);
  t.is(r.headers["content-type"], "text/xml; charset=utf-8");
  const a = r.el!.attrs;
  t.regex(a.sid!, /^[A-Za-z0-9_-]{24}$/);
  t.is(a.wait, "60"); // capped to maxWait
  t.is(a.hold, "2"); // capped to maxHold
  t.is(a.requests, "3");
  t.is(a.ver, "1.6"); // the lower of ours and the client's
  t.is(a.from, "localhost");
  t.truthy(a.authid);
  t.is(a.ack, String(rid));
  t.is(a["xmpp:version"], "1.0");
  t.is(a["xmpp:restartlogic"], "true");
  t.is(a["xmlns:xmpp"], NS_XBOSH);
  t.truthy(a.inactivity && a.polling && a.maxpause);
  const mechs = featuresOf(r.el)!.getChild("mechanisms", NS_SASL)!.getChildren("mechanism").map((m) => m.getText());
  t.true(mechs.includes("SCRAM-SHA-1"));
  t.false(mechs.some((m) => m.endsWith("-PLUS"))); // no channel binding across HTTP requests
});

test("an unknown sid gets the item-not-found terminal condition", async (t) => {
  const r = await bosh(srv.http, boshBody({ rid: 5, sid: "no-such-session" }));
  t.is(r.status, 200);
  t.is(r.el?.attrs.type, "terminate");
  t.is(r.el?.attrs.condition, "item-not-found");
});

test("a rid beyond the window ends the session with item-not-found (§14.2); the sid is then unknown", async (t) => {
  const s = await create();
  const far = await bosh(srv.http, boshBody({ rid: s.rid + 5, sid: s.sid }));
  t.is(far.el?.attrs.type, "terminate");
  t.is(far.el?.attrs.condition, "item-not-found");
  const after = await bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid }));
  t.is(after.el?.attrs.condition, "item-not-found");
});

test("a legacy client (no 'ver') gets HTTP 404 instead of item-not-found (§17.1)", async (t) => {
  const rid = firstRid();
  const r = await bosh(srv.http, boshBody({ rid, to: "localhost", wait: 30, hold: 1 }));
  const sid = r.el!.attrs.sid!;
  const far = await bosh(srv.http, boshBody({ rid: rid + 10, sid }));
  t.is(far.status, 404);
});

test("a repeated rid gets the very same response again (§14.3); an old one no longer kept is item-not-found", async (t) => {
  const s = await login("alice", "alice's secret", "replay");
  const ping = boshBody({ rid: s.rid, sid: s.sid }, "<iq type='get' id='p1' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>");
  const first = await bosh(srv.http, ping);
  t.is(first.el?.getChild("iq")?.attrs.id, "p1");
  const again = await bosh(srv.http, ping);
  t.is(again.status, 200);
  t.is(again.text, first.text);
  // The session moves on; the server keeps only `requests` (2) responses.
  for (const i of [1, 2]) {
    const r = await bosh(srv.http, boshBody({ rid: s.rid + i, sid: s.sid }, `<iq type='get' id='p${i + 1}' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`));
    t.is(r.el?.getChild("iq")?.attrs.id, `p${i + 1}`);
  }
  const gone = await bosh(srv.http, ping);
  t.is(gone.el?.attrs.type, "terminate");
  t.is(gone.el?.attrs.condition, "item-not-found");
});

/** The ids of the IQs in responses, in the order the responses were sent. */
const iqIds = (rs: Array<{ el: Element | null }>) => rs.flatMap((r) => r.el?.getChildren("iq").map((iq) => iq.attrs.id) ?? []);

test("requests out of order are processed in rid order (§14.2)", async (t) => {
  const s = await login("alice", "alice's secret", "order");
  const later = bosh(srv.http, boshBody({ rid: s.rid + 1, sid: s.sid }, "<iq type='get' id='second' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>"));
  // The later rid arrives first and waits for the earlier one.
  await new Promise((r) => setTimeout(r, 50));
  const earlier = bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid }, "<iq type='get' id='first' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>"));
  const first = await earlier;
  // Whatever is still held is released by the end of the session.
  const end = await bosh(srv.http, boshBody({ rid: s.rid + 2, sid: s.sid, type: "terminate" }));
  t.deepEqual(iqIds([first, await later, end]), ["first", "second"]);
});

test("a held request asked for again: the old connection gets a recoverable error, the new one the answer (§14.3)", async (t) => {
  const s = await login("alice", "alice's secret", "resend");
  const held = bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid }));
  await new Promise((r) => setTimeout(r, 50));
  const resent = bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid }));
  const old = await held;
  t.is(old.el?.attrs.type, "error");
  // Data for the session now goes to the resent request (the oldest one held).
  const next = bosh(srv.http, boshBody({ rid: s.rid + 1, sid: s.sid }, "<iq type='get' id='after' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>"));
  const answer = await resent;
  t.is(answer.el?.getChild("iq")?.attrs.id, "after");
  await bosh(srv.http, boshBody({ rid: s.rid + 2, sid: s.sid, type: "terminate" }));
  t.is((await next).el?.attrs.type, "terminate");
});

test("acknowledgements: with ack='1', a response to an older request names the highest rid received (§9.1)", async (t) => {
  const s = await create({ ack: 1 });
  t.is(s.first.el?.attrs.ack, String(s.rid - 1));
  const held = bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid, ack: s.rid - 1 }));
  await new Promise((r) => setTimeout(r, 50));
  // A second request pushes the first one out (hold is 1); its answer acknowledges the second.
  const next = bosh(srv.http, boshBody({ rid: s.rid + 1, sid: s.sid, ack: s.rid - 1 }));
  t.is((await held).el?.attrs.ack, String(s.rid + 1));
  await bosh(srv.http, boshBody({ rid: s.rid + 2, sid: s.sid, type: "terminate" }));
  t.is((await next).el?.attrs.type, "terminate");
});

test("a polling session (hold='0') is answered at once, and polling faster than 'polling' is a policy-violation (§13)", async (t) => {
  const s = await create({ hold: 0 });
  t.is(s.first.el?.attrs.hold, "0");
  t.is(s.first.el?.attrs.requests, "1");
  const first = await bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid }));
  t.is(first.status, 200);
  t.is(first.el?.attrs.type, undefined);
  const second = await bosh(srv.http, boshBody({ rid: s.rid + 1, sid: s.sid }));
  t.is(second.el?.attrs.type, "terminate");
  t.is(second.el?.attrs.condition, "policy-violation");
});

test("pause: held requests are answered at once, without payloads (§10)", async (t) => {
  const s = await login("alice", "alice's secret", "pause");
  const held = bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid }));
  await new Promise((r) => setTimeout(r, 50));
  const pause = await bosh(srv.http, boshBody({ rid: s.rid + 1, sid: s.sid, pause: 30 }));
  t.is(pause.status, 200);
  t.deepEqual(pause.el?.getChildElements(), []);
  t.deepEqual((await held).el?.getChildElements(), []);
  // The session goes on after the pause.
  const ping = await bosh(srv.http, boshBody({ rid: s.rid + 2, sid: s.sid }, "<iq type='get' id='back' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>"));
  t.is(ping.el?.getChild("iq")?.attrs.type, "result");
});

test("terminate: payloads are delivered, the answer is type='terminate', the session is gone (§12)", async (t) => {
  const s = await login("alice", "alice's secret", "bye");
  const note = bobInbox.wait((el) => el.name === "message" && el.getChildText("body") === "leaving now");
  const end = await bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid, type: "terminate" },
    "<message to='bob@localhost' type='chat' xmlns='jabber:client'><body>leaving now</body></message><presence type='unavailable' xmlns='jabber:client'/>"));
  t.is(end.el?.attrs.type, "terminate");
  t.is(end.el?.attrs.condition, undefined);
  t.is((await note).attrs.from, "alice@localhost/bye");
  const after = await bosh(srv.http, boshBody({ rid: s.rid + 1, sid: s.sid }));
  t.is(after.el?.attrs.condition, "item-not-found");
});

test("a stream error ends the session with remote-stream-error carrying the <stream:error/> (XEP-0206 §6)", async (t) => {
  const s = await login("alice", "alice's secret", "streamerror");
  const r = await bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid }, "<unknown xmlns='urn:example:nonsense'/>"));
  t.is(r.el?.attrs.type, "terminate");
  t.is(r.el?.attrs.condition, "remote-stream-error");
  t.is(r.el?.getChildElements().find((c) => c.name === "stream:error")?.getChildElements()[0]?.name, "unsupported-stanza-type");
});

test("an unknown domain at session creation is host-unknown (§17.2)", async (t) => {
  const r = await bosh(srv.http, boshBody({ rid: firstRid(), to: "elsewhere.example", ver: "1.11", wait: 30, hold: 1 }));
  t.is(r.el?.attrs.type, "terminate");
  t.is(r.el?.attrs.condition, "host-unknown");
});

test("a body over the limit is HTTP 413; malformed XML is 400 bad-request", async (t) => {
  const s = await create();
  const big = await bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid }, `<message to='bob@localhost' xmlns='jabber:client'><body>${"x".repeat(MAX_BODY)}</body></message>`));
  t.is(big.status, 413);
  const bad = await bosh(srv.http, "<body xmlns='http://jabber.org/protocol/httpbind' rid='1'><iq>");
  t.is(bad.status, 400);
  t.is(bad.el?.attrs.condition, "bad-request");
  const notBosh = await bosh(srv.http, "<stream xmlns='jabber:client' rid='1'/>");
  t.is(notBosh.status, 400);
  // The session with the oversized body was not disturbed.
  const ok = await bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid, pause: 10 }));
  t.is(ok.status, 200);
  t.is(ok.el?.attrs.type, undefined);
});

test("CORS: an allowed page gets its preflight and its origin echoed; another origin is refused", async (t) => {
  const url = `http://127.0.0.1:${srv.http}/http-bind`;
  const pre = await request(url, { method: "OPTIONS", headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" } });
  t.is(pre.status, 204);
  t.is(pre.headers["access-control-allow-origin"], "https://app.example");
  t.regex(String(pre.headers["access-control-allow-methods"]), /POST/);
  t.is(pre.headers["access-control-allow-headers"], "content-type");
  const created = await bosh(srv.http, boshBody({ rid: firstRid(), to: "localhost", ver: "1.11", wait: 30, hold: 1 }), { Origin: "https://app.example" });
  t.is(created.headers["access-control-allow-origin"], "https://app.example");
  const evil = await request(url, { method: "OPTIONS", headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" } });
  t.is(evil.status, 403);
  const evilPost = await bosh(srv.http, boshBody({ rid: firstRid(), to: "localhost", ver: "1.11", wait: 30, hold: 1 }), { Origin: "https://evil.example" });
  t.is(evilPost.status, 403);
});

test("plain http:// relayed from a remote address is sent to HTTPS with see-other-uri", async (t) => {
  const r = await bosh(srv.http, boshBody({ rid: firstRid(), to: "localhost", ver: "1.11", wait: 30, hold: 1 }), { "X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "http", Host: "chat.example" });
  t.is(r.el?.attrs.type, "terminate");
  t.is(r.el?.attrs.condition, "see-other-uri");
  t.is(r.el?.getChildText("uri"), `https://chat.example:${srv.https}/http-bind`);
});

test.serial("300 idle long polls held at once; another session still chats; each long poll then ends as defined", async (t) => {
  const sessions = await Promise.all(Array.from({ length: 300 }, () => create()));
  // Each session now has one request held waiting for data ('wait' is 30 s).
  const polls = sessions.map((s) => bosh(srv.http, boshBody({ rid: s.rid, sid: s.sid })));
  let answered = 0;
  for (const p of polls) void p.then(() => { answered++; });
  await new Promise((r) => setTimeout(r, 200));
  // Meanwhile a logged-in session exchanges messages with bob.
  const a = await login("alice", "alice's secret", "busy");
  for (let i = 0; i < 3; i++) {
    // The request carrying the message is held until bob's answer arrives for it.
    const sent = bosh(srv.http, boshBody({ rid: a.rid + i, sid: a.sid }, `<message to='bob@localhost' type='chat' xmlns='jabber:client'><body>busy ${i}</body></message>`));
    const heard = await bobInbox.wait((el) => el.name === "message" && el.getChildText("body") === `busy ${i}`);
    t.is(heard.attrs.from, "alice@localhost/busy");
    bob.send(`<message to='alice@localhost/busy' type='chat'><body>ok ${i}</body></message>`);
    const got = (await sent).el?.getChildren("message") ?? [];
    t.deepEqual(got.map((m) => m.getChildText("body")), [`ok ${i}`]);
  }
  t.is(answered, 0, "no idle long poll was answered early");
  // Now each idle session terminates: its held poll is answered with type='terminate' (§12).
  const ends = await Promise.all(sessions.map((s) => bosh(srv.http, boshBody({ rid: s.rid + 1, sid: s.sid, type: "terminate" }))));
  const results = await Promise.all(polls);
  t.true(results.every((r) => r.status === 200 && r.el?.attrs.type === "terminate"));
  t.true(ends.every((r) => r.status === 200 && r.el?.attrs.type === undefined));
});
