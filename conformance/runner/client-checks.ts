/**
 * Real-client checks: the scripts of conformance/clients/ (slixmpp, xmpp.js) run in child processes against
 * the conformance server, each tied to the spec sections its run demonstrates. A check passes when the client
 * reports everything the listed sections require of the server; otherwise it names the first thing missing.
 */
import { join } from "node:path";
import { CLIENTS_DIR, runClient, runSlixmpp, runXmppjs, runXmppjsIm, slixmppAvailable, SYSTEM_PYTHON, trustFile, type SlixmppReport, type XmppjsReport } from "../../test/helpers/clients.js";
import { RawClient } from "../../test/helpers/raw-client.js";
import type { CheckEnv, FunctionCheckDef } from "./checks.js";
import type { Outcome } from "./execute.js";

const NS = {
  discoInfo: "http://jabber.org/protocol/disco#info",
  ping: "urn:xmpp:ping",
  version: "jabber:iq:version",
  time: "urn:xmpp:time",
};
/** XEP-0082 DateTime. */
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Collects the first failed expectation of a client run. */
class Expect {
  private problems: string[] = [];
  that(cond: boolean, what: string): this {
    if (!cond) this.problems.push(what);
    return this;
  }
  outcome(code: number, error: string | null, stderr: string): Outcome {
    if (this.problems.length === 0) return { status: "pass" };
    const detail = [error ? `client error: ${error}` : "", code !== 0 ? `exit code ${code}` : "", stderr.trim() ? `stderr: ${stderr.trim().split("\n").slice(-3).join(" | ")}` : ""].filter(Boolean);
    return { status: "fail", message: [this.problems.join("; "), ...detail].join("\n    ") };
  }
}

/** A fresh account for one check, so checks never depend on each other. */
async function account(env: CheckEnv, local: string, password: string): Promise<string> {
  const jid = `${local}@${env.target.domain}`;
  await env.target.prepareAccount(jid, password);
  return jid;
}

function needsSlixmpp(): Outcome | null {
  return slixmppAvailable() ? null : { status: "fail", message: "/usr/bin/python3 with python3-slixmpp is not installed (Debian package python3-slixmpp)" };
}

/** What every slixmpp_login.py run must show: disco#info with the server identity and features, a pong, the version and the time. */
function expectQueried(e: Expect, r: SlixmppReport, bare: string): Expect {
  return e
    .that(r.ok, "the client reported failure")
    .that(r.authenticated, "not authenticated")
    .that((r.jid ?? "").startsWith(`${bare}/`), `bound JID ${r.jid} is not a resource of ${bare}`)
    .that(Object.values(NS).every((f) => r.features?.includes(f)), `disco#info lacks some of ${Object.values(NS).join(", ")}`)
    .that(r.identities?.some((i) => i[0] === "server" && i[1] === "im") ?? false, "no server/im identity")
    .that(r.ping === true, "no pong")
    .that(r.version?.name === "Palaver", `software version name ${r.version?.name}`)
    .that(DATETIME.test(r.time?.utc ?? ""), `entity time utc "${r.time?.utc}" is not an XEP-0082 DateTime`);
}

async function slixmppLogin(env: CheckEnv, local: string, mode: "starttls" | "direct", tls12: boolean, extra: (e: Expect, r: SlixmppReport) => void): Promise<Outcome> {
  const missing = needsSlixmpp();
  if (missing) return missing;
  const password = `${local} secret`;
  const bare = await account(env, local, password);
  const port = mode === "direct" ? env.srv.ports.directTls : env.srv.ports.starttls;
  const { code, report, stderr } = await runSlixmpp("slixmpp_login.py", { port, jid: bare, password, mode, tls12 });
  const e = expectQueried(new Expect(), report, bare).that(code === 0, "non-zero exit");
  extra(e, report);
  return e.outcome(code, report.error, stderr);
}

