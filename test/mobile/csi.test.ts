/**
 * XEP-0352 Client State Indication through a real server: while inactive, presence updates and chat states are held
 * and collapsed; a message with a body releases them, in order, and goes out at once; <active/> releases what is held
 * before anything the client asks next; the hold is bounded; with stream management, held stanzas are counted only
 * when written, and a lost connection releases them into the session resumption retransmits.
 */
import test from "ava";
import type { Element } from "ltx";
import type { HookMap } from "../../src/hooks.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../helpers/server.js";
import { NS_CSI, SmClient, stopServer } from "./sm-client.js";

const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";

async function setup(t: { teardown(fn: () => Promise<void>): void }, csi: Record<string, unknown> = {}) {
  const srv = await startTestServer({ modules: { ...DEFAULT_MODULES, csi } });
  t.teardown(() => stopServer(srv));
  await srv.addUser("juliet@localhost", "pw");
  await srv.addUser("romeo@localhost", "pw");
  const juliet = await SmClient.login(srv, "juliet", "phone");
  const romeo = await SmClient.login(srv, "romeo", "pc");
  return { srv, juliet, romeo };
}

/** Romeo's presence to Juliet's phone (directed, RFC 6121 §4.6), with a status to tell updates apart. */
const presence = (status: string) => `<presence to='juliet@localhost/phone'><status>${status}</status></presence>`;
const describe = (el: Element) =>
  el.name === "presence" ? `presence:${el.getChildText("status")}` :
  el.name === "message" ? (el.getChildText("body") !== null ? `body:${el.getChildText("body")}` : `state:${el.getChildElements()[0]?.name}`) :
  `${el.name}:${el.attrs.id}`;

test("§4: the feature is offered after authentication", async (t) => {
  const srv = await startTestServer({ modules: { ...DEFAULT_MODULES } });
  t.teardown(() => stopServer(srv));
  await srv.addUser("juliet@localhost", "pw");
  const { features } = await SmClient.authenticated(srv, "juliet");
  t.truthy(features.getChild("csi", NS_CSI));
});

test("while inactive: presence and chat states held and collapsed; a message with a body releases them and goes through", async (t) => {
  const { juliet, romeo } = await setup(t);
  juliet.send(`<inactive xmlns='${NS_CSI}'/>`);
  await juliet.barrier(); // an IQ result is urgent: nothing was held, the inactive state is in force
  romeo.send(presence("one"));
  romeo.send(`<message to='juliet@localhost/phone' type='chat'><composing xmlns='${NS_CHATSTATES}'/></message>`);
  romeo.send(presence("two"));
  romeo.send(`<message to='juliet@localhost/phone' type='chat'><paused xmlns='${NS_CHATSTATES}'/></message>`);
  romeo.send(presence("three"));
  romeo.send("<message to='juliet@localhost/phone' type='chat'><body>hello</body></message>");
  const got: string[] = [];
  for (;;) {
    const el = await juliet.next();
    got.push(describe(el!));
    if (el!.name === "message" && el!.getChildText("body") !== null) break;
  }
  // Only the latest of each, each where its latest arrived, then the message.
  t.deepEqual(got, ["state:paused", "presence:three", "body:hello"]);
});

test("<active/> releases what was held before the next request is answered (XEP-0352 §5.1)", async (t) => {
  const { juliet, romeo } = await setup(t);
  juliet.send(`<inactive xmlns='${NS_CSI}'/>`);
  await juliet.barrier();
  romeo.send(presence("away"));
  romeo.send("<message to='juliet@localhost/phone'><received xmlns='urn:xmpp:receipts' id='r1'/></message>");
  await romeo.barrier();
  juliet.send(`<active xmlns='${NS_CSI}'/>`);
  juliet.send("<iq type='get' id='after' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
  const got = [describe((await juliet.next())!), describe((await juliet.next())!), describe((await juliet.next())!)];
  t.deepEqual(got, ["presence:away", "state:received", "iq:after"]);
  // Active again: nothing is held any more.
  romeo.send(presence("back"));
  t.is(describe(await juliet.until((el) => el.name === "presence")), "presence:back");
});

test("the hold is bounded: one stanza over the limit releases everything", async (t) => {
  const { juliet, romeo } = await setup(t, { maxHeld: 3 });
  juliet.send(`<inactive xmlns='${NS_CSI}'/>`);
  await juliet.barrier();
  for (let i = 1; i <= 4; i++) romeo.send(`<message to='juliet@localhost/phone' id='r${i}'><received xmlns='urn:xmpp:receipts' id='x${i}'/></message>`);
  const ids: string[] = [];
  for (let i = 1; i <= 4; i++) ids.push((await juliet.message()).attrs.id);
  t.deepEqual(ids, ["r1", "r2", "r3", "r4"]);
});

function when<K extends "session:interrupted">(srv: TestServer, event: K, jid: string): Promise<HookMap[K]> {
  return new Promise((resolve) => {
    const off = srv.server.hooks.on(event, (p) => {
      if (p.session.jid.full !== jid) return false;
      off();
      resolve(p);
      return false;
    }, 10_000);
  });
}

test("with stream management: held stanzas are counted when written, and a lost connection hands them to resumption", async (t) => {
  const { srv, juliet, romeo } = await setup(t);
  const enabled = await juliet.enable();
  juliet.send(`<inactive xmlns='${NS_CSI}'/>`);
  await juliet.barrier();
  juliet.ack();
  romeo.send(presence("one"));
  romeo.send(presence("two"));
  await romeo.barrier();
  // Held stanzas are not sent, so not counted: after the ping result, the server has sent exactly what she read.
  const state = srv.server.sessions.get("juliet@localhost/phone")!.data.get("sm") as { queue: { sent: number } };
  t.is(state.queue.sent, juliet.h);
  const interrupted = when(srv, "session:interrupted", "juliet@localhost/phone");
  juliet.kill();
  await interrupted;
  const { client: again } = await SmClient.authenticated(srv, "juliet");
  t.is((await again.resume(enabled.attrs.id!, juliet.h)).name, "resumed");
  // Released when the connection was lost, so retransmitted now; a resumed stream starts active (§5.2).
  t.is(describe(await again.until((el) => el.name === "presence")), "presence:two");
  romeo.send(presence("three"));
  t.is(describe(await again.until((el) => el.name === "presence")), "presence:three");
});
