/**
 * Interop with Prosody (Debian's prosody package): a slixmpp user on Prosody and one on Palaver subscribe to each
 * other, see each other's presence and chat both ways, and each joins a room on the other's server (Prosody's MUC
 * component, Palaver's muc module). Both servers find each other through SRV records served by the test DNS
 * server (RFC 6120 §3.2.1). Once with self-signed certificates (Server Dialback over TLS, XEP-0220), once with
 * certificates from a test CA that both trust (SASL EXTERNAL, XEP-0178); which one ran is checked on both sides.
 */
import test from "ava";
import { join } from "node:path";
import { CLIENTS_DIR, runClient, slixmppAvailable, SYSTEM_PYTHON } from "../helpers/clients.js";
import { createSelfSigned } from "../../src/tls/self-signed.js";
import { TestDns } from "./dns-server.js";
import { FED_MODULES, freePort, loopback, makeCa, startFederated, type FedServer, type Pem } from "./helpers.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "./prosody.js";

// Not .test: libunbound (Prosody's resolver) answers NXDOMAIN for .test itself, a special-use zone (RFC 6761).
const PALAVER = "palaver.example";
const PROSODY = "prosody.example";

interface FederationReport { ok: boolean; steps: Record<string, unknown>; error: string | null }

const available = prosodyAvailable() && slixmppAvailable();

interface Setup { palaver: FedServer; prosody: ProsodyServer; dns: TestDns; authenticated: string[] }

async function setup(certs: { palaver?: Pem; prosody: Pem; trust?: string[] }, directTls = false): Promise<Setup> {
  const dns = await TestDns.start();
  const palaverAddress = loopback();
  const palaverPort = await freePort(palaverAddress);
  const prosodyAddress = loopback();
  const prosody = await startProsody({
    domain: PROSODY, address: prosodyAddress, tls: certs.prosody, trust: certs.trust, dnsPort: dns.port, muc: `rooms.${PROSODY}`, directTls,
  });
  // Each server's SRV records, and those of its services that other servers reach on the same port.
  const directPort = prosody.ports.s2sDirectTls ?? undefined;
  dns.server(PROSODY, `xmpp.${PROSODY}`, prosodyAddress, prosody.ports.s2s, directPort);
  dns.server(`rooms.${PROSODY}`, `xmpp.${PROSODY}`, prosodyAddress, prosody.ports.s2s, directPort);
  dns.server(PALAVER, `xmpp.${PALAVER}`, palaverAddress, palaverPort);
  dns.server(`conference.${PALAVER}`, `xmpp.${PALAVER}`, palaverAddress, palaverPort);
  const palaver = await startFederated({
    domain: PALAVER, address: palaverAddress, s2sPort: palaverPort, tls: certs.palaver, trust: certs.trust,
    s2s: { dnsServers: [`127.0.0.1:${dns.port}`], connectTimeout: 15 },
    modules: { ...FED_MODULES, muc: { lockNewRooms: false } },
  });
  const authenticated: string[] = [];
  palaver.server.hooks.on("s2s:authenticated", (e) => { authenticated.push(`${e.direction} ${e.local} ${e.remote} ${e.mechanism}`); });
  await palaver.addUser("alice");
  await prosody.register("romeo", "romeo pw");
  return { palaver, prosody, dns, authenticated };
}

async function teardown(s: Setup): Promise<void> {
  await s.palaver.stop();
  await s.prosody.stop();
  s.dns.stop();
}

function runFederation(s: Setup) {
  const args = [join(CLIENTS_DIR, "slixmpp_federation.py"),
    "--port", String(s.prosody.ports.c2s), "--jid", `romeo@${PROSODY}/slix`, "--password", "romeo pw", "--mode", "starttls",
    "--port2", String(s.palaver.ports.plain), "--jid2", `alice@${PALAVER}/slix`, "--password2", "secret", "--mode2", "plain",
    "--room", `lounge@rooms.${PROSODY}`, "--room2", `hall@conference.${PALAVER}`, "--timeout", "15"];
  return runClient<FederationReport>(SYSTEM_PYTHON, args, process.env, 90_000);
}

