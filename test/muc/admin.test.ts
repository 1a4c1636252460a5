/**
 * Owners, admins and moderators through a real server: a reserved room configured before it opens (§10.1.3),
 * configuration refused to non-owners (§10.2) and when malformed (§10.1.3), the change notification (§10.2.1),
 * kick (§8.2) and ban (§9.1) with a banned user coming back, members-only (§7.2.6, §9.3-9.5) and
 * password-protected (§7.2.5) rooms, a moderated room (visitors, §7.4; voice requests §7.13/§8.6), the
 * lists in bulk (§9.2, §9.5) and destroying a room (§10.9).
 */
import test from "ava";
import { startTestServer, type TestServer } from "../helpers/server.js";
import {
  MUC, NS_ADMIN, NS_OWNER, NS_USER, codes, condition, configure, connect, createInstant, groupchat, iq, item, join, nextGroupchat, stop, untilSubject,
} from "./util.js";

async function server(): Promise<TestServer> {
  const srv = await startTestServer();
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  return srv;
}

const adminSet = (items: string) => `<query xmlns='${NS_ADMIN}'>${items}</query>`;

test("a reserved room: the form first, then the room opens with that configuration; non-owners and bad forms are refused", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b] = [await connect(srv, "alice"), await connect(srv, "bob")];
  const room = `reserved@${MUC}`;
  const { self } = await join(a, room, "A");
  t.true(codes(self).includes(201));
  await untilSubject(a);
  const form = await iq(a, "get", room, `<query xmlns='${NS_OWNER}'/>`);
  const x = form.getChild("query", NS_OWNER)!.getChild("x", "jabber:x:data")!;
  t.is(x.attrs.type, "form");
  t.true(x.getChildren("field").some((f) => f.attrs.var === "muc#roomconfig_membersonly"));

  // §10.1.3: values the service does not accept, and a malformed form.
  t.is(condition(await configure(a, room, { "muc#roomconfig_passwordprotectedroom": "1" })), "not-acceptable");
  t.is(condition(await configure(a, room, { "muc#roomconfig_maxusers": "100000" })), "not-acceptable");
  t.is(condition(await configure(a, room, { "muc#roomconfig_persistentroom": "perhaps" })), "bad-request");
  t.is(condition(await iq(a, "set", room, `<query xmlns='${NS_OWNER}'><x xmlns='jabber:x:data' type='result'/></query>`)), "bad-request");
  t.is(condition(await join(b, room, "B").then((r) => r.self)), "item-not-found", "still locked after refused forms");

  const ok = await configure(a, room, { "muc#roomconfig_roomname": "Reserved", "muc#roomconfig_whois": "anyone", "muc#roomconfig_persistentroom": "1" });
  t.is(ok.attrs.type, "result");
  const entered = await join(b, room, "B");
  t.deepEqual(codes(entered.self), [100, 110], "a non-anonymous room warns with 100");
  t.is(item(entered.before[0]!).jid, "alice@localhost/r", "and shows everyone's real JID");
  await untilSubject(b);

  // §10.2: only owners see or change the configuration.
  t.is(condition(await iq(b, "get", room, `<query xmlns='${NS_OWNER}'/>`)), "forbidden");
  t.is(condition(await configure(b, room, { "muc#roomconfig_roomname": "Mine" })), "forbidden");

  // §10.2.1: a change that makes the room semi-anonymous is announced (173), others as 104.
  t.is((await configure(a, room, { "muc#roomconfig_whois": "moderators", "muc#roomconfig_roomdesc": "d" })).attrs.type, "result");
  const note = await b.until((e) => e.name === "message" && e.getChild("x", NS_USER) !== undefined);
  t.deepEqual(codes(note).sort((p, q) => p - q), [104, 173]);
  t.is(note.attrs.from, room);
});

