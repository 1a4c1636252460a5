/**
 * Checks of features that need more than one client script: an external component (XEP-0114) with xmpp.js,
 * the message archive (XEP-0313) with slixmpp over a history made for it, and external service discovery
 * (XEP-0215) with TURN credentials verified against the shared secret.
 */
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { CLIENTS_DIR, runClient, slixmppAvailable, SYSTEM_PYTHON } from "../../test/helpers/clients.js";
import { RawClient } from "../../test/helpers/raw-client.js";
import type { CheckEnv, FunctionCheckDef } from "./checks.js";
import type { Outcome } from "./execute.js";
import { CONFORMANCE_COMPONENT, CONFORMANCE_TURN } from "./target.js";

const fail = (message: string): Outcome => ({ status: "fail", message });

async function login(env: CheckEnv, local: string, password: string, resource: string): Promise<RawClient> {
  await env.target.prepareAccount(`${local}@${env.target.domain}`, password);
  const c = await RawClient.connect(env.srv.ports.plain);
  await c.login(local, password, resource);
  return c;
}

/** Wait until the server has handled everything `c` sent before (a ping round trip). */
async function barrier(c: RawClient, domain: string, id: string): Promise<void> {
  c.send(`<iq type='get' id='${id}' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await c.until((el) => el.name === "iq" && el.attrs.id === id);
}

export const MORE_CHECKS: readonly FunctionCheckDef[] = [
  {
    name: "xmppjs-component",
    title: "an xmpp.js component (@xmpp/component) authenticates with its secret, gets a user's message for its domain, answers from an address at it, and pings the server",
    proves: "XEP-0114 §3, XEP-0114 §4",
    source: "conformance/clients/xmppjs_component.mjs",
    run: async (env) => {
      const port = env.srv.server.listeners.find((l) => l.kind === "component")?.port;
      if (!port) return fail("the conformance server has no component listener");
      const user = await login(env, "conf-comp-user", "comp secret", "res");
      try {
        user.send("<presence/>");
        const args = [join(CLIENTS_DIR, "xmppjs_component.mjs"), "--service", `xmpp://127.0.0.1:${port}`, "--domain", CONFORMANCE_COMPONENT.domain,
          "--password", CONFORMANCE_COMPONENT.secret, "--notify", `conf-comp-user@${env.target.domain}`, "--count", "1"];
        const run = runClient<{ ok: boolean; online: boolean; received: { from: string; body: string }[]; pingFromServer: string | null; error: string | null }>(process.execPath, args);
        const online = await user.until((el) => el.name === "message" && el.getChildText("body") === "online", 20_000).catch(() => null);
        if (!online) return fail(`the component never said it was online: ${JSON.stringify((await run).report)}`);
        user.send(`<message to='${CONFORMANCE_COMPONENT.domain}' type='chat'><body>hi bot</body></message>`);
        const echo = await user.until((el) => el.name === "message" && el.getChildText("body") === "echo: hi bot", 20_000).catch(() => null);
        const { code, report } = await run;
        if (!echo) return fail(`no answer from the component: ${report.error}`);
        if (echo.attrs.from !== `bot@${CONFORMANCE_COMPONENT.domain}`) return fail(`the answer came from ${echo.attrs.from}`);
        if (code !== 0 || !report.ok) return fail(`the component reported failure: ${report.error}`);
        if (report.pingFromServer !== "result") return fail(`the server answered the component's ping with ${report.pingFromServer}`);
        return { status: "pass" };
      } finally {
        user.destroy();
      }
    },
  },
  {
    name: "slixmpp-mam",
    title: "slixmpp (xep_0313) pages through a one-to-one history oldest first and newest first, with a `with` filter; result ids are stable",
    proves: "XEP-0313 §4.1, XEP-0313 §4.3, XEP-0313 §5, XEP-0059 §2",
    source: "conformance/clients/slixmpp_mam.py",
    run: async (env) => {
      if (!slixmppAvailable()) return fail("/usr/bin/python3 with python3-slixmpp is not installed");
      const domain = env.target.domain;
      const alice = await login(env, "conf-mam-alice", "pw", "pc");
      const bob = await login(env, "conf-mam-bob", "pw", "pc");
      try {
        const expected: string[] = [];
        for (let i = 0; i < 12; i++) {
          const [from, to] = i % 2 === 0 ? [alice, `conf-mam-bob@${domain}`] : [bob, `conf-mam-alice@${domain}`];
          from.send(`<message to='${to}' type='chat'><body>line ${i}</body></message>`);
          await barrier(from, domain, `b${i}`);
          expected.push(`line ${i}`);
        }
        alice.destroy();
        const { code, report } = await runClient<{ ok: boolean; error: string | null; features?: string[]; forward?: { id: string; body: string }[]; backward?: { body: string }[]; with?: { body: string }[] }>(
          SYSTEM_PYTHON, [join(CLIENTS_DIR, "slixmpp_mam.py"), "--host", env.target.host, "--port", String(env.srv.ports.plain),
            "--jid", `conf-mam-alice@${domain}/history`, "--password", "pw", "--mode", "plain", "--page", "5", "--last", "3", "--with", `conf-mam-bob@${domain}`]);
        if (code !== 0 || !report.ok) return fail(`the client reported failure: ${report.error}`);
        const forward = report.forward?.map((m) => m.body) ?? [];
        if (JSON.stringify(forward) !== JSON.stringify(expected)) return fail(`oldest first: ${JSON.stringify(forward)}`);
        if (JSON.stringify(report.backward?.map((m) => m.body)) !== JSON.stringify([...expected].reverse())) return fail("newest first is not the reverse");
        if (JSON.stringify(report.with?.map((m) => m.body)) !== JSON.stringify(expected)) return fail("the with filter changed the result");
        if (new Set(report.forward?.map((m) => m.id)).size !== expected.length) return fail("result ids are not unique");
        return { status: "pass" };
      } finally {
        alice.destroy();
        bob.destroy();
      }
    },
  },
  {
    name: "external-services",
    title: "external services: the configured TURN relay with time-limited credentials that verify against the shared secret",
    proves: "XEP-0215 §3.1, XEP-0215 §3.3",
    source: "conformance/runner/more-checks.ts",
    run: async (env) => {
      const c = await login(env, "conf-turn", "turn pw", "call");
      try {
        c.send(`<iq type='get' id='ext' to='${env.target.domain}'><services xmlns='urn:xmpp:extdisco:2'/></iq>`);
        const r = await c.until((el) => el.name === "iq" && el.attrs.id === "ext");
        const svc = r.getChild("services")?.getChildren("service").find((s) => s.attrs.host === CONFORMANCE_TURN.host);
        if (r.attrs.type !== "result" || !svc) return fail(`no TURN service in ${r.toString()}`);
        if (svc.attrs.type !== "turn" || svc.attrs.port !== String(CONFORMANCE_TURN.port) || svc.attrs.restricted !== "1") return fail(`service attributes ${JSON.stringify(svc.attrs)}`);
        const { username, password, expires } = svc.attrs;
        if (!username || !password || !expires) return fail("no time-limited credentials");
        // The TURN REST scheme coturn checks: the password is base64(HMAC-SHA1(secret, username)).
        const expected = createHmac("sha1", CONFORMANCE_TURN.secret).update(username).digest("base64");
        if (password !== expected) return fail("the password does not verify against the shared secret");
        if (!(Date.parse(expires) > Date.now())) return fail(`expires ${expires} is not in the future`);
        return { status: "pass" };
      } finally {
        c.destroy();
      }
    },
  },
];
