/** The pure parts of push: which messages notify, the summary, answers' outcomes, enable/disable requests. */
import test from "ava";
import { parse } from "ltx";
import type { Element } from "ltx";
import { mentions, notification, pushNotice, selfPresence, type NoticeContext } from "./notice.js";
import { classifyReply } from "./outcome.js";
import { disables, fromJson, keyOf, parseDisable, parseEnable, toJson } from "./registrations.js";

const el = (s: string) => parse(s) as Element;
const CTX: NoticeContext = { groupchat: "all", user: "juliet@capulet.lit", nickIn: (room) => (room === "chamber@conference.capulet.lit" ? "Juliet" : undefined) };

test("a chat message with a body notifies, with its sender and body", (t) => {
  t.deepEqual(pushNotice(el("<message from='romeo@montague.lit/garden' type='chat'><body>Wherefore art thou?</body></message>"), CTX),
    { sender: "romeo@montague.lit/garden", body: "Wherefore art thou?" });
  t.truthy(pushNotice(el("<message from='romeo@montague.lit/garden'><body>normal</body></message>"), CTX));
});

test("chat states, receipts, markers, empty bodies, errors and headlines do not notify", (t) => {
  for (const s of [
    "<message from='r@m/g' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
    "<message from='r@m/g'><received xmlns='urn:xmpp:receipts' id='x'/></message>",
    "<message from='r@m/g' type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='x'/></message>",
    "<message from='r@m/g' type='chat'><body>  </body></message>",
    "<message from='r@m/g' type='error'><body>bounced</body></message>",
    "<message from='r@m/g' type='headline'><body>news</body></message>",
  ]) t.is(pushNotice(el(s), CTX), null, s);
});

test("encrypted messages and incoming calls notify without a body", (t) => {
  t.deepEqual(pushNotice(el("<message from='r@m/g' type='chat'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted></message>"), CTX),
    { sender: "r@m/g", body: null });
  t.truthy(pushNotice(el("<message from='r@m/g' type='chat'><encrypted xmlns='urn:xmpp:omemo:2'/></message>"), CTX));
  t.truthy(pushNotice(el("<message from='r@m/g' type='chat'><propose xmlns='urn:xmpp:jingle-message:0' id='c1'/></message>"), CTX));
});

test("a received carbon notifies as the message it carries; a sent carbon and archive results do not", (t) => {
  const received = "<message from='juliet@capulet.lit' type='chat'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>" +
    "<message xmlns='jabber:client' from='romeo@montague.lit/garden' type='chat'><body>hi</body></message></forwarded></received></message>";
  t.deepEqual(pushNotice(el(received), CTX), { sender: "romeo@montague.lit/garden", body: "hi" });
  t.is(pushNotice(el(received.replace(/received/g, "sent")), CTX), null);
  t.is(pushNotice(el("<message from='juliet@capulet.lit'><result xmlns='urn:xmpp:mam:2' id='1'><forwarded xmlns='urn:xmpp:forward:0'>" +
    "<message xmlns='jabber:client' from='r@m/g'><body>old</body></message></forwarded></result></message>"), CTX), null);
});

const gc = (from: string, body: string, extra = "") => el(`<message from='${from}' type='groupchat'><body>${body}</body>${extra}</message>`);
const ROOM = "chamber@conference.capulet.lit";

test("group chat: every message with a body, but not our own echo, subjects or history", (t) => {
  t.deepEqual(pushNotice(gc(`${ROOM}/Romeo`, "hello all"), CTX), { sender: `${ROOM}/Romeo`, body: "hello all" });
  t.is(pushNotice(gc(`${ROOM}/Juliet`, "my own words"), CTX), null);
  t.is(pushNotice(el(`<message from='${ROOM}' type='groupchat'><subject>Balcony</subject><body>x</body></message>`), CTX), null);
  t.is(pushNotice(gc(`${ROOM}/Romeo`, "earlier", "<delay xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:00Z' from='chamber@conference.capulet.lit'/>"), CTX), null);
  t.is(pushNotice(gc(`${ROOM}/Romeo`, "hello"), { ...CTX, groupchat: "none" }), null);
});

test("group chat with mentions only: the nickname as a word, or an XEP-0372 mention of the occupant or account", (t) => {
  const m: NoticeContext = { ...CTX, groupchat: "mentions" };
  t.truthy(pushNotice(gc(`${ROOM}/Romeo`, "juliet: are you there?"), m));
  t.truthy(pushNotice(gc(`${ROOM}/Romeo`, "Good night, JULIET!"), m));
  t.is(pushNotice(gc(`${ROOM}/Romeo`, "Juliette is someone else"), m), null);
  t.is(pushNotice(gc(`${ROOM}/Romeo`, "hello all"), m), null);
  t.truthy(pushNotice(gc(`${ROOM}/Romeo`, "look", `<reference xmlns='urn:xmpp:reference:0' type='mention' begin='0' end='4' uri='xmpp:${ROOM}/Juliet'/>`), m));
  t.truthy(pushNotice(gc(`${ROOM}/Romeo`, "look", "<reference xmlns='urn:xmpp:reference:0' type='mention' uri='xmpp:juliet@capulet.lit'/>"), m));
  t.is(pushNotice(gc("other@conference.capulet.lit/Romeo", "juliet?"), m), null, "no known nickname in that room");
});

