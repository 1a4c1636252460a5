/**
 * Log in with xmpp.js (@xmpp/client) over WebSocket (RFC 7395), fetch the roster, and optionally exchange a
 * message with a peer: send `--body` to `--peer` and wait for the peer's answer. Prints one JSON line and exits 0
 * when everything asked for worked, 1 otherwise.
 *
 *   node xmppjs_websocket.mjs --service ws://127.0.0.1:5280/xmpp-websocket --domain localhost \
 *     --username alice --password pencil [--peer bob@localhost --body hello]
 *
 * xmpp.js uses the WHATWG WebSocket, which Node 20 has only behind a flag: the `ws` package provides it here.
 * For wss:// run it with NODE_EXTRA_CA_CERTS naming the server's certificate (see xmppjs_login.mjs).
 */
import { parseArgs } from "node:util";
import { WebSocket } from "ws";

globalThis.WebSocket ??= WebSocket;
const { client, xml } = await import("@xmpp/client");

const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_ROSTER = "jabber:iq:roster";

const { values: args } = parseArgs({
  options: {
    service: { type: "string" },
    domain: { type: "string", default: "localhost" },
    username: { type: "string" },
    password: { type: "string" },
    resource: { type: "string", default: "xmppjs-ws" },
    peer: { type: "string" },
    body: { type: "string", default: "hello over WebSocket" },
    timeout: { type: "string", default: "20" },
  },
});

const report = { ok: false, mechanism: null, jid: null, roster: null, sent: null, received: null, error: null };

function finish(code) {
  process.stdout.write(JSON.stringify(report) + "\n", () => process.exit(code));
}

const timer = setTimeout(() => {
  report.error ??= "timed out";
  finish(1);
}, Number(args.timeout) * 1000);

const xmpp = client({
  service: args.service,
  domain: args.domain,
  username: args.username,
  password: args.password,
  resource: args.resource,
});
xmpp.reconnect.stop();

xmpp.on("send", (el) => {
  if (el.is("auth", NS_SASL)) report.mechanism = el.attrs.mechanism;
});
xmpp.on("error", (err) => {
  report.error ??= `${err.condition ?? err.name}: ${err.message}`;
});

/** The first chat message from the peer's bare JID. */
function answerFrom(peer) {
  return new Promise((resolve) => {
    xmpp.on("stanza", (el) => {
      if (el.is("message") && el.getChildText("body") !== null && (el.attrs.from ?? "").split("/")[0] === peer) {
        resolve(el.getChildText("body"));
      }
    });
  });
}

async function run() {
  const address = await xmpp.start();
  report.jid = address.toString();
  const roster = await xmpp.iqCaller.request(xml("iq", { type: "get" }, xml("query", { xmlns: NS_ROSTER })), 10_000);
  const query = roster.getChild("query", NS_ROSTER);
  report.roster = { type: roster.attrs.type, items: query ? query.getChildren("item").map((i) => i.attrs.jid) : null };
  if (args.peer) {
    await xmpp.send(xml("presence"));
    const answer = answerFrom(args.peer);
    await xmpp.send(xml("message", { to: args.peer, type: "chat" }, xml("body", {}, args.body)));
    report.sent = args.body;
    report.received = await answer;
  }
  await xmpp.stop();
  report.ok = report.roster.type === "result" && (!args.peer || report.received !== null);
}

run().then(
  () => { clearTimeout(timer); finish(report.ok ? 0 : 1); },
  (err) => { clearTimeout(timer); report.error ??= `${err.condition ?? err.name}: ${err.message}`; finish(1); },
);