async function xmppjsLogin(env: CheckEnv, local: string, service: string): Promise<Outcome> {
  const password = `${local} secret`;
  const bare = await account(env, local, password);
  const { code, report, stderr } = await runXmppjs(env.srv, { service, username: local, password });
  const r: XmppjsReport = report;
  return new Expect()
    .that(code === 0 && r.ok, "the client reported failure")
    .that(r.mechanism === "SCRAM-SHA-1", `SASL mechanism ${r.mechanism}, expected SCRAM-SHA-1 (xmpp.js's first choice among the offered)`)
    .that(r.jid === `${bare}/xmppjs`, `bound JID ${r.jid}`)
    .that(r.tls === "TLSv1.3", `TLS ${r.tls}`)
    .that([NS.discoInfo, NS.ping].every((f) => r.features?.includes(f)), "disco#info lacks disco#info or ping")
    .that(r.ping, "no pong")
    .outcome(code, r.error, stderr);
}

/** conformance/clients/slixmpp_roster.py's report (two peers, a and b). */
interface RosterPeer { jid: string; subscription: string | null; requestsFrom: string[]; approvalsFrom: string[]; availableFrom: Record<string, string> }
interface RosterReport { ok: boolean; error: string | null; a?: RosterPeer; b?: RosterPeer }

