/**
 * Invitations through a real server: mediated (XEP-0045 §7.8.2) with the password of a protected room, a
 * members-only room adding the invitee to its member list (§9.5), declines, the errors (a room or a user that
 * does not exist, §7.8.2 / §17.2 rule 3; a mere occupant of a members-only room, §9.5), and direct invitations
 * (XEP-0249), which the server routes as they are.
 */
import test from "ava";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { MUC, NS_USER, codes, condition, configure, connect, createInstant, join, stop, untilSubject } from "./util.js";

async function server(): Promise<TestServer> {
  const srv = await startTestServer();
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  return srv;
}

test("a mediated invitation reaches the invitee from the room; a decline reaches the inviter", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b] = [await connect(srv, "alice"), await connect(srv, "bob")];
  b.send("<presence/>");
  const room = `party@${MUC}`;
  await createInstant(a, room, "A");
  t.is((await configure(a, room, { "muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "cake" })).attrs.type, "result");
  a.send(`<message to='${room}'><x xmlns='${NS_USER}'><invite to='bob@localhost'><reason>Come along</reason></invite></x></message>`);
  const inv = await b.until((e) => e.name === "message" && e.getChild("x", NS_USER) !== undefined);
  t.is(inv.attrs.from, room);
  const x = inv.getChild("x", NS_USER)!;
  t.is(x.getChild("invite")!.attrs.from, "alice@localhost");
  t.is(x.getChild("invite")!.getChildText("reason"), "Come along");
  t.is(x.getChildText("password"), "cake", "§7.8.2: the room adds its password");

  b.send(`<message to='${room}'><x xmlns='${NS_USER}'><decline to='alice@localhost/r'><reason>Busy</reason></decline></x></message>`);
  const dec = await a.until((e) => e.name === "message" && e.getChild("x", NS_USER)?.getChild("decline") !== undefined);
  t.is(dec.attrs.from, room);
  t.is(dec.getChild("x", NS_USER)!.getChild("decline")!.attrs.from, "bob@localhost");
  t.is(dec.getChild("x", NS_USER)!.getChild("decline")!.getChildText("reason"), "Busy");
});

test("an invitation into a members-only room makes the invitee a member; only admins may invite there", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b, c] = [await connect(srv, "alice"), await connect(srv, "bob"), await connect(srv, "carol")];
  for (const x of [b, c]) x.send("<presence/>");
  const room = `inner@${MUC}`;
  await createInstant(a, room, "A");
  t.is((await configure(a, room, { "muc#roomconfig_membersonly": "1" })).attrs.type, "result");
  t.is(condition((await join(b, room, "B")).self), "registration-required");
  a.send(`<message to='${room}'><x xmlns='${NS_USER}'><invite to='bob@localhost'/></x></message>`);
  await b.until((e) => e.name === "message" && e.getChild("x", NS_USER)?.getChild("invite") !== undefined);
  const entered = await join(b, room, "B");
  t.deepEqual(codes(entered.self), [110]);
  await untilSubject(b);
  // §9.5: a mere member may not invite into a members-only room (allowinvites is off).
  b.send(`<message to='${room}' id='inv2'><x xmlns='${NS_USER}'><invite to='carol@localhost'/></x></message>`);
  t.is(condition(await b.until((e) => e.attrs.id === "inv2")), "forbidden");
  t.is(condition((await join(c, room, "C")).self), "registration-required");
  // With member invitations allowed, a member's invitation also makes a member.
  t.is((await configure(a, room, { "muc#roomconfig_allowinvites": "1" })).attrs.type, "result");
  b.send(`<message to='${room}' id='inv3'><x xmlns='${NS_USER}'><invite to='carol@localhost'/></x></message>`);
  await c.until((e) => e.name === "message" && e.getChild("x", NS_USER)?.getChild("invite") !== undefined);
  t.deepEqual(codes((await join(c, room, "C")).self), [110]);
});

test("invitations to a room or a user that does not exist: item-not-found", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const a = await connect(srv, "alice");
  a.send(`<message to='nowhere@${MUC}' id='i1'><x xmlns='${NS_USER}'><invite to='bob@localhost'/></x></message>`);
  t.is(condition(await a.until((e) => e.attrs.id === "i1")), "item-not-found", "§17.2 rule 3: no such room");
  const room = `real@${MUC}`;
  await createInstant(a, room, "A");
  a.send(`<message to='${room}' id='i2'><x xmlns='${NS_USER}'><invite to='nobody@localhost'/></x></message>`);
  t.is(condition(await a.until((e) => e.attrs.id === "i2")), "item-not-found", "§7.8.2: no such user");
  a.send(`<message to='${room}' id='i3'><x xmlns='${NS_USER}'><invite to='bad@@address'/></x></message>`);
  t.is(condition(await a.until((e) => e.attrs.id === "i3")), "jid-malformed");
});

test("XEP-0249 direct invitations are routed to the invitee as sent", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b] = [await connect(srv, "alice"), await connect(srv, "bob")];
  b.send("<presence/>");
  const room = `direct@${MUC}`;
  await createInstant(a, room, "A");
  a.send(`<message to='bob@localhost' id='d1'><x xmlns='jabber:x:conference' jid='${room}' password='pw1' reason='Join us' continue='true' thread='t1'/></message>`);
  const got = await b.until((e) => e.name === "message" && e.attrs.id === "d1");
  t.is(got.attrs.from, "alice@localhost/r");
  const x = got.getChild("x", "jabber:x:conference")!;
  t.deepEqual({ ...x.attrs }, { xmlns: "jabber:x:conference", jid: room, password: "pw1", reason: "Join us", continue: "true", thread: "t1" });
  const entered = await join(b, room, "B");
  t.deepEqual(codes(entered.self), [110]);
});
