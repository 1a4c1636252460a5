/**
 * An external component (XEP-0114) written with xmpp.js (@xmpp/component): it connects to the server's component
 * listener with its shared secret, tells a user it is online, answers the user's messages from an address at its
 * own domain, and pings the server. Prints one JSON line and exits 0 when everything worked, 1 otherwise.
 *
 *   node xmppjs_component.mjs --service xmpp://127.0.0.1:5347 --domain echo.example.org --password secret \
 *     --notify alice@example.org --count 1
 */
import { parseArgs } from "node:util";
import { component, xml } from "@xmpp/component";

const { values: args } = parseArgs({
  options: {
    service: { type: "string" },
    domain: { type: "string" },
    password: { type: "string" },
    notify: { type: "string" },
    count: { type: "string", default: "1" },
    timeout: { type: "string", default: "20" },
  },
});

const report = { ok: false, online: false, received: [], pingFromServer: null, error: null };

function finish(code) {
  process.stdout.write(JSON.stringify(report) + "\n", () => process.exit(code));
}

const timer = setTimeout(() => {
  report.error ??= "timed out";
  finish(1);
}, Number(args.timeout) * 1000);

const xmpp = component({ service: args.service, domain: args.domain, password: args.password });
xmpp.reconnect.stop(); // one attempt: a refusal is a result here, not something to retry

xmpp.on("error", (err) => {
  report.error ??= `${err.condition ?? err.name}: ${err.message}`;
  clearTimeout(timer);
  xmpp.stop().catch(() => {}).finally(() => finish(1));
});

xmpp.on("stanza", async (stanza) => {
  if (!stanza.is("message") || stanza.attrs.type === "error") return;
  const body = stanza.getChildText("body");
  if (body === null) return;
  report.received.push({ from: stanza.attrs.from, to: stanza.attrs.to, body });
  // Answer from an address at the component's own domain (XEP-0114 §3 allows any JID at it).
  await xmpp.send(xml("message", { from: `bot@${args.domain}`, to: stanza.attrs.from, type: "chat" }, xml("body", {}, `echo: ${body}`)));
  if (report.received.length >= Number(args.count)) {
    try {
      // An IQ from the component to the server, answered by the server's ping handler (XEP-0199).
      const pong = await xmpp.iqCaller.request(xml("iq", { type: "get", to: args.notify.split("@")[1], from: args.domain }, xml("ping", { xmlns: "urn:xmpp:ping" })));
      report.pingFromServer = pong.attrs.type;
      report.ok = true;
    } catch (err) {
      report.error ??= `ping: ${err.message}`;
    }
    clearTimeout(timer);
    await xmpp.stop().catch(() => {});
    finish(report.ok ? 0 : 1);
  }
});

xmpp.on("online", async () => {
  report.online = true;
  await xmpp.send(xml("message", { from: args.domain, to: args.notify, type: "chat" }, xml("body", {}, "online")));
});

xmpp.start().catch((err) => {
  report.error ??= `${err.condition ?? err.name}: ${err.message}`;
  clearTimeout(timer);
  finish(1);
});
