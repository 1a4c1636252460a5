/**
 * XEP-0280 carbons through a real server: enabling, <received/> copies of messages to the bare and to a full
 * JID, <sent/> copies, no copy for a resource that got the original, <private/>, and disabling.
 */
import test from "ava";
import type { Element } from "ltx";
import type { RawClient } from "../helpers/raw-client.js";
import { startTestServer } from "../helpers/server.js";
import { barrier, connect, features, iq, nextMessage, stop } from "./util.js";

const NS = "urn:xmpp:carbons:2";

/** The message inside a carbon of the given kind, after checking the wrapper (§7, §8, XEP-0297). */
function unwrap(t: { is: (a: unknown, b: unknown, m?: string) => void }, carbon: Element, kind: "sent" | "received", to: string): Element {
  t.is(carbon.attrs.from, "alice@localhost", "from the account's bare JID");
  t.is(carbon.attrs.to, to);
  const inner = carbon.getChild(kind, NS)?.getChild("forwarded", "urn:xmpp:forward:0")?.getChild("message");
  if (!inner) throw new Error(`not a ${kind} carbon: ${carbon.toString()}`);
  t.is(inner.attrs.xmlns, "jabber:client");
  t.is(carbon.attrs.type, inner.attrs.type, "the wrapper keeps the type");
  return inner;
}

async function setPresence(c: RawClient, priority: number): Promise<void> {
  c.send(`<presence><priority>${priority}</priority></presence>`);
  await barrier(c);
}

test("carbons: received and sent copies go to the other enabled resources, never twice, never private", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  for (const u of ["alice", "bob"]) await srv.addUser(`${u}@localhost`, "pw");
  const a1 = await connect(srv, "alice", "a1");
  const a2 = await connect(srv, "alice", "a2");
  const bob = await connect(srv, "bob", "b");
  t.true((await features(a1)).includes(NS));
  for (const c of [a1, a2]) t.is((await iq(c, "set", `<enable xmlns='${NS}'/>`)).attrs.type, "result");
  // §10.1: enabling twice is not an error.
  t.is((await iq(a2, "set", `<enable xmlns='${NS}'/>`)).attrs.type, "result");
  await setPresence(a1, 5);
  await setPresence(a2, 0);
  await setPresence(bob, 0);

  // §7, to the bare JID: a1 (highest priority) gets the original, a2 a <received/> copy.
  bob.send("<message to='alice@localhost' type='chat' id='r1'><body>to bare</body></message>");
  const original = await nextMessage(a1);
  t.is(original.attrs.id, "r1");
  t.is(original.getChild("received", NS), undefined);
  const copy = unwrap(t, await nextMessage(a2), "received", "alice@localhost/a2");
  t.is(copy.attrs.id, "r1");
  t.is(copy.attrs.from, "bob@localhost/b");
  t.is(copy.getChildText("body"), "to bare");

  // §7, to a full JID: the other resource gets the copy.
  bob.send("<message to='alice@localhost/a2' type='chat' id='r2'><body>to a2</body></message>");
  t.is((await nextMessage(a2)).attrs.id, "r2");
  t.is(unwrap(t, await nextMessage(a1), "received", "alice@localhost/a1").attrs.to, "alice@localhost/a2");

  // §8: what a1 sends reaches a2 as <sent/>; Bob gets the message itself.
  a1.send("<message to='bob@localhost' type='chat' id='s1'><body>from a1</body></message>");
  t.is((await nextMessage(bob)).attrs.id, "s1");
  const sent = unwrap(t, await nextMessage(a2), "sent", "alice@localhost/a2");
  t.is(sent.attrs.from, "alice@localhost/a1");
  t.is(sent.attrs.to, "bob@localhost");
  t.is(sent.getChildText("body"), "from a1");

  // §9: <private/> is not copied (and still delivered, untouched). The next copy a2 sees is of the message after it.
  a1.send(`<message to='bob@localhost' type='chat' id='p1'><body>secret</body><private xmlns='${NS}'/><no-copy xmlns='urn:xmpp:hints'/></message>`);
  a1.send("<message to='bob@localhost' type='chat' id='s2'><body>public</body></message>");
  const secret = await nextMessage(bob);
  t.is(secret.attrs.id, "p1");
  t.truthy(secret.getChild("private", NS));
  t.is(unwrap(t, await nextMessage(a2), "sent", "alice@localhost/a2").attrs.id, "s2");
  t.is((await nextMessage(bob)).attrs.id, "s2");
  // Bob's private reply is not copied to a2 either.
  bob.send(`<message to='alice@localhost/a1' type='chat' id='p2'><body>secret too</body><private xmlns='${NS}'/></message>`);
  bob.send("<message to='alice@localhost/a1' type='chat' id='r3'><body>public too</body></message>");
  t.is(unwrap(t, await nextMessage(a2), "received", "alice@localhost/a2").attrs.id, "r3");
  t.deepEqual([(await nextMessage(a1)).attrs.id, (await nextMessage(a1)).attrs.id], ["p2", "r3"]);

  // Equal priorities: both get the original of a message to the bare JID, so neither gets a copy of it.
  await setPresence(a1, 0);
  bob.send("<message to='alice@localhost' type='chat' id='both'><body>to both</body></message>");
  bob.send("<message to='alice@localhost/a1' type='chat' id='r4'><body>after both</body></message>");
  for (const c of [a1, a2]) t.is((await nextMessage(c)).attrs.id, "both");
  t.is((await nextMessage(a1)).attrs.id, "r4");
  t.is(unwrap(t, await nextMessage(a2), "received", "alice@localhost/a2").attrs.id, "r4");

  // §5: after disabling, a2 gets no more copies; the next message it sees is one sent to it directly.
  t.is((await iq(a2, "set", `<disable xmlns='${NS}'/>`)).attrs.type, "result");
  a1.send("<message to='bob@localhost' type='chat' id='s3'><body>not copied</body></message>");
  await barrier(a1);
  bob.send("<message to='alice@localhost/a2' type='chat' id='direct'><body>direct</body></message>");
  t.is((await nextMessage(a2)).attrs.id, "direct");
});

test("carbons: enabling for another account is not allowed", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  for (const u of ["alice", "bob"]) await srv.addUser(`${u}@localhost`, "pw");
  const bob = await connect(srv, "bob", "b");
  const r = await iq(bob, "set", `<enable xmlns='${NS}'/>`, "alice@localhost");
  t.is(r.attrs.type, "error");
  t.truthy(r.getChild("error")?.getChild("not-allowed"));
});