test("mentions: word boundaries in any script, special characters in nicknames", (t) => {
  t.true(mentions("hi Zoë!", "zoë"));
  t.false(mentions("hi Zoëlle", "zoë"));
  t.true(mentions("ping [bot]", "[bot]"));
  t.false(mentions("anything", ""));
});

test("self-presence gives the room and nickname; leaving clears it", (t) => {
  const x = "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x>";
  t.deepEqual(selfPresence(el(`<presence from='${ROOM}/Juliet'>${x}</presence>`)), { room: ROOM, nick: "Juliet" });
  t.deepEqual(selfPresence(el(`<presence from='${ROOM}/Juliet' type='unavailable'>${x}</presence>`)), { room: ROOM, nick: null });
  t.is(selfPresence(el(`<presence from='${ROOM}/Romeo'><x xmlns='http://jabber.org/protocol/muc#user'/></presence>`)), undefined);
});

test("the summary form (§5, §11.3): count and sender; the body only when configured", (t) => {
  const notice = { sender: "romeo@montague.lit/garden", body: "Wherefore art thou, Romeo?" };
  const fields = (n: Element) => Object.fromEntries(n.getChild("x", "jabber:x:data")!.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]));
  const plain = notification(3, notice, { includeSender: true, includeBody: false });
  t.is(plain.attrs.xmlns, "urn:xmpp:push:0");
  t.is(plain.getChild("x")!.attrs.type, "submit");
  t.deepEqual(fields(plain), { FORM_TYPE: "urn:xmpp:push:summary", "message-count": "3", "last-message-sender": "romeo@montague.lit/garden" });
  t.deepEqual(fields(notification(1, notice, { includeSender: false, includeBody: true })),
    { FORM_TYPE: "urn:xmpp:push:summary", "message-count": "1", "last-message-body": "Wherefore art thou, Romeo?" });
});

const reply = (type: string, condition: string) => el(`<iq type='error' id='p1'><error type='${type}'><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);

test("answers: success, permanent errors (cancel, auth, modify), transient ones (wait, unreachable, busy)", (t) => {
  t.is(classifyReply(el("<iq type='result' id='p1'/>")), "ok");
  for (const [type, cond] of [["cancel", "item-not-found"], ["auth", "not-authorized"], ["auth", "forbidden"], ["cancel", "service-unavailable"], ["modify", "bad-request"], ["cancel", "feature-not-implemented"]]) {
    t.is(classifyReply(reply(type!, cond!)), "permanent", cond);
  }
  for (const [type, cond] of [["wait", "resource-constraint"], ["cancel", "remote-server-not-found"], ["wait", "remote-server-timeout"], ["cancel", "internal-server-error"], ["wait", "policy-violation"]]) {
    t.is(classifyReply(reply(type!, cond!)), "transient", cond);
  }
  t.is(classifyReply(el("<iq type='error' id='p1'/>")), "permanent", "an error without a condition");
});

test("enable (§4): jid required, node optional, publish options from a publish-options form", (t) => {
  const r = parseEnable(el("<enable xmlns='urn:xmpp:push:0' jid='Push-5.Client.Example' node='yxs32uqsflafdk3iuqo'><x xmlns='jabber:x:data' type='submit'>" +
    "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>" +
    "<field var='secret'><value>eruio234vzxc2kla-91</value></field></x></enable>"), 42);
  t.deepEqual(r, { ok: true, reg: { jid: "push-5.client.example", node: "yxs32uqsflafdk3iuqo", options: { secret: ["eruio234vzxc2kla-91"] }, enabled: 42 } });
  const bare = parseEnable(el("<enable xmlns='urn:xmpp:push:0' jid='push.example'/>"), 1);
  t.true(bare.ok && bare.reg.node === "" && Object.keys(bare.reg.options).length === 0);
  t.false(parseEnable(el("<enable xmlns='urn:xmpp:push:0' node='n'/>"), 1).ok);
  t.false(parseEnable(el("<enable xmlns='urn:xmpp:push:0' jid='a@@b'/>"), 1).ok);
  t.false(parseEnable(el("<enable xmlns='urn:xmpp:push:0' jid='p.example'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>other</value></field></x></enable>"), 1).ok);
});

test("disable (§6): one node, or every node of the service", (t) => {
  const reg = (node: string) => ({ jid: "push.example", node, options: {}, enabled: 0 });
  const one = parseDisable(el("<disable xmlns='urn:xmpp:push:0' jid='push.example' node='a'/>"));
  const all = parseDisable(el("<disable xmlns='urn:xmpp:push:0' jid='push.example'/>"));
  t.true(one.ok && disables(one, reg("a")) && !disables(one, reg("b")));
  t.true(all.ok && disables(all, reg("a")) && disables(all, reg("b")));
  t.true(all.ok && !disables(all, { ...reg("a"), jid: "other.example" }));
  t.false(parseDisable(el("<disable xmlns='urn:xmpp:push:0'/>")).ok);
});

test("registrations round-trip through storage; a JID and node pair is one key", (t) => {
  const r = { jid: "push.example", node: "n", options: { secret: ["s"] }, enabled: 5 };
  t.deepEqual(fromJson(toJson(r)), r);
  t.is(fromJson({ jid: 1 }), null);
  t.not(keyOf(r), keyOf({ ...r, node: "m" }));
  t.is(keyOf(r), keyOf({ jid: r.jid, node: r.node }));
});
