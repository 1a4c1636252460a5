/**
 * Log in with xmpp.js (@xmpp/client) and query the server: disco#info (XEP-0030) and ping (XEP-0199).
 * Prints one JSON line and exits 0 when everything worked, 1 otherwise.
 *
 *   NODE_EXTRA_CA_CERTS=certs/localhost.crt node xmppjs_login.mjs --service xmpp://localhost:5222 \
 *     --domain localhost --username alice --password pencil
 *
 * xmpp.js has no option to trust a certificate: it connects with Node's default trust store. Run it in its own
 * process with NODE_EXTRA_CA_CERTS naming the server's (self-signed) certificate, so the certificate is really
 * verified, for that process only. `xmpps://` is Direct TLS (XEP-0368), `xmpp://` is STARTTLS.
 */
import { parseArgs } from "node:util";
import { client, xml } from "@xmpp/client";

const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_PING = "urn:xmpp:ping";

const { values: args } = parseArgs({
  options: {
    service: { type: "string" },
    domain: { type: "string", default: "localhost" },
    username: { type: "string" },
    password: { type: "string" },
    resource: { type: "string", default: "xmppjs" },
    timeout: { type: "string", default: "20" },
  },
});

const report = { ok: false, mechanism: null, jid: null, tls: null, features: null, ping: false, error: null };

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
xmpp.reconnect.stop(); // one attempt: a failure is a result here, not something to retry

xmpp.on("send", (el) => {
  if (el.is("auth", NS_SASL)) report.mechanism = el.attrs.mechanism;
});
xmpp.on("error", (err) => {
  report.error ??= `${err.condition ?? err.name}: ${err.message}`;
});

async function run() {
  const address = await xmpp.start();
  report.jid = address.toString();
  report.tls = xmpp.socket?.socket?.getProtocol?.() ?? null;
  const info = await xmpp.iqCaller.request(
    xml("iq", { type: "get", to: args.domain }, xml("query", { xmlns: NS_DISCO_INFO })), 10_000);
  report.features = info.getChild("query", NS_DISCO_INFO).getChildren("feature").map((f) => f.attrs.var).sort();
  const pong = await xmpp.iqCaller.request(xml("iq", { type: "get", to: args.domain }, xml("ping", { xmlns: NS_PING })), 10_000);
  report.ping = pong.attrs.type === "result";
  await xmpp.stop();
  report.ok = report.ping;
}

run().then(
  () => { clearTimeout(timer); finish(report.ok ? 0 : 1); },
  (err) => { clearTimeout(timer); report.error ??= `${err.condition ?? err.name}: ${err.message}`; finish(1); },
);
