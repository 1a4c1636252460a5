/**
 * Web checks: XMPP over WebSocket with a real client (xmpp.js), a BOSH session driven by hand over HTTP, and
 * host-meta discovery, against the conformance server's HTTP listener.
 */
import { join } from "node:path";
import type { Element } from "ltx";
import { CLIENTS_DIR, runClient, trustFile } from "../../test/helpers/clients.js";
import { bosh, request } from "../../test/web/helpers.js";
import type { CheckEnv, FunctionCheckDef } from "./checks.js";
import type { Outcome } from "./execute.js";

const fail = (message: string): Outcome => ({ status: "fail", message });

function httpPort(env: CheckEnv, kind: "http" | "https"): number | null {
  return env.srv.server.listeners.find((l) => l.kind === kind)?.port ?? null;
}

interface WsReport { ok: boolean; mechanism: string | null; jid: string | null; roster: { type: string } | null; error: string | null }

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** One BOSH request within a session; the answer's <body/> or a failure message. */
async function step(port: number, attrs: string, payload = ""): Promise<Element | string> {
  const r = await bosh(port, `<body xmlns='http://jabber.org/protocol/httpbind' ${attrs}>${payload}</body>`);
  if (r.status !== 200 || !r.el) return `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
  if (r.el.attrs.type === "terminate") return `terminated: ${r.el.attrs.condition ?? ""}`;
  return r.el;
}

/** Wait for a <body/> child matching `pred`, sending empty requests (long polls) as needed. */
async function receive(port: number, next: () => string, pred: (el: Element) => boolean, first: Element): Promise<Element | string> {
  let body: Element | string = first;
  for (let i = 0; i < 5; i++) {
    if (typeof body === "string") return body;
    const hit = body.getChildElements().find(pred);
    if (hit) return hit;
    body = await step(port, next());
  }
  return "the expected element never came";
}

export const WEB_CHECKS: readonly FunctionCheckDef[] = [
  {
    name: "xmppjs-websocket",
    title: "xmpp.js over ws:// (the `xmpp` subprotocol, <open/> framing): SCRAM login, bind, roster",
    proves: "RFC 7395 §3.1, RFC 7395 §3.3.3, RFC 7395 §3.4, RFC 7395 §3.7",
    source: "conformance/clients/xmppjs_websocket.mjs",
    run: async (env) => {
      const port = httpPort(env, "http");
      if (!port) return fail("the conformance server has no HTTP listener");
      const jid = `conf-ws@${env.target.domain}`;
      await env.target.prepareAccount(jid, "ws secret");
      const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: trustFile(env.srv) };
      const { code, report } = await runClient<WsReport>(process.execPath, [join(CLIENTS_DIR, "xmppjs_websocket.mjs"),
        "--service", `ws://127.0.0.1:${port}/xmpp-websocket`, "--domain", env.target.domain, "--username", "conf-ws", "--password", "ws secret"], childEnv);
      if (code !== 0 || !report.ok) return fail(`the client reported failure: ${report.error}`);
      if (report.jid !== `${jid}/xmppjs-ws`) return fail(`bound JID ${report.jid}`);
      if (report.roster?.type !== "result") return fail("no roster result");
      return { status: "pass" };
    },
  },
  {
    name: "bosh-session",
    title: "BOSH by hand: session creation, SASL PLAIN, stream restart, bind, a ping, terminate",
    proves: "XEP-0124 §7, XEP-0124 §8, XEP-0124 §13, XEP-0206 §3, XEP-0206 §4, XEP-0206 §5",
    source: "conformance/runner/web-checks.ts",
    run: async (env) => {
      const port = httpPort(env, "http");
      if (!port) return fail("the conformance server has no HTTP listener");
      const domain = env.target.domain;
      await env.target.prepareAccount(`conf-bosh@${domain}`, "bosh secret");
      let rid = 100_000 + Math.floor(Math.random() * 1_000_000);
      const created = await step(port, `rid='${rid}' to='${domain}' xml:lang='en' wait='5' hold='1' ver='1.11' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh'`);
      if (typeof created === "string") return fail(`session creation: ${created}`);
      const sid = created.attrs.sid;
      if (!sid || !created.attrs.authid || created.attrs["xmpp:version"] !== "1.0") return fail(`creation response lacks sid/authid/xmpp:version: ${created.toString()}`);
      const next = () => `rid='${++rid}' sid='${sid}'`;
      const features = await receive(port, next, (el) => el.name === "stream:features", created);
      if (typeof features === "string") return fail(`features: ${features}`);
      const auth = await step(port, next(), `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${b64(`\0conf-bosh\0bosh secret`)}</auth>`);
      const success = await receive(port, next, (el) => el.name === "success" || el.name === "failure", auth as Element);
      if (typeof success === "string" || success.name !== "success") return fail(`SASL: ${typeof success === "string" ? success : success.toString()}`);
      const restarted = await step(port, `${next()} xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh' to='${domain}' xml:lang='en'`);
      const bindFeature = await receive(port, next, (el) => el.name === "stream:features", restarted as Element);
      if (typeof bindFeature === "string" || !bindFeature.getChild("bind")) return fail("no bind feature after the restart");
      const bound = await step(port, next(), "<iq type='set' id='b1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bosh</resource></bind></iq>");
      const bindResult = await receive(port, next, (el) => el.attrs.id === "b1", bound as Element);
      if (typeof bindResult === "string" || bindResult.attrs.type !== "result") return fail(`bind: ${String(bindResult)}`);
      const pinged = await step(port, next(), `<iq type='get' id='p1' to='${domain}' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`);
      const pong = await receive(port, next, (el) => el.attrs.id === "p1", pinged as Element);
      if (typeof pong === "string" || pong.attrs.type !== "result") return fail(`ping: ${String(pong)}`);
      const r = await bosh(port, `<body xmlns='http://jabber.org/protocol/httpbind' ${next()} type='terminate'><presence type='unavailable' xmlns='jabber:client'/></body>`);
      if (r.status !== 200 || r.el?.attrs.type !== "terminate") return fail(`terminate answered ${r.status} ${r.text.slice(0, 200)}`);
      return { status: "pass" };
    },
  },
  {
    name: "host-meta",
    title: "host-meta (XRD and JSON) lists the WebSocket and BOSH endpoints",
    proves: "XEP-0156 §3",
    source: "conformance/runner/web-checks.ts",
    run: async (env) => {
      const port = httpPort(env, "http");
      if (!port) return fail("the conformance server has no HTTP listener");
      const xrd = await request(`http://127.0.0.1:${port}/.well-known/host-meta`, { headers: { Host: `${env.target.domain}:${port}` } });
      if (xrd.status !== 200 || !xrd.text.includes("urn:xmpp:alt-connections:websocket") || !xrd.text.includes("urn:xmpp:alt-connections:xbosh")) {
        return fail(`host-meta XRD: HTTP ${xrd.status} ${xrd.text.slice(0, 300)}`);
      }
      const json = await request(`http://127.0.0.1:${port}/.well-known/host-meta.json`, { headers: { Host: `${env.target.domain}:${port}` } });
      const links = (JSON.parse(json.text) as { links?: { rel: string; href: string }[] }).links ?? [];
      const rels = links.map((l) => l.rel);
      if (!rels.includes("urn:xmpp:alt-connections:websocket") || !rels.includes("urn:xmpp:alt-connections:xbosh")) return fail(`host-meta.json links: ${json.text.slice(0, 300)}`);
      return { status: "pass" };
    },
  },
];
