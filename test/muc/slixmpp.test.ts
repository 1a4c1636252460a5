/**
 * Real clients: slixmpp (xep_0045) finds the service, creates and configures a room, sets the subject;
 * a second slixmpp client joins; both exchange groupchat messages and see them in the same order
 * (conformance/clients/slixmpp_muc.py).
 */
import test from "ava";
import { runSlixmpp, slixmppAvailable, type SlixmppReport } from "../helpers/clients.js";
import { startTestServer } from "../helpers/server.js";

interface MucReport extends SlixmppReport {
  services?: string[];
  room?: string;
  createdCodes?: number[];
  configFields?: string[];
  configured?: boolean;
  joinedCodes?: number[];
  subject?: string;
  occupantsSeenByPeer?: string[];
  seen?: Record<"owner" | "peer", { from: string; body: string; stanzaIdBy: string; hasStanzaId: boolean }[]>;
  selfPing?: boolean;
  directInvite?: { from: string; room: string; reason: string };
  archive?: { body: string; subject: string }[];
  selfPingAfterLeaving?: string;
}

test("slixmpp (xep_0045, xep_0249, xep_0313, xep_0199): create and configure a room, join, messages, self-ping, direct invitation, room archive", async (t) => {
  if (!slixmppAvailable()) throw new Error("/usr/bin/python3 with python3-slixmpp is required for this test");
  const srv = await startTestServer();
  t.teardown(() => srv.stop());
  await srv.addUser("alice@localhost", "pw");
  await srv.addUser("bob@localhost", "pw");
  const run = await runSlixmpp("slixmpp_muc.py", {
    port: srv.ports.plain, jid: "alice@localhost/muc", password: "pw", mode: "plain",
    extra: ["--peer-jid", "bob@localhost/muc", "--peer-password", "pw", "--room", "lounge"],
  });
  const r = run.report as MucReport;
  t.is(r.error, null, run.stderr);
  t.true(r.ok);
  t.deepEqual(r.services, ["conference.localhost"]);
  t.deepEqual(r.createdCodes, [110, 201]);
  t.true(r.configFields!.includes("muc#roomconfig_roomname"));
  t.true(r.configured);
  t.deepEqual(r.joinedCodes, [110, 170], "170: the room is logged");
  t.is(r.subject, "Conformance");
  t.deepEqual(r.occupantsSeenByPeer, ["Owner", "Peer"], "the roster, self included");
  const room = "lounge@conference.localhost";
  t.deepEqual(r.seen!.owner.map((m) => m.body), r.seen!.peer.map((m) => m.body), "the same order for both");
  t.deepEqual(r.seen!.owner.map((m) => m.from).sort(), [`${room}/Owner`, `${room}/Peer`]);
  t.true(r.seen!.peer.every((m) => m.hasStanzaId && m.stanzaIdBy === room));
  t.true(r.selfPing, "XEP-0410: the room answers a self-ping");
  t.deepEqual(r.directInvite, { from: "alice@localhost/muc", room, reason: "come back" });
  // XEP-0313 §6.1.2: the subject change and the messages, in the order the room took them.
  t.deepEqual(r.archive, [{ body: "", subject: "Conformance" }, ...r.seen!.owner.map((m) => ({ body: m.body, subject: "" }))]);
  t.is(r.selfPingAfterLeaving, "not-acceptable");
});
