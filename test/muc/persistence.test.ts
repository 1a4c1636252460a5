/**
 * What survives a restart (stop the server, start another on the same data directory): a persistent room's
 * configuration, affiliations, subject, avatar, archive and history, and occupant ids; a temporary room
 * vanishes when its last occupant leaves.
 */
import test from "ava";
import { startRestartableServer } from "../helpers/restartable-server.js";
import {
  MUC, NS_ADMIN, NS_USER, codes, condition, configure, connect, createInstant, dropClients, groupchat, iq, join, nextGroupchat, untilSubject,
} from "./util.js";

const NS_OID = "urn:xmpp:occupant-id:0";
const PHOTO = Buffer.from("a tiny png").toString("base64");

test("a persistent room comes back after a restart with its configuration, lists, subject, avatar and history", async (t) => {
  let srv = await startRestartableServer();
  t.teardown(() => { dropClients(srv); return srv.stop(); });
  for (const u of ["alice", "bob", "carol"]) await srv.addUser(`${u}@localhost`, "pw");
  let a = await connect(srv, "alice");
  const room = `keep@${MUC}`;
  await createInstant(a, room, "A");
  t.is((await configure(a, room, {
    "muc#roomconfig_persistentroom": "1", "muc#roomconfig_enablelogging": "1", "muc#roomconfig_roomname": "Kept",
    "muc#roomconfig_moderatedroom": "1",
  })).attrs.type, "result");
  t.is((await iq(a, "set", room, `<query xmlns='${NS_ADMIN}'><item affiliation='admin' jid='bob@localhost'/><item affiliation='outcast' jid='carol@localhost'/></query>`)).attrs.type, "result");
  a.send(`<message to='${room}' type='groupchat'><subject>Kept topic</subject></message>`);
  await a.until((e) => e.name === "message" && e.getChild("subject") !== undefined);
  t.is((await iq(a, "set", room, `<vCard xmlns='vcard-temp'><FN>Kept</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>${PHOTO}</BINVAL></PHOTO></vCard>`)).attrs.type, "result");
  for (let i = 0; i < 3; i++) groupchat(a, room, `before restart ${i}`);
  const sent = [await nextGroupchat(a), await nextGroupchat(a), await nextGroupchat(a)];
  const oid = sent[0]!.getChild("occupant-id", NS_OID)!.attrs.id;

  // §11.2: the service tells its occupants that it shuts down.
  const restarting = srv.restart();
  const shutdown = await a.until((e) => e.name === "presence" && e.attrs.type === "unavailable");
  t.deepEqual(codes(shutdown), [110, 332]);
  srv = await restarting;
  a = await connect(srv, "alice");
  const b = await connect(srv, "bob");
  const c = await connect(srv, "carol");
  t.is(condition((await join(c, room, "C")).self), "forbidden", "the ban is kept");
  const entered = await join(b, room, "B");
  t.deepEqual(codes(entered.self), [110, 170], "the room exists (no 201), and is logged (170)");
  t.is(entered.self.getChild("x", NS_USER)!.getChild("item")!.attrs.affiliation, "admin");
  const { history, subject } = await untilSubject(b);
  t.deepEqual(history.map((m) => m.getChildText("body")), ["before restart 0", "before restart 1", "before restart 2"], "history read back from the archive");
  t.deepEqual(history.map((m) => m.getChild("stanza-id", "urn:xmpp:sid:0")?.attrs.id), sent.map((m) => m.getChild("stanza-id", "urn:xmpp:sid:0")?.attrs.id));
  t.is(subject.getChildText("subject"), "Kept topic");
  t.is(history[0]!.getChild("occupant-id", NS_OID)!.attrs.id, oid);

  const info = await iq(b, "get", room, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  const q = info.getChild("query")!;
  t.is(q.getChild("identity")!.attrs.name, "Kept");
  const features = q.getChildren("feature").map((f) => f.attrs.var);
  t.true(features.includes("muc_persistent") && features.includes("muc_moderated") && features.includes("urn:xmpp:mam:2"));
  const hash = q.getChild("x", "jabber:x:data")!.getChildren("field").find((f) => f.attrs.var === "muc#roominfo_avatarhash")?.getChildText("value");
  t.regex(hash ?? "", /^[0-9a-f]{40}$/);
  t.is((await iq(b, "get", room, "<vCard xmlns='vcard-temp'/>")).getChild("vCard")!.getChildText("FN"), "Kept");

  // Alice's occupant id is the same as before the restart.
  await join(a, room, "A");
  await untilSubject(a);
  groupchat(a, room, "after restart");
  const after = await nextGroupchat(b);
  t.is(after.getChild("occupant-id", NS_OID)!.attrs.id, oid);
});

test("a temporary room vanishes when its last occupant leaves; a persistent one stays, empty", async (t) => {
  const srv = await startRestartableServer();
  t.teardown(() => { dropClients(srv); return srv.stop(); });
  await srv.addUser("alice@localhost", "pw");
  const a = await connect(srv, "alice");
  const info = (room: string) => iq(a, "get", room, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  await createInstant(a, `temp@${MUC}`, "A");
  await createInstant(a, `perm@${MUC}`, "A");
  t.is((await configure(a, `perm@${MUC}`, { "muc#roomconfig_persistentroom": "1" })).attrs.type, "result");
  for (const r of ["temp", "perm"]) {
    a.send(`<presence to='${r}@${MUC}/A' type='unavailable'/>`);
    await a.until((e) => e.name === "presence" && e.attrs.type === "unavailable");
  }
  t.is(condition(await info(`temp@${MUC}`)), "item-not-found");
  t.is((await info(`perm@${MUC}`)).attrs.type, "result");
  const { self } = await join(a, `temp@${MUC}`, "A");
  t.true(codes(self).includes(201), "a new room of the same name");
});
