/**
 * slixmpp 1.8's own XEP-0054 and XEP-0191 plugins against a live server (conformance/clients/
 * slixmpp_vcard_blocking.py): publish and read vCards, then block, be refused, and unblock.
 */
import test from "ava";
import { join } from "node:path";
import { CLIENTS_DIR, runClient, slixmppAvailable, SYSTEM_PYTHON } from "../helpers/clients.js";
import { RawClient } from "../helpers/raw-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

interface VcardSummary { fn: string | null; nickname: string | null; binval: string | null }
interface Report {
  ok: boolean;
  error: string | null;
  ownVcard: VcardSummary;
  peerVcard: VcardSummary;
  blocklistBefore: string[];
  blocklistBlocked: string[];
  whileBlocked: { condition: string; blocked: boolean } | null;
  blocklistAfter: string[];
  afterUnblock: VcardSummary;
  pushes: [string, string[]][];
}

const AVATAR = Buffer.from("\x89PNG\r\n\x1a\n slixmpp avatar", "latin1");
let srv: TestServer;

test.before(async () => {
  if (!slixmppAvailable()) throw new Error("/usr/bin/python3 with python3-slixmpp is required for these tests");
  srv = await startTestServer();
  await srv.addUser("alice@localhost", "pencil");
  await srv.addUser("bob@localhost", "pw");
  const bob = await RawClient.connect(srv.ports.plain);
  await bob.login("bob", "pw");
  bob.send("<iq type='set' id='v'><vCard xmlns='vcard-temp'><FN>Bob the Builder</FN></vCard></iq>");
  await bob.until((el) => el.attrs.id === "v");
  bob.destroy();
});

test.after.always(async () => { await srv?.stop(); });

test("slixmpp publishes and reads vCards, and blocks and unblocks with pushes", async (t) => {
  const args = [join(CLIENTS_DIR, "slixmpp_vcard_blocking.py"), "--host", "127.0.0.1", "--port", String(srv.ports.plain),
    "--jid", "alice@localhost", "--password", "pencil", "--mode", "plain", "--peer", "bob@localhost"];
  const { code, report: r } = await runClient<Report>(SYSTEM_PYTHON, args);
  t.is(code, 0, r.error ?? "");
  t.true(r.ok);
  t.deepEqual(r.ownVcard, { fn: "Alice Liddell", nickname: "ally", binval: AVATAR.toString("base64") });
  t.is(r.peerVcard.fn, "Bob the Builder");
  t.deepEqual(r.blocklistBefore, []);
  t.deepEqual(r.blocklistBlocked, ["bob@localhost"]);
  t.deepEqual(r.whileBlocked, { condition: "not-acceptable", blocked: true });
  t.deepEqual(r.blocklistAfter, []);
  t.is(r.afterUnblock.fn, "Bob the Builder");
  t.deepEqual(r.pushes, [["block", ["bob@localhost"]], ["unblock", ["bob@localhost"]]]);

  // What slixmpp stored is what other clients read.
  const bob = await RawClient.connect(srv.ports.plain);
  t.teardown(() => bob.destroy());
  await bob.login("bob", "pw");
  bob.send("<iq type='get' id='a' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>");
  const v = (await bob.until((el) => el.attrs.id === "a")).getChild("vCard", "vcard-temp")!;
  t.is(v.getChildText("FN"), "Alice Liddell");
  t.is(v.getChild("PHOTO")!.getChildText("BINVAL")!.replace(/\s/g, ""), AVATAR.toString("base64"));
});
