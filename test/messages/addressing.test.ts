/** XEP-0033 multicast through a real server: copies to to/cc/bcc with bcc hidden, and the refusals of §9. */
import test from "ava";
import type { Element } from "ltx";
import { startTestServer } from "../helpers/server.js";
import { barrier, connect, features, nextMessage, stop } from "./util.js";

const NS = "http://jabber.org/protocol/address";
const shown = (m: Element) => m.getChild("addresses", NS)!.getChildElements()
  .map((a) => `${a.attrs.type} ${a.attrs.jid ?? "-"}${a.attrs.delivered === "true" ? " delivered" : ""}`);

test("multicast: one copy per to, cc and bcc, each addressed to its recipient, bcc seen only by its own", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  for (const u of ["alice", "bob", "carol", "dave"]) await srv.addUser(`${u}@localhost`, "pw");
  const alice = await connect(srv, "alice", "pc");
  t.true((await features(alice)).includes(NS));
  const [bob, carol, dave] = await Promise.all(["bob", "carol", "dave"].map((u) => connect(srv, u, "r")));
  for (const c of [bob!, carol!, dave!]) { c.send("<presence/>"); await barrier(c); }

  alice.send(`<message to='localhost' type='chat' id='mc1'><addresses xmlns='${NS}'>` +
    "<address type='to' jid='bob@localhost' desc='Bob'/><address type='cc' jid='carol@localhost/r'/>" +
    "<address type='bcc' jid='dave@localhost'/><address type='replyto' jid='alice@localhost'/>" +
    `</addresses><body>to all</body></message>`);
  const visible = ["to bob@localhost delivered", "cc carol@localhost/r delivered", "replyto alice@localhost"];
  for (const [c, to, header] of [
    [bob!, "bob@localhost", visible],
    [carol!, "carol@localhost/r", visible],
    [dave!, "dave@localhost", [...visible.slice(0, 2), "bcc dave@localhost", visible[2]]],
  ] as const) {
    const m = await nextMessage(c);
    t.is(m.attrs.to, to);
    t.is(m.attrs.from, "alice@localhost/pc", "§3: from unchanged");
    t.is(m.attrs.id, "mc1");
    t.is(m.getChildText("body"), "to all");
    t.deepEqual(shown(m), [...header]);
    t.is(m.getChild("addresses", NS)!.getChildElements()[0]!.attrs.desc, "Bob");
    t.truthy(m.getChild("stanza-id", "urn:xmpp:sid:0"), "each copy is routed as a message to that account");
  }
});

test("multicast refusals: a uri address, too many addresses, nothing to deliver; nobody gets a copy", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => stop(srv));
  for (const u of ["alice", "bob"]) await srv.addUser(`${u}@localhost`, "pw");
  const alice = await connect(srv, "alice", "pc");
  const bob = await connect(srv, "bob", "r");
  bob.send("<presence/>");
  await barrier(bob);
  const errorOf = async (id: string, addresses: string) => {
    alice.send(`<message to='localhost' id='${id}'><addresses xmlns='${NS}'>${addresses}</addresses><body>x</body></message>`);
    const r = await alice.until((el) => el.attrs.id === id);
    t.is(r.attrs.type, "error");
    t.is(r.attrs.from, "localhost");
    return r.getChild("error")!.getChildElements()[0]!.name;
  };
  const bobTo = "<address type='to' jid='bob@localhost'/>";
  t.is(await errorOf("uri", `${bobTo}<address type='cc' uri='mailto:bob@example.org'/>`), "jid-malformed");
  const many = Array.from({ length: 51 }, (_, i) => `<address type='bcc' jid='u${i}@localhost'/>`).join("");
  t.is(await errorOf("many", bobTo + many), "not-acceptable");
  t.is(await errorOf("none", "<address type='to' jid='bob@localhost' delivered='true'/>"), "bad-request");
  // None of these reached Bob: the next message he sees is one sent to him directly.
  alice.send("<message to='bob@localhost' id='direct'><body>direct</body></message>");
  t.is((await nextMessage(bob)).attrs.id, "direct");
});
