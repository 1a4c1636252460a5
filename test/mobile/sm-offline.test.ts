/**
 * XEP-0198 §4: when a session is not resumed, what the client never acknowledged is treated as if sent to an
 * unavailable resource: messages reach offline storage with their original time and the next login gets them once;
 * a request gets an error; messages the client will fetch from the archive are not stored twice.
 */
import test from "ava";
import type { Element } from "ltx";
import { rmSync } from "node:fs";
import type { HookMap } from "../../src/hooks.js";
import { Server } from "../../src/server.js";
import { catalog } from "../../xeps/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../helpers/server.js";
import { SmClient, stopServer } from "./sm-client.js";

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

async function setup(t: { teardown(fn: () => Promise<void>): void }, sm: Record<string, unknown>) {
  const srv = await startTestServer({ modules: { ...DEFAULT_MODULES, sm } });
  t.teardown(() => stopServer(srv));
  await srv.addUser("juliet@localhost", "pw");
  await srv.addUser("romeo@localhost", "pw");
  return srv;
}

/** Juliet online with stream management (resumable) and available. */
async function phone(srv: TestServer): Promise<SmClient> {
  const juliet = await SmClient.login(srv, "juliet", "phone");
  await juliet.enable();
  juliet.send("<presence/>");
  await juliet.until((el) => el.name === "presence");
  return juliet;
}

/** Messages until (and with) the one with id `last`. */
async function messagesUntil(c: SmClient, last: string): Promise<Element[]> {
  const got: Element[] = [];
  for (;;) {
    const m = await c.message();
    got.push(m);
    if (m.attrs.id === last) return got;
  }
}