test("an instant room cancelled before it opens is destroyed", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const a = await connect(srv, "alice");
  const room = `cancel@${MUC}`;
  await join(a, room, "A");
  await untilSubject(a);
  a.send(`<iq type='set' id='cancel1' to='${room}'><query xmlns='${NS_OWNER}'><x xmlns='jabber:x:data' type='cancel'/></query></iq>`);
  // §10.9: the occupants are removed, then the owner gets the result.
  const gone = await a.until((e) => e.name === "presence" && e.attrs.type === "unavailable");
  t.truthy(gone.getChild("x", NS_USER)?.getChild("destroy"));
  t.is((await a.until((e) => e.attrs.id === "cancel1")).attrs.type, "result");
  t.is(condition(await iq(a, "get", room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")), "item-not-found");
});

test("kick (307) and ban (301): the banned user cannot come back; the ban list; nobody bans themselves", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b, c] = [await connect(srv, "alice"), await connect(srv, "bob"), await connect(srv, "carol")];
  const room = `rules@${MUC}`;
  await createInstant(a, room, "A");
  for (const [x, n] of [[b, "B"], [c, "C"]] as const) { await join(x, room, n); await untilSubject(x); }

  // A participant cannot kick.
  t.is(condition(await iq(b, "set", room, adminSet("<item nick='C' role='none'/>"))), "forbidden");
  // §8.2: the kicked occupant gets 307 (with actor and reason), then the moderator the result, then the others.
  t.is((await iq(a, "set", room, adminSet("<item nick='C' role='none'><reason>Be nice</reason></item>"))).attrs.type, "result");
  const kicked = await c.until((e) => e.name === "presence" && e.attrs.type === "unavailable");
  t.deepEqual(codes(kicked), [110, 307]);
  t.is(kicked.getChild("x", NS_USER)!.getChild("item")!.getChildText("reason"), "Be nice");
  t.is(kicked.getChild("x", NS_USER)!.getChild("item")!.getChild("actor")?.attrs.nick, "A");
  const seen = await b.until((e) => e.name === "presence" && e.attrs.from === `${room}/C` && e.attrs.type === "unavailable");
  t.deepEqual(codes(seen), [307]);
  // A kicked user may come back.
  t.deepEqual(codes((await join(c, room, "C")).self), [110]);
  await untilSubject(c);

  // §9.1: the ban.
  t.is(condition(await iq(a, "set", room, adminSet("<item affiliation='outcast' jid='alice@localhost'/>"))), "conflict", "nobody bans themselves");
  t.is((await iq(a, "set", room, adminSet("<item affiliation='outcast' jid='carol@localhost'><reason>Spam</reason></item>"))).attrs.type, "result");
  const banned = await c.until((e) => e.name === "presence" && e.attrs.type === "unavailable");
  t.deepEqual(codes(banned), [110, 301]);
  t.is(item(banned).affiliation, "outcast");
  t.deepEqual(codes(await b.until((e) => e.name === "presence" && e.attrs.from === `${room}/C` && e.attrs.type === "unavailable")), [301]);
  t.is(condition((await join(c, room, "C")).self), "forbidden", "§7.2.7 banned users cannot enter");
  c.send(`<message to='${room}' type='groupchat' id='x1'><body>let me in</body></message>`);
  t.is(condition(await c.until((e) => e.attrs.id === "x1")), "not-acceptable");

  const list = await iq(a, "get", room, adminSet("<item affiliation='outcast'/>"));
  const items = list.getChild("query", NS_ADMIN)!.getChildren("item");
  t.deepEqual(items.map((i) => [i.attrs.jid, i.attrs.affiliation, i.getChildText("reason")]), [["carol@localhost", "outcast", "Spam"]]);
  t.is(condition(await iq(b, "get", room, adminSet("<item affiliation='outcast'/>"))), "forbidden");
  // §17.4 rule 4: a role and an affiliation in one item.
  t.is(condition(await iq(a, "set", room, adminSet("<item nick='B' role='visitor' affiliation='member' jid='bob@localhost'/>"))), "bad-request");
  // Lifting the ban.
  t.is((await iq(a, "set", room, adminSet("<item affiliation='none' jid='carol@localhost'/>"))).attrs.type, "result");
  t.deepEqual(codes((await join(c, room, "C")).self), [110]);
});

