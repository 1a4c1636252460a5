/**
 * Who may ask about an account: account-level service discovery (XEP-0030 §3.1) and last activity
 * (XEP-0012 §4) answer the account itself and the contacts subscribed to its presence (RFC 6121 "from" or
 * "both" on its roster), in that direction only; everyone else is refused.
 */
import test from "ava";
import type { Element } from "ltx";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { ImClient } from "./im-client.js";

let srv: TestServer;

test.before(async () => {
  srv = await startTestServer();
  for (const u of ["dora", "ed", "stranger"]) await srv.addUser(`${u}@localhost`, "pw");
});

test.after.always(async () => {
  ImClient.destroyAll();
  await srv?.stop();
});

const DISCO = "http://jabber.org/protocol/disco#info";
const ITEMS = "http://jabber.org/protocol/disco#items";
const LAST = "jabber:iq:last";
const condition = (iq: Element) => iq.getChild("error")?.getChildElements()[0]?.name;

test("disco#info/#items and last activity of an account: itself and its subscribers only", async (t) => {
  const dora = await ImClient.login(srv, "dora", "home");
  const ed = await ImClient.login(srv, "ed", "home", { presence: "<presence><status>at work</status></presence>" });
  const stranger = await ImClient.login(srv, "stranger", "x");

  // dora subscribes to ed; ed approves: ed's roster has dora with "from", dora's has ed with "to".
  dora.send("<presence to='ed@localhost' type='subscribe'/>");
  await ed.presence("subscribe", "dora@localhost");
  ed.send("<presence to='dora@localhost' type='subscribed'/>");
  await dora.presence("subscribed", "ed@localhost");
  await ed.sync();

  const ask = (c: ImClient, to: string, ns: string) => c.iq(`<iq type='get' to='${to}'><query xmlns='${ns}'/></iq>`);

  // dora is subscribed to ed's presence.
  const info = await ask(dora, "ed@localhost", DISCO);
  t.is(info.attrs.type, "result");
  t.truthy(info.getChild("query", DISCO)!.getChildren("identity").find((i) => i.attrs.category === "account" && i.attrs.type === "registered"));
  t.is((await ask(dora, "ed@localhost", ITEMS)).attrs.type, "result");
  const last = await ask(dora, "ed@localhost", LAST);
  t.is(last.attrs.type, "result");
  t.is(last.getChild("query", LAST)!.attrs.seconds, "0", "ed is online");

  // ed is not subscribed to dora's presence: the subscription counts in one direction only.
  t.is(condition(await ask(ed, "dora@localhost", DISCO)), "service-unavailable");
  t.is(condition(await ask(ed, "dora@localhost", ITEMS)), "service-unavailable");
  t.is(condition(await ask(ed, "dora@localhost", LAST)), "forbidden");

  // A stranger learns nothing, not even whether the account exists.
  t.is(condition(await ask(stranger, "ed@localhost", DISCO)), "service-unavailable");
  t.is(condition(await ask(stranger, "nobody@localhost", DISCO)), "service-unavailable");
  t.is(condition(await ask(stranger, "ed@localhost", LAST)), "forbidden");

  // The account itself.
  t.is((await ask(dora, "dora@localhost", DISCO)).attrs.type, "result");
  t.is((await ask(dora, "dora@localhost", LAST)).attrs.type, "result");

  // Once ed is offline, dora gets the time since and the status he left (XEP-0012 §4).
  ed.send("<presence type='unavailable'><status>gone home</status></presence>");
  await dora.presence("unavailable", ed.jid);
  await ed.close();
  const after = await ask(dora, "ed@localhost", LAST);
  t.is(after.attrs.type, "result");
  t.is(after.getChild("query", LAST)!.getText(), "gone home", "the status of the last unavailable presence");
  await Promise.all([dora.close(), stranger.close()]);
});