export const CLIENT_CHECKS: readonly FunctionCheckDef[] = [
  {
    name: "slixmpp-starttls",
    title: "slixmpp logs in over STARTTLS (TLS 1.3) and queries disco#info, ping, version and time",
    proves: "RFC 6120 §5.4, RFC 6120 §6.4, RFC 6120 §7.6, RFC 7590 §3.1, XEP-0030 §3.1, XEP-0199 §4.2, XEP-0092 §2, XEP-0202 §3",
    source: "conformance/clients/slixmpp_login.py",
    run: (env) => slixmppLogin(env, "conf-slix-starttls", "starttls", false, (e, r) => {
      e.that(r.tls === "TLSv1.3", `TLS ${r.tls}`);
    }),
  },
  {
    name: "slixmpp-direct-tls",
    title: "slixmpp logs in over Direct TLS (ALPN xmpp-client, SNI) and queries the server",
    proves: "XEP-0368 §3, RFC 7590 §3.5",
    source: "conformance/clients/slixmpp_login.py",
    run: (env) => slixmppLogin(env, "conf-slix-direct", "direct", false, (e, r) => {
      e.that(r.tls === "TLSv1.3", `TLS ${r.tls}`);
    }),
  },
  {
    name: "slixmpp-tls12-scram-plus",
    title: "slixmpp on TLS 1.2 authenticates at once with SCRAM-SHA-256-PLUS (tls-unique channel binding)",
    proves: "RFC 7590 §3.1, RFC 7677 §3, RFC 5802 §6, RFC 5929 §3",
    source: "conformance/clients/slixmpp_login.py",
    run: (env) => slixmppLogin(env, "conf-slix-tls12", "starttls", true, (e, r) => {
      e.that(r.tls === "TLSv1.2", `TLS ${r.tls}`)
        .that(r.mechanism === "SCRAM-SHA-256-PLUS", `mechanism ${r.mechanism}`)
        .that(r.failedMechanisms.length === 0, `refused first: ${r.failedMechanisms.map((f) => f.mechanism).join(", ")}`);
    }),
  },
  {
    name: "xmppjs-starttls",
    title: "xmpp.js verifies the certificate over STARTTLS, authenticates with SCRAM-SHA-1 and pings",
    proves: "RFC 6120 §5.4, RFC 6120 §6.4, RFC 5802 §5, XEP-0199 §4.2",
    source: "conformance/clients/xmppjs_login.mjs",
    run: (env) => xmppjsLogin(env, "conf-xmppjs-starttls", `xmpp://127.0.0.1:${env.srv.ports.starttls}`),
  },
  {
    name: "xmppjs-direct-tls",
    title: "xmpp.js verifies the certificate over Direct TLS, authenticates and pings",
    proves: "XEP-0368 §3",
    source: "conformance/clients/xmppjs_login.mjs",
    // `localhost`: the certificate names the domain, and Node checks it against the host connected to.
    run: (env) => xmppjsLogin(env, "conf-xmppjs-direct", `xmpps://localhost:${env.srv.ports.directTls}`),
  },
  {
    name: "slixmpp-register",
    title: "slixmpp registers in-band, logs in, changes its password and removes the account",
    proves: "XEP-0077 §3.1, XEP-0077 §3.2, XEP-0077 §3.3",
    source: "conformance/clients/slixmpp_register.py",
    run: async (env) => {
      const missing = needsSlixmpp();
      if (missing) return missing;
      const port = env.srv.ports.starttls;
      const jid = `conf-slix-newcomer@${env.target.domain}`;
      await env.target.prepareAccount(jid, null);
      const register = (password: string, action: string, extra: string[] = []) =>
        runSlixmpp("slixmpp_register.py", { port, jid, password, extra: ["--action", action, ...extra] });
      const login = (password: string) => runSlixmpp("slixmpp_login.py", { port, jid, password });
      const created = await register("first secret", "register");
      const e = new Expect()
        .that(created.code === 0 && created.report.registered === true, `registration failed (${created.report.condition ?? created.report.error})`)
        .that(JSON.stringify(created.report.formFields) === JSON.stringify(["password", "username"]), `form fields ${JSON.stringify(created.report.formFields)}`);
      if (created.code !== 0) return e.outcome(created.code, created.report.error, created.stderr);
      const changed = await register("first secret", "change-password", ["--new-password", "second secret"]);
      e.that(changed.code === 0, `password change failed (${changed.report.condition ?? changed.report.error})`);
      const oldRefused = (await login("first secret")).code === 1;
      const newWorks = (await login("second secret")).code === 0;
      e.that(oldRefused, "the old password still works").that(newWorks, "the new password does not work");
      const removed = await register("second secret", "remove");
      e.that(removed.code === 0, `removal failed (${removed.report.condition ?? removed.report.error})`)
        .that(removed.report.streamError === "not-authorized", `stream after removal ended with ${removed.report.streamError}`);
      const gone = await login("second secret");
      e.that(gone.code === 1 && !gone.report.authenticated, "the removed account can still log in");
      return e.outcome(0, null, "");
    },
  },
  {
    name: "slixmpp-roster-subscription",
    title: "two slixmpp clients subscribe to each other's presence (both ways) and see each other's presence",
    proves: "RFC 6121 §3.1.2, RFC 6121 §3.1.3, RFC 6121 §3.1.5, RFC 6121 §3.1.6, RFC 6121 §4.2.2, RFC 6121 §4.4.2",
    source: "conformance/clients/slixmpp_roster.py",
    run: async (env) => {
      const missing = needsSlixmpp();
      if (missing) return missing;
      const a = await account(env, "conf-romeo", "romeo secret");
      const b = await account(env, "conf-juliet", "juliet secret");
      const { code, report, stderr } = await runClient<RosterReport>(SYSTEM_PYTHON, [
        join(CLIENTS_DIR, "slixmpp_roster.py"), "--host", env.target.host, "--port", String(env.srv.ports.starttls), "--mode", "starttls",
        "--jid", a, "--password", "romeo secret", "--jid2", b, "--password2", "juliet secret",
      ]);
      const ra = report.a;
      const rb = report.b;
      return new Expect()
        .that(code === 0 && report.ok, "the clients reported failure")
        .that(ra?.subscription === "both" && rb?.subscription === "both", `subscriptions ${ra?.subscription} / ${rb?.subscription}, expected both / both`)
        .that(JSON.stringify(rb?.requestsFrom) === JSON.stringify([a]), `requests reaching ${b}: ${JSON.stringify(rb?.requestsFrom)}`)
        .that(JSON.stringify(ra?.requestsFrom) === JSON.stringify([b]), `requests reaching ${a}: ${JSON.stringify(ra?.requestsFrom)}`)
        .that((ra?.approvalsFrom.includes(b) ?? false) && (rb?.approvalsFrom.includes(a) ?? false), "an approval did not arrive")
        .that(!!ra && !!rb && ra.availableFrom[rb.jid] === "b online", `${a} did not get ${b}'s presence`)
        .that(!!ra && !!rb && rb.availableFrom[ra.jid] === "status update", `${b} did not get ${a}'s presence and its update`)
        .outcome(code, report.error, stderr);
    },
  },
  {
    name: "slixmpp-pep",
    title: "slixmpp: a nickname and an avatar published through PEP reach a contact whose caps ask for them; the contact fetches the data",
    proves: "XEP-0163 §4, XEP-0163 §5, XEP-0172 §4, XEP-0084 §4, XEP-0115 §4",
    source: "conformance/clients/slixmpp_pep.py",
    run: async (env) => {
      const missing = needsSlixmpp();
      if (missing) return missing;
      const a = await account(env, "conf-pep-alice", "pep secret");
      const b = await account(env, "conf-pep-bob", "pep secret");
      const { code, report, stderr } = await runClient<{ ok: boolean; error: string | null; subscription: string | null; nickSeen: string | null; avatarIdSeen: string | null; avatarId: string | null; avatarFetched: boolean }>(SYSTEM_PYTHON, [
        join(CLIENTS_DIR, "slixmpp_pep.py"), "--host", env.target.host, "--port", String(env.srv.ports.starttls), "--mode", "starttls",
        "--jid", a, "--password", "pep secret", "--jid2", b, "--password2", "pep secret",
      ]);
      return new Expect()
        .that(code === 0 && report.ok, "the clients reported failure")
        .that(report.subscription === "both", `subscription ${report.subscription}`)
        .that(report.nickSeen === "Alice Slix", `nickname seen: ${report.nickSeen}`)
        .that(!!report.avatarId && report.avatarIdSeen === report.avatarId, "the avatar metadata notification did not arrive")
        .that(report.avatarFetched, "the avatar data fetched by id does not hash to its id")
        .outcome(code, report.error, stderr);
    },
  },
  {
    name: "slixmpp-vcard-blocking",
    title: "slixmpp stores and reads vCards (own and a contact's), then blocks a contact, is refused when writing to it, and unblocks, with pushes",
    proves: "XEP-0054 §3.1, XEP-0054 §3.2, XEP-0191 §3.1, XEP-0191 §3.2, XEP-0191 §3.3, XEP-0191 §3.4",
    source: "conformance/clients/slixmpp_vcard_blocking.py",
    run: async (env) => {
      const missing = needsSlixmpp();
      if (missing) return missing;
      const alice = await account(env, "conf-vcard-alice", "vcard secret");
      const bob = await account(env, "conf-vcard-bob", "vcard secret");
      // The contact has a vCard for the client to read.
      const peer = await RawClient.connect(env.srv.ports.plain);
      try {
        await peer.login("conf-vcard-bob", "vcard secret");
        peer.send("<iq type='set' id='v'><vCard xmlns='vcard-temp'><FN>Bob the Builder</FN></vCard></iq>");
        await peer.until((el) => el.attrs.id === "v");
      } finally {
        peer.destroy();
      }
      const { code, report: r, stderr } = await runClient<{
        ok: boolean; error: string | null; ownVcard: { fn: string | null }; peerVcard: { fn: string | null };
        blocklistBlocked: string[]; whileBlocked: { condition: string; blocked: boolean } | null; blocklistAfter: string[];
        pushes: [string, string[]][];
      }>(SYSTEM_PYTHON, [join(CLIENTS_DIR, "slixmpp_vcard_blocking.py"), "--host", env.target.host, "--port", String(env.srv.ports.plain),
        "--jid", alice, "--password", "vcard secret", "--mode", "plain", "--peer", bob]);
      return new Expect()
        .that(code === 0 && r.ok, "the client reported failure")
        .that(r.ownVcard?.fn === "Alice Liddell", `own vCard FN ${r.ownVcard?.fn}`)
        .that(r.peerVcard?.fn === "Bob the Builder", `the contact's vCard FN ${r.peerVcard?.fn}`)
        .that(JSON.stringify(r.blocklistBlocked) === JSON.stringify([bob]), `blocklist after blocking: ${JSON.stringify(r.blocklistBlocked)}`)
        .that(r.whileBlocked?.condition === "not-acceptable" && r.whileBlocked.blocked, `writing to a blocked contact: ${JSON.stringify(r.whileBlocked)}`)
        .that(r.blocklistAfter?.length === 0, "the blocklist is not empty after unblocking")
        .that(JSON.stringify(r.pushes) === JSON.stringify([["block", [bob]], ["unblock", [bob]]]), `pushes ${JSON.stringify(r.pushes)}`)
        .outcome(code, r.error, stderr);
    },
  },
  {
    name: "slixmpp-muc",
    title: "slixmpp (xep_0045): create and configure a room, a second client joins, both see the messages in the same order; self-ping, a direct invitation and the room archive",
    proves: "XEP-0045 §10.1, XEP-0045 §7.2, XEP-0045 §7.4, XEP-0045 §8.1, XEP-0249 §2, XEP-0410 §3, XEP-0313 §6 (MUC)",
    source: "conformance/clients/slixmpp_muc.py",
    run: async (env) => {
      const missing = needsSlixmpp();
      if (missing) return missing;
      const owner = await account(env, "conf-muc-owner", "muc secret");
      const peer = await account(env, "conf-muc-peer", "muc secret");
      const room = `conf-lounge-${Date.now().toString(36)}`;
      const { code, report, stderr } = await runSlixmpp("slixmpp_muc.py", {
        port: env.srv.ports.plain, jid: `${owner}/muc`, password: "muc secret", mode: "plain",
        extra: ["--peer-jid", `${peer}/muc`, "--peer-password", "muc secret", "--room", room],
      });
      const r = report as SlixmppReport & {
        createdCodes?: number[]; configured?: boolean; joinedCodes?: number[]; seen?: Record<"owner" | "peer", { body: string; hasStanzaId: boolean }[]>;
        selfPing?: boolean; directInvite?: { room: string }; archive?: { body: string; subject: string }[];
      };
      const ownerBodies = r.seen?.owner.map((m) => m.body) ?? [];
      return new Expect()
        .that(code === 0 && r.ok, "the clients reported failure")
        .that(JSON.stringify(r.createdCodes) === "[110,201]", `creation status codes ${JSON.stringify(r.createdCodes)}`)
        .that(r.configured === true, "the room configuration was not accepted")
        .that(ownerBodies.length > 0 && JSON.stringify(ownerBodies) === JSON.stringify(r.seen?.peer.map((m) => m.body)), "the occupants saw different messages or orders")
        .that(r.seen?.peer.every((m) => m.hasStanzaId) ?? false, "room messages lack the room's stanza-id")
        .that(r.selfPing === true, "no answer to the self-ping")
        .that(r.directInvite?.room.startsWith(room) ?? false, "the direct invitation did not arrive")
        .that((r.archive?.length ?? 0) === ownerBodies.length + 1, `room archive has ${r.archive?.length} items, expected the subject and ${ownerBodies.length} messages`)
        .outcome(code, r.error, stderr);
    },
  },
  {
    name: "slixmpp-sm-resume",
    title: "slixmpp (xep_0198) drops its connection mid-conversation, resumes the session and gets every message once, in order",
    proves: "XEP-0198 §3, XEP-0198 §4, XEP-0198 §5",
    source: "conformance/clients/slixmpp_sm_resume.py",
    run: async (env) => {
      const missing = needsSlixmpp();
      if (missing) return missing;
      const juliet = await account(env, "conf-sm-juliet", "sm secret");
      const romeo = await account(env, "conf-sm-romeo", "sm secret");
      const { code, report, stderr } = await runClient<{ ok: boolean; smEnabled: boolean; resumed: boolean; newSession: boolean; received: { id: string; connection: number }[]; error: string | null }>(
        SYSTEM_PYTHON, [join(CLIENTS_DIR, "slixmpp_sm_resume.py"), "--port", String(env.srv.ports.starttls), "--jid", `${juliet}/phone`, "--password", "sm secret",
          "--peer", `${romeo}/pc`, "--peer-password", "sm secret", "--count", "6"]);
      return new Expect()
        .that(code === 0 && report.ok, "the clients reported failure")
        .that(report.smEnabled, "stream management was not enabled")
        .that(report.resumed && !report.newSession, "the session was not resumed")
        .that(JSON.stringify(report.received?.map((m) => m.id)) === JSON.stringify(["m1", "m2", "m3", "m4", "m5", "m6"]), `received ${JSON.stringify(report.received?.map((m) => m.id))}`)
        .that(report.received?.some((m) => m.connection === 2) ?? false, "nothing arrived after resumption")
        .outcome(code, report.error, stderr);
    },
  },
  {
    name: "slixmpp-upload-push",
    title: "slixmpp (xep_0363) finds upload.<host>, uploads over HTTPS and the file downloads intact; its push registration wakes an app server when a message arrives while it is offline",
    proves: "XEP-0363 §4, XEP-0363 §5, XEP-0357 §5, XEP-0357 §6",
    source: "conformance/clients/slixmpp_upload_push.py",
    run: async (env) => {
      const missing = needsSlixmpp();
      if (missing) return missing;
      const alice = await account(env, "conf-up-alice", "up secret");
      await account(env, "conf-up-bob", "up secret");
      const app = await account(env, "conf-up-app", "up secret");
      const appClient = await RawClient.connect(env.srv.ports.plain);
      const sender = await RawClient.connect(env.srv.ports.plain);
      try {
        await appClient.login("conf-up-app", "up secret", "push");
        const childEnv = { ...process.env, SSL_CERT_FILE: trustFile(env.srv) };
        const { code, report: r, stderr } = await runClient<{ ok: boolean; error: string | null; status: number; sentSha256: string; receivedSha256: string; pushEnabled: boolean }>(
          SYSTEM_PYTHON, [join(CLIENTS_DIR, "slixmpp_upload_push.py"), "--host", env.target.host, "--port", String(env.srv.ports.plain),
            "--jid", `${alice}/phone`, "--password", "up secret", "--mode", "plain", "--size", "300000", "--push-jid", `${app}/push`, "--push-node", "conf"], childEnv);
        const e = new Expect()
          .that(code === 0 && r.ok, "the client reported failure")
          .that(r.status === 200 && r.sentSha256 === r.receivedSha256, "the downloaded file differs from the uploaded one")
          .that(r.pushEnabled, "push could not be enabled");
        if (code !== 0) return e.outcome(code, r.error, stderr);
        for (let i = 0; i < 200 && env.srv.server.sessions.resources(alice).length > 0; i++) await new Promise((res) => setTimeout(res, 10));
        const publish = appClient.until((el) => el.name === "iq" && el.getChild("pubsub")?.getChild("publish")?.attrs.node === "conf", 10_000).then(() => true, () => false);
        await sender.login("conf-up-bob", "up secret", "desk");
        sender.send(`<message to='${alice}' type='chat'><body>wake up</body></message>`);
        e.that(await publish, "no push notification reached the app server");
        return e.outcome(code, r.error, stderr);
      } finally {
        appClient.destroy();
        sender.destroy();
      }
    },
  },
  {
    name: "xmppjs-im",
    title: "two xmpp.js users: roster push, mutual subscription, presence, chat, a sent carbon on a second device, an offline message with delay",
    proves: "RFC 6121 §2.1.6, RFC 6121 §3.1.2, RFC 6121 §4.2.2, RFC 6121 §8.5.2.1.1, XEP-0280 §7, XEP-0160 §4, XEP-0203 §3",
    source: "conformance/clients/xmppjs_im.mjs",
    run: async (env) => {
      const alice = await account(env, "conf-xmppjs-alice", "alice secret");
      const bob = await account(env, "conf-xmppjs-bob", "bob secret");
      const { code, report, stderr } = await runXmppjsIm(env.srv, {
        service: `xmpp://127.0.0.1:${env.srv.ports.starttls}`,
        alice: `${alice.split("@")[0]}:alice secret`,
        bob: `${bob.split("@")[0]}:bob secret`,
      });
      const s = report.steps;
      return new Expect()
        .that(code === 0 && report.ok, "the clients reported failure")
        .that(s.rosterSet === true, "no roster push after a roster set")
        .that(s.mutualPresence === true && s.subscription === "both", `subscription ${String(s.subscription)}, expected both`)
        .that(s.chat === true, "the chat message did not arrive")
        .that(s.carbonSent === true, "no sent carbon on the second device")
        .that(typeof s.offlineDelay === "string" && DATETIME.test(s.offlineDelay), `offline message delay stamp ${String(s.offlineDelay)}`)
        .outcome(code, report.error, stderr);
    },
  },
];