/** What Prosody's (debug) log says about authenticating with Palaver, as initiating and as receiving server. */
function prosodySaw(log: string) {
  return {
    // mod_dialback: the key it sent on its own outgoing stream, and its answer when Palaver asked about a key.
    dialbackOut: log.includes("sent dialback key on outgoing s2s stream"),
    dialbackVerified: log.includes("verified dialback key... it is valid"),
    // mod_saslauth: EXTERNAL it accepted from Palaver, and EXTERNAL it did itself towards Palaver.
    externalIn: log.includes(`Accepting SASL EXTERNAL identity from ${PALAVER}`),
    externalOut: log.includes(`SASL EXTERNAL with ${PALAVER} succeeded`),
  };
}

const maybe = available ? test.serial : test.serial.skip;

maybe("Prosody with self-signed certificates: dialback both ways; subscription, presence, chat, rooms on both sides", async (t) => {
  const prosodyCert = await createSelfSigned(PROSODY);
  const s = await setup({ prosody: { cert: prosodyCert.certPem, key: prosodyCert.keyPem } });
  t.teardown(() => teardown(s));
  const { code, report } = await runFederation(s);
  t.log(`Palaver authenticated: ${s.authenticated.join("; ")}`);
  t.is(code, 0, `${report.error} ${JSON.stringify(report.steps)}\n${s.prosody.log().split("\n").filter((l) => /s2s|dialback|error|warn/i.test(l)).slice(-40).join("\n")}`);
  t.like(report.steps, { subscription: "both", presence: true, chat: true, room: true, room2: true });
  const mechanisms = new Set(s.authenticated.map((a) => a.split(" ")[3]));
  t.deepEqual([...mechanisms], ["dialback"], s.authenticated.join("; "));
  t.true(s.authenticated.some((a) => a.startsWith(`in ${PALAVER} ${PROSODY}`)), s.authenticated.join("; "));
  t.true(s.authenticated.some((a) => a.includes(`conference.${PALAVER} ${PROSODY}`) || a.includes(`${PALAVER} rooms.${PROSODY}`)), s.authenticated.join("; "));
  t.like(prosodySaw(s.prosody.log()), { dialbackOut: true, dialbackVerified: true, externalIn: false, externalOut: false });
});

maybe("Prosody with certificates from a CA both trust: SASL EXTERNAL both ways, Direct TLS found by SRV; subscription, presence, chat, rooms", async (t) => {
  const ca = makeCa();
  const s = await setup({
    palaver: ca.issue([PALAVER, `*.${PALAVER}`]),
    prosody: ca.issue([PROSODY, `*.${PROSODY}`]),
    trust: [ca.cert],
  }, true);
  t.teardown(() => teardown(s));
  const { code, report } = await runFederation(s);
  t.log(`Palaver authenticated: ${s.authenticated.join("; ")}`);
  t.is(code, 0, `${report.error} ${JSON.stringify(report.steps)}\n${s.prosody.log().split("\n").filter((l) => /s2s|EXTERNAL|dialback|error|warn/i.test(l)).slice(-40).join("\n")}`);
  t.like(report.steps, { subscription: "both", presence: true, chat: true, room: true, room2: true });
  t.deepEqual([...new Set(s.authenticated.map((a) => a.split(" ")[3]))], ["EXTERNAL"], s.authenticated.join("; "));
  t.true(s.authenticated.includes(`in ${PALAVER} ${PROSODY} EXTERNAL`), s.authenticated.join("; "));
  t.true(s.authenticated.includes(`out ${PALAVER} ${PROSODY} EXTERNAL`), s.authenticated.join("; "));
  t.like(prosodySaw(s.prosody.log()), { externalIn: true, externalOut: true, dialbackOut: false });
  // Palaver found Prosody's _xmpps-server record first (XEP-0368) and connected with TLS from the first byte.
  const links = s.palaver.server.s2s!.status().links.filter((l) => l.remote === PROSODY);
  t.true(links.length > 0 && links.every((l) => l.directTls === true), JSON.stringify(links));
});