test("members-only and password-protected rooms; the member list in bulk, all or nothing", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b, c] = [await connect(srv, "alice"), await connect(srv, "bob"), await connect(srv, "carol")];
  const room = `club@${MUC}`;
  await createInstant(a, room, "A");
  t.is((await configure(a, room, { "muc#roomconfig_membersonly": "1" })).attrs.type, "result");
  t.is(condition((await join(b, room, "B")).self), "registration-required", "§7.2.6 not on the member list");
  // §9.2: a list where one change is not allowed changes nothing.
  t.is(condition(await iq(a, "set", room, adminSet("<item affiliation='member' jid='bob@localhost'/><item affiliation='outcast' jid='alice@localhost'/>"))), "conflict");
  t.is(condition((await join(b, room, "B")).self), "registration-required");
  t.is((await iq(a, "set", room, adminSet("<item affiliation='member' jid='bob@localhost' nick='Bobby'/><item affiliation='member' jid='carol@localhost'/>"))).attrs.type, "result");
  const members = (await iq(a, "get", room, adminSet("<item affiliation='member'/>"))).getChild("query", NS_ADMIN)!.getChildren("item");
  t.deepEqual(members.map((i) => [i.attrs.jid, i.attrs.nick]), [["bob@localhost", "Bobby"], ["carol@localhost", undefined]]);
  // §7.12: Bob's reserved nickname, which nobody else may take.
  const reserved = await iq(b, "get", room, "<query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/>");
  t.is(reserved.getChild("query")!.getChild("identity")?.attrs.name, "Bobby");
  t.is(condition((await join(c, room, "Bobby")).self), "conflict");
  t.deepEqual(codes((await join(b, room, "Bobby")).self), [110]);
  await untilSubject(b);
  // §9.4: a member removed from a members-only room leaves it (321).
  t.is((await iq(a, "set", room, adminSet("<item affiliation='none' jid='bob@localhost'/>"))).attrs.type, "result");
  const out = await b.until((e) => e.name === "presence" && e.attrs.type === "unavailable");
  t.deepEqual(codes(out), [110, 321]);

  // §7.2.5: password.
  const secret = `vault@${MUC}`;
  await createInstant(a, secret, "A");
  t.is((await configure(a, secret, { "muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "open sesame" })).attrs.type, "result");
  t.is(condition((await join(c, secret, "C")).self), "not-authorized");
  t.is(condition((await join(c, secret, "C", "<password>wrong</password>")).self), "not-authorized");
  t.deepEqual(codes((await join(c, secret, "C", "<password>open sesame</password>")).self), [110]);
});

test("a moderated room: visitors cannot speak until a moderator gives them voice (directly or on request)", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b] = [await connect(srv, "alice"), await connect(srv, "bob")];
  const room = `stage@${MUC}`;
  await createInstant(a, room, "A");
  t.is((await configure(a, room, { "muc#roomconfig_moderatedroom": "1" })).attrs.type, "result");
  const { self } = await join(b, room, "B");
  t.is(item(self).role, "visitor");
  await untilSubject(b);
  b.send(`<message to='${room}' type='groupchat' id='v1'><body>hello?</body></message>`);
  t.is(condition(await b.until((e) => e.attrs.id === "v1")), "forbidden", "§7.4 a visitor has no voice");

  // §7.13: the request reaches the moderator as a form; §8.6: approving it gives voice.
  b.send(`<message to='${room}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field><field var='muc#role'><value>participant</value></field></x></message>`);
  const request = await a.until((e) => e.name === "message" && e.getChild("x", "jabber:x:data") !== undefined);
  const fields = request.getChild("x", "jabber:x:data")!.getChildren("field");
  t.is(fields.find((f) => f.attrs.var === "muc#roomnick")?.getChildText("value"), "B");
  a.send(`<message to='${room}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field><field var='muc#role'><value>participant</value></field><field var='muc#roomnick'><value>B</value></field><field var='muc#request_allow'><value>true</value></field></x></message>`);
  const voiced = await b.until((e) => e.name === "presence" && codes(e).includes(110));
  t.is(item(voiced).role, "participant");
  groupchat(b, room, "thanks");
  t.is((await nextGroupchat(a)).getChildText("body"), "thanks");

  // §8.4 revoke, §8.3 grant, by muc#admin.
  t.is((await iq(a, "set", room, adminSet("<item nick='B' role='visitor'/>"))).attrs.type, "result");
  t.is(item(await b.until((e) => e.name === "presence" && codes(e).includes(110))).role, "visitor");
  const voiceList = (await iq(a, "get", room, adminSet("<item role='participant'/>"))).getChild("query", NS_ADMIN)!.getChildren("item");
  t.deepEqual(voiceList, []);
  t.is((await iq(a, "set", room, adminSet("<item nick='B' role='participant'/>"))).attrs.type, "result");
  t.is(condition(await iq(b, "set", room, adminSet("<item nick='A' role='visitor'/>"))), "forbidden");
});

