/**
 * XEP-0215 against a live server: the feature, the list with working TURN credentials (checked by recomputing
 * the HMAC as a TURN server would), selection by type, §3.3 credential requests, and refusals.
 */
import { createHmac } from "node:crypto";
import test from "ava";
import type { Element } from "ltx";
import { RawClient } from "../../test/helpers/raw-client.js";
import { DEFAULT_MODULES, startTestServer, type TestServer } from "../../test/helpers/server.js";

const NS = "urn:xmpp:extdisco:2";
const SECRET = "shared-with-coturn";
let srv: TestServer;
let alice: RawClient;
let seq = 0;

async function iq(c: RawClient, inner: string, to = "localhost"): Promise<Element> {
  const id = `x${++seq}`;
  c.send(`<iq type='get' id='${id}' to='${to}'>${inner}</iq>`);
  return c.until((el) => el.name === "iq" && el.attrs.id === id);
}
const condition = (r: Element) => r.getChild("error")?.getChildElements().find((e) => e.name !== "text")?.name;

test.before(async () => {
  srv = await startTestServer({
    modules: {
      ...DEFAULT_MODULES,
      "external-services": {
        services: [
          { type: "stun", host: "stun.example.org", port: 3478, transport: "udp" },
          { type: "turn", host: "turn.example.org", port: 3478, transport: "udp", secret: SECRET, name: "Relay" },
          { type: "turns", host: "turn.example.org", port: 5349, transport: "tcp", secret: SECRET },
        ],
        credentialLifetime: 600,
      },
    },
  });
  await srv.addUser("alice@localhost", "pw");
  alice = await RawClient.connect(srv.ports.plain);
  await alice.login("alice", "pw");
});

test.after.always(async () => {
  alice?.destroy();
  await srv?.stop();
});

test.serial("the server announces urn:xmpp:extdisco:2 (§5)", async (t) => {
  const info = await iq(alice, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  t.true(info.getChild("query")!.getChildren("feature").some((f) => f.attrs.var === NS));
});

test.serial("all services, with TURN credentials a TURN server accepts (§3.1)", async (t) => {
  const before = Math.floor(Date.now() / 1000);
  const r = await iq(alice, `<services xmlns='${NS}'/>`);
  t.is(r.attrs.type, "result");
  const list = r.getChild("services", NS)!.getChildren("service");
  t.deepEqual(list.map((s) => `${s.attrs.type}:${s.attrs.port}/${s.attrs.transport}`), ["stun:3478/udp", "turn:3478/udp", "turns:5349/tcp"]);
  t.is(list[0]!.attrs.username, undefined);
  const turn = list[1]!;
  t.is(turn.attrs.restricted, "1");
  t.is(turn.attrs.name, "Relay");
  const [expiry, user] = turn.attrs.username.split(":");
  t.is(user, "alice@localhost");
  t.true(Number(expiry) >= before + 600 && Number(expiry) <= Math.floor(Date.now() / 1000) + 600);
  t.is(Date.parse(turn.attrs.expires) / 1000, Number(expiry));
  // What coturn does with use-auth-secret: recompute the password from the username.
  t.is(turn.attrs.password, createHmac("sha1", SECRET).update(turn.attrs.username).digest("base64"));
});

test.serial("services of one type (§3.2)", async (t) => {
  const r = await iq(alice, `<services xmlns='${NS}' type='stun'/>`);
  const s = r.getChild("services", NS)!;
  t.is(s.attrs.type, "stun");
  t.deepEqual(s.getChildren("service").map((x) => x.attrs.host), ["stun.example.org"]);
});

test.serial("credentials for a known service, by host, type and port (§3.3)", async (t) => {
  const r = await iq(alice, `<credentials xmlns='${NS}'><service host='turn.example.org' type='turns' port='5349'/></credentials>`);
  const s = r.getChild("credentials", NS)!.getChildren("service");
  t.is(s.length, 1);
  t.is(s[0]!.attrs.password, createHmac("sha1", SECRET).update(s[0]!.attrs.username).digest("base64"));
  t.is(condition(await iq(alice, `<credentials xmlns='${NS}'><service host='stun.example.org' type='stun'/></credentials>`)), "item-not-found");
  t.is(condition(await iq(alice, `<credentials xmlns='${NS}'><service type='turn'/></credentials>`)), "bad-request");
});
