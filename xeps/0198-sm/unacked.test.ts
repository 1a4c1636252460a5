import test from "ava";
import parse from "ltx/lib/parse.js";
import { isOwnArchiveQuery, unackedDisposition, type UnackedDisposition } from "./unacked.js";

const OWNER = "juliet@localhost";
const SID = `<stanza-id xmlns='urn:xmpp:sid:0' by='${OWNER}' id='s1'/>`;

const cases: [string, string, boolean, UnackedDisposition][] = [
  ["chat message", "<message type='chat' from='romeo@localhost/a'><body>hi</body></message>", false, "offline"],
  ["normal message", "<message from='romeo@localhost/a'><body>hi</body></message>", false, "offline"],
  ["archived message, client does not sync the archive", `<message type='chat'><body>hi</body>${SID}</message>`, false, "offline"],
  ["archived message, client syncs the archive", `<message type='chat'><body>hi</body>${SID}</message>`, true, "archived"],
  ["message with another archive's id, client syncs", "<message type='chat'><body>hi</body><stanza-id xmlns='urn:xmpp:sid:0' by='room@muc' id='x'/></message>", true, "offline"],
  ["chat state only (offline storage decides: discarded there)", "<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>", false, "offline"],
  ["groupchat", "<message type='groupchat'><body>room</body></message>", false, "drop"],
  ["headline", "<message type='headline'><body>news</body></message>", false, "drop"],
  ["error", "<message type='error'><error type='cancel'/></message>", false, "drop"],
  ["received carbon", "<message type='chat'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message type='chat'><body>x</body></message></forwarded></received></message>", false, "drop"],
  ["sent carbon", "<message type='chat'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message type='chat'><body>x</body></message></forwarded></sent></message>", false, "drop"],
  ["archive query result", "<message><result xmlns='urn:xmpp:mam:2' queryid='q' id='1'><forwarded xmlns='urn:xmpp:forward:0'/></result></message>", false, "drop"],
  ["IQ get", "<iq type='get' id='1'><query xmlns='jabber:iq:version'/></iq>", false, "bounce"],
  ["IQ set", "<iq type='set' id='1'><x xmlns='y'/></iq>", false, "bounce"],
  ["IQ result", "<iq type='result' id='1'/>", false, "drop"],
  ["IQ error", "<iq type='error' id='1'/>", false, "drop"],
  ["available presence", "<presence from='romeo@localhost/a'/>", false, "drop"],
  ["subscription request (kept by the IM core)", "<presence type='subscribe' from='romeo@localhost'/>", false, "drop"],
];

for (const [name, text, syncs, expected] of cases) {
  test(`unacknowledged ${name} -> ${expected}`, (t) => {
    t.is(unackedDisposition(parse(text), OWNER, syncs), expected);
  });
}

test("archive queries: the account's own archive counts, a room's does not", (t) => {
  t.true(isOwnArchiveQuery(parse("<iq type='set' id='q'><query xmlns='urn:xmpp:mam:2'/></iq>"), OWNER));
  t.true(isOwnArchiveQuery(parse(`<iq type='set' id='q' to='${OWNER}'><query xmlns='urn:xmpp:mam:2'/></iq>`), OWNER));
  t.false(isOwnArchiveQuery(parse("<iq type='set' id='q' to='room@conference.localhost'><query xmlns='urn:xmpp:mam:2'/></iq>"), OWNER));
  t.false(isOwnArchiveQuery(parse("<iq type='get' id='q'><query xmlns='urn:xmpp:mam:2'/></iq>"), OWNER));
  t.false(isOwnArchiveQuery(parse("<iq type='set' id='q'><query xmlns='jabber:iq:roster'/></iq>"), OWNER));
});
