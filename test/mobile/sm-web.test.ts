/**
 * Stream management over the web transports, which feed the same stream (RFC 7395 §3.10, XEP-0206): a WebSocket
 * session whose connection dies is resumed on TCP, and a TCP session is resumed over BOSH, with every message once.
 */
import test from "ava";
import type { Element } from "ltx";
import type { HookMap } from "../../src/hooks.js";
import { bosh, boshBody, startWebServer, WsClient, type WebTestServer } from "../web/helpers.js";
import { NS_SM, SmClient, stopServer } from "./sm-client.js";

const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
const plain = (user: string) => Buffer.from(`\0${user}\0pw`).toString("base64");

function interrupted(srv: WebTestServer, jid: string): Promise<HookMap["session:interrupted"]> {
  return new Promise((resolve) => {
    const off = srv.server.hooks.on("session:interrupted", (p) => {
      if (p.session.jid.full !== jid) return false;
      off();
      resolve(p);
      return false;
    }, 10_000);
  });
}

async function setup(t: { teardown(fn: () => Promise<void>): void }) {
  const srv = await startWebServer();
  t.teardown(() => stopServer(srv));
  await srv.addUser("juliet@localhost", "pw");
  await srv.addUser("romeo@localhost", "pw");
  return srv;
}

/** Read WebSocket messages until one matches (stanzas counted into `seen`). */
async function wsUntil(ws: WsClient, pred: (el: Element) => boolean, seen?: Element[]): Promise<Element> {
  for (;;) {
    const el = await ws.nextElement();
    if (!el) throw new Error("WebSocket closed");
    if (seen && (el.name === "message" || el.name === "presence" || el.name === "iq")) seen.push(el);
    if (pred(el)) return el;
  }
}

test("RFC 7395 §3.10: a WebSocket session whose connection dies is resumed on TCP", async (t) => {
  const srv = await setup(t);
  const ws = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`);
  await ws.open();
  ws.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${plain("juliet")}</auth>`);
  t.is((await ws.nextElement())?.name, "success");
  const { features } = await ws.open();
  t.truthy(features.getChild("sm", NS_SM));
  ws.send(`<iq type='set' id='b' xmlns='jabber:client'><bind xmlns='${NS_BIND}'><resource>web</resource></bind></iq>`);
  await wsUntil(ws, (el) => el.attrs.id === "b");
  ws.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
  const enabled = await wsUntil(ws, (el) => el.name === "enabled");
  const seen: Element[] = [];
  ws.send("<presence xmlns='jabber:client'/>");
  await wsUntil(ws, (el) => el.name === "presence", seen);

  const romeo = await SmClient.login(srv, "romeo", "pc");
  for (let i = 1; i <= 5; i++) romeo.send(`<message to='juliet@localhost' type='chat' id='w${i}'><body>${i}</body></message>`);
  await romeo.barrier();
  await wsUntil(ws, (el) => el.attrs.id === "w2", seen);
  const gone = interrupted(srv, "juliet@localhost/web");
  ws.ws.terminate(); // the network goes away: no <close/>, no closing handshake
  await gone;
  romeo.send("<message to='juliet@localhost' type='chat' id='w6'><body>6</body></message>");
  await romeo.barrier();

  const { client } = await SmClient.authenticated(srv, "juliet");
  t.is((await client.resume(enabled.attrs.id!, seen.length)).name, "resumed");
  const rest: string[] = [];
  for (let i = 3; i <= 6; i++) rest.push((await client.message()).attrs.id);
  t.deepEqual([...seen.filter((e) => e.name === "message").map((e) => e.attrs.id), ...rest], ["w1", "w2", "w3", "w4", "w5", "w6"]);
});

test("XEP-0206: a TCP session whose connection dies is resumed over BOSH", async (t) => {
  const srv = await setup(t);
  const juliet = await SmClient.login(srv, "juliet", "phone");
  const enabled = await juliet.enable();
  const romeo = await SmClient.login(srv, "romeo", "pc");
  for (let i = 1; i <= 3; i++) romeo.send(`<message to='juliet@localhost/phone' type='chat' id='b${i}'><body>${i}</body></message>`);
  await romeo.barrier();
  await juliet.message(); // b1 read; b2, b3 may be in flight
  const gone = interrupted(srv, "juliet@localhost/phone");
  juliet.kill();
  await gone;

  let rid = 7000;
  const created = await bosh(srv.http, boshBody({ rid: rid++, to: "localhost", ver: "1.11", wait: 5, hold: 1, "xmpp:version": "1.0" }));
  const sid = created.el!.attrs.sid;
  const auth = await bosh(srv.http, boshBody({ rid: rid++, sid }, `<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${plain("juliet")}</auth>`));
  t.truthy(auth.el?.getChild("success", NS_SASL));
  const restart = await bosh(srv.http, boshBody({ rid: rid++, sid, to: "localhost", "xmpp:restart": "true" }));
  t.truthy(restart.el?.getChildElements().find((c) => c.name === "stream:features")?.getChild("sm", NS_SM));
  let response = await bosh(srv.http, boshBody({ rid: rid++, sid }, `<resume xmlns='${NS_SM}' previd='${enabled.attrs.id}' h='${juliet.h}'/>`));
  const payloads: Element[] = [...response.el!.getChildElements()];
  t.is(payloads[0]?.name, "resumed");
  while (payloads.filter((p) => p.name === "message").length < 2) {
    response = await bosh(srv.http, boshBody({ rid: rid++, sid }));
    payloads.push(...response.el!.getChildElements());
  }
  t.deepEqual(payloads.filter((p) => p.name === "message").map((m) => m.attrs.id), ["b2", "b3"]);
  t.true(srv.server.sessions.get("juliet@localhost/phone") !== undefined);
  await bosh(srv.http, boshBody({ rid: rid++, sid, type: "terminate" }, "<presence type='unavailable' xmlns='jabber:client'/>"));
});