test("owners manage from outside the room; admins and owners by list; destroying with an alternate venue", async (t) => {
  const srv = await server();
  t.teardown(() => stop(srv));
  const [a, b, c] = [await connect(srv, "alice"), await connect(srv, "bob"), await connect(srv, "carol")];
  const room = `managed@${MUC}`;
  await createInstant(a, room, "A");
  await join(c, room, "C");
  await untilSubject(c);
  a.send(`<presence to='${room}/A' type='unavailable'/>`);
  await a.until((e) => e.name === "presence" && e.attrs.type === "unavailable");
  // The owner is out of the (temporary, not empty) room and still manages it.
  t.is((await iq(a, "set", room, adminSet("<item affiliation='admin' jid='bob@localhost'/>"))).attrs.type, "result");
  t.is(condition(await iq(b, "set", room, adminSet("<item affiliation='owner' jid='carol@localhost'/>"))), "forbidden", "§10.3 admins do not make owners");
  t.is((await iq(b, "set", room, adminSet("<item nick='C' role='moderator'/>"))).attrs.type, "result", "§9.6 an admin grants moderator");
  t.is(item(await c.until((e) => e.name === "presence" && codes(e).includes(110))).role, "moderator");
  // §10.4: the last owner cannot step down.
  t.is(condition(await iq(a, "set", room, adminSet("<item affiliation='admin' jid='alice@localhost'/>"))), "conflict");
  const owners = (await iq(a, "get", room, adminSet("<item affiliation='owner'/>"))).getChild("query", NS_ADMIN)!.getChildren("item");
  t.deepEqual(owners.map((i) => i.attrs.jid), ["alice@localhost"]);
  t.is(condition(await iq(b, "set", room, `<query xmlns='${NS_OWNER}'><destroy/></query>`)), "forbidden");
  t.is((await iq(a, "set", room, `<query xmlns='${NS_OWNER}'><destroy jid='elsewhere@${MUC}'><reason>Moving</reason></destroy></query>`)).attrs.type, "result");
  const gone = await c.until((e) => e.name === "presence" && e.attrs.type === "unavailable");
  const destroy = gone.getChild("x", NS_USER)!.getChild("destroy")!;
  t.is(destroy.attrs.jid, `elsewhere@${MUC}`);
  t.is(destroy.getChildText("reason"), "Moving");
  c.send(`<message to='${room}' type='groupchat' id='late'><body>?</body></message>`);
  t.is(condition(await c.until((e) => e.attrs.id === "late")), "item-not-found");
});