test("expiry: unacknowledged messages go to offline storage with their original time; requests get errors", async (t) => {
  const srv = await setup(t, { resumeTimeout: 1 });
  const juliet = await phone(srv);
  const romeo = await SmClient.login(srv, "romeo", "pc");
  for (const id of ["m1", "m2", "m3", "m4"]) romeo.send(`<message to='juliet@localhost' type='chat' id='${id}'><body>${id}</body></message>`);
  romeo.send("<message to='juliet@localhost/phone' type='chat' id='cs'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
  romeo.send("<iq to='juliet@localhost/phone' type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>");
  await romeo.barrier();
  await juliet.message();
  await juliet.message();
  juliet.ack(); // m1, m2 acknowledged; m3, m4, the chat state and the IQ are not
  await juliet.barrier(); // the ack is processed
  const before = new Date().toISOString();
  const closed = when(srv, "session:closed", "juliet@localhost/phone");
  juliet.kill();
  await closed;

  // The IQ's sender learns that it will never be answered (RFC 6120 §8.5.3.2.1 for a resource that is gone).
  const error = await romeo.until((el) => el.name === "iq" && el.attrs.id === "v1");
  t.is(error.attrs.type, "error");
  t.truthy(error.getChild("error")?.getChild("service-unavailable"));

  const laptop = await SmClient.login(srv, "juliet", "laptop");
  laptop.send("<presence/>");
  const got = await messagesUntil(laptop, "m4");
  t.deepEqual(got.map((m) => m.attrs.id), ["m3", "m4"], "the unacknowledged messages, in order; no chat state");
  for (const m of got) {
    const delay = m.getChild("delay", "urn:xmpp:delay");
    t.is(delay?.attrs.from, "localhost");
    t.true(delay!.attrs.stamp <= before, "stamped with the time of the first delivery, before the connection died");
  }
  // Once: what follows is new.
  romeo.send("<message to='juliet@localhost' type='chat' id='m5'><body>m5</body></message>");
  t.is((await laptop.message()).attrs.id, "m5");
});

test("a client that catches up from the archive gets unacknowledged archived messages there, not twice", async (t) => {
  const srv = await setup(t, { resumeTimeout: 1 });
  const juliet = await phone(srv);
  // Conversations-style: the client synchronises from its archive.
  juliet.send("<iq type='set' id='mam1'><query xmlns='urn:xmpp:mam:2' queryid='q1'/></iq>");
  await juliet.until((el) => el.name === "iq" && el.attrs.id === "mam1");
  const romeo = await SmClient.login(srv, "romeo", "pc");
  romeo.send("<message to='juliet@localhost' type='chat' id='archived'><body>in the archive</body></message>");
  await romeo.barrier();
  const closed = when(srv, "session:closed", "juliet@localhost/phone");
  juliet.kill();
  await closed;
  romeo.send("<message to='juliet@localhost' type='chat' id='later'><body>while offline</body></message>");
  await romeo.barrier();

  const laptop = await SmClient.login(srv, "juliet", "laptop");
  laptop.send("<presence/>");
  t.is((await laptop.message()).attrs.id, "later", "the archived message is not in offline storage");
  laptop.send("<iq type='set' id='mam2'><query xmlns='urn:xmpp:mam:2' queryid='q2'/></iq>");
  const results: string[] = [];
  for (;;) {
    const el = await laptop.next();
    if (!el || (el.name === "iq" && el.attrs.id === "mam2")) break;
    const fwd = el.getChild("result", "urn:xmpp:mam:2")?.getChild("forwarded", "urn:xmpp:forward:0")?.getChild("message");
    if (fwd) results.push(fwd.attrs.id);
  }
  t.true(results.includes("archived"), "it is in the archive");
});

test("a detached session whose queue overflows ends at once; everything reaches offline storage in order", async (t) => {
  const srv = await setup(t, { resumeTimeout: 300, maxUnacked: 3 });
  const juliet = await phone(srv);
  juliet.ack();
  await juliet.barrier();
  juliet.ack();
  await juliet.barrier();
  const interrupted = when(srv, "session:interrupted", "juliet@localhost/phone");
  const closed = when(srv, "session:closed", "juliet@localhost/phone");
  juliet.kill();
  await interrupted;
  const romeo = await SmClient.login(srv, "romeo", "pc");
  for (let i = 1; i <= 6; i++) romeo.send(`<message to='juliet@localhost' type='chat' id='o${i}'><body>${i}</body></message>`);
  await romeo.barrier();
  t.regex((await closed).reason, /too many/);
  const laptop = await SmClient.login(srv, "juliet", "laptop");
  laptop.send("<presence/>");
  const got = await messagesUntil(laptop, "o6");
  t.deepEqual(got.map((m) => m.attrs.id), ["o1", "o2", "o3", "o4", "o5", "o6"]);
});

test("a connected client that never acknowledges is cut off at the limit, and nothing is lost", async (t) => {
  const srv = await setup(t, { maxUnacked: 3 });
  const juliet = await SmClient.login(srv, "juliet", "phone");
  await juliet.enable();
  juliet.send("<presence/>");
  await juliet.barrier();
  const romeo = await SmClient.login(srv, "romeo", "pc");
  for (let i = 1; i <= 4; i++) romeo.send(`<message to='juliet@localhost' type='chat' id='n${i}'><body>${i}</body></message>`);
  await romeo.barrier();
  t.is(await juliet.raw.streamError(), "resource-constraint");
  const laptop = await SmClient.login(srv, "juliet", "laptop");
  laptop.send("<presence/>");
  // Her own presence, the ping result and n1 were queued: the limit is passed at n2; n3 and n4 found no session.
  const got = await messagesUntil(laptop, "n4");
  t.deepEqual(got.map((m) => m.attrs.id), ["n1", "n2", "n3", "n4"]);
});

test("shutdown: sessions waiting for resumption end with the server, their unacknowledged messages kept offline", async (t) => {
  const srv = await startTestServer({ modules: { ...DEFAULT_MODULES } });
  await srv.addUser("juliet@localhost", "pw");
  await srv.addUser("romeo@localhost", "pw");
  const juliet = await phone(srv);
  const romeo = await SmClient.login(srv, "romeo", "pc");
  romeo.send("<message to='juliet@localhost' type='chat' id='s1'><body>one</body></message>");
  romeo.send("<message to='juliet@localhost' type='chat' id='s2'><body>two</body></message>");
  await romeo.barrier();
  const interrupted = when(srv, "session:interrupted", "juliet@localhost/phone");
  juliet.kill();
  await interrupted;
  romeo.raw.destroy();
  await srv.server.stop(); // the data directory stays for the next start

  const again = await Server.start({ config: srv.server.config, dir: srv.dir, catalog });
  t.teardown(async () => {
    await again.stop();
    rmSync(srv.dir, { recursive: true, force: true });
  });
  const raw = await RawClient.connect(again.listeners[2]!.port);
  t.teardown(() => raw.destroy());
  await raw.login("juliet", "pw", "laptop");
  raw.send("<presence/>");
  const first = await raw.until((el) => el.name === "message");
  const second = await raw.until((el) => el.name === "message");
  t.deepEqual([first.attrs.id, second.attrs.id], ["s1", "s2"]);
});
