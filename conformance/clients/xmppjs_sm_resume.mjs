/**
 * XEP-0198 stream resumption with xmpp.js (@xmpp/client: @xmpp/stream-management and @xmpp/reconnect). Prints one
 * JSON line and exits 0 when everything worked, 1 otherwise.
 *
 * The phone logs in (xmpp.js enables stream management with resume='true' after binding); the peer sends it
 * --count chat messages, ids m1..mN, to its full JID. When the phone has read the second, its TCP connection is
 * destroyed under it (the network goes away: no </stream:stream>); the peer sends the rest while it is gone. xmpp.js
 * reconnects by itself and resumes with its 'h'. ok: each of m1..mN exactly once and in order, after a resumption
 * (not a new session).
 *
 *   NODE_EXTRA_CA_CERTS=certs/localhost.crt node xmppjs_sm_resume.mjs --service xmpp://127.0.0.1:5222 \
 *     --domain localhost --phone juliet:pw --peer romeo:pw --count 6
 *
 * The certificate is verified for real: run it in its own process with NODE_EXTRA_CA_CERTS naming the server's.
 */
import { parseArgs } from "node:util";
import { client, xml } from "@xmpp/client";

const { values: args } = parseArgs({
  options: {
    service: { type: "string" },
    domain: { type: "string", default: "localhost" },
    phone: { type: "string" },
    peer: { type: "string" },
    count: { type: "string", default: "6" },
    timeout: { type: "string", default: "25" },
  },
});

const report = { ok: false, smEnabled: false, smId: null, resumed: false, newSession: false, received: [], error: null };
const expected = Array.from({ length: Number(args.count) }, (_, i) => `m${i + 1}`);

function finish(code) {
  process.stdout.write(JSON.stringify(report) + "\n", () => process.exit(code));
}

const timer = setTimeout(() => {
  report.error ??= "timed out";
  finish(1);
}, Number(args.timeout) * 1000);

const account = (spec, resource) => {
  const [username, password] = spec.split(":");
  return client({ service: args.service, domain: args.domain, username, password, resource });
};
const phone = account(args.phone, "phone");
const peer = account(args.peer, "pc");
peer.reconnect.stop();
phone.reconnect.delay = 100;

/** A promise and its resolver. */
function signal() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}
const secondRead = signal();
const allRead = signal();
const resumed = signal();
let connection = 1;
let onlineCount = 0;

for (const c of [phone, peer]) c.on("error", (err) => { report.error ??= `${err.condition ?? err.name}: ${err.message}`; });

phone.on("stanza", (stanza) => {
  if (!stanza.is("message") || stanza.getChildText("body") === null) return;
  report.received.push({ id: stanza.attrs.id, connection });
  if (report.received.length === 2) secondRead.resolve();
  if (report.received.length >= expected.length) allRead.resolve();
});
phone.on("online", () => {
  // A second "online" without "resumed" is a new session: resumption failed.
  if (++onlineCount > 1 && !report.resumed) { report.newSession = true; resumed.resolve(); }
});
phone.streamManagement.on("resumed", () => { report.resumed = true; resumed.resolve(); });

const send = (id) => peer.send(xml("message", { to: phone.jid.toString(), type: "chat", id }, xml("body", {}, id)));

async function run() {
  await phone.start();
  await phone.send(xml("presence"));
  await peer.start();
  const half = Math.ceil(expected.length / 2);
  for (const id of expected.slice(0, half)) await send(id);
  await secondRead.promise;
  report.smEnabled = phone.streamManagement.enabled;
  report.smId = phone.streamManagement.id || null;
  phone.once("disconnect", () => { connection = 2; });
  const raw = phone.socket?.socket ?? phone.socket;
  raw.destroy();
  for (const id of expected.slice(half)) await send(id);
  await peer.iqCaller.request(xml("iq", { type: "get", to: args.domain }, xml("ping", { xmlns: "urn:xmpp:ping" })));
  await resumed.promise;
  if (report.newSession) throw new Error("the session was not resumed");
  await allRead.promise;
}

run().then(
  () => {
    const ids = report.received.map((r) => r.id);
    report.ok = report.error === null && report.resumed && JSON.stringify(ids) === JSON.stringify(expected);
  },
  (err) => { report.error ??= `${err.name}: ${err.message}`; },
).finally(async () => {
  clearTimeout(timer);
  phone.reconnect.stop();
  await Promise.allSettled([phone.stop(), peer.stop()]);
  finish(report.ok ? 0 : 1);
});
