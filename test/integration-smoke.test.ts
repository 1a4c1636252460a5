import test from "ava";
import { startTestServer } from "./helpers/server.js";
import { RawClient } from "./helpers/raw-client.js";

test("a raw client logs in over the plaintext test listener, pings the server and closes cleanly", async (t) => {
  const srv = await startTestServer();
  t.teardown(() => srv.stop());
  await srv.addUser("alice@localhost", "pencil");
  const c = await RawClient.connect(srv.ports.plain);
  t.is(await c.login("alice", "pencil"), "alice@localhost/raw");
  c.send("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
  const pong = await c.until((el) => el.attrs.id === "p1");
  t.is(pong.attrs.type, "result");
  c.send("<iq type='get' id='u1' to='localhost'><unknown xmlns='urn:example:nothing'/></iq>");
  const err = await c.until((el) => el.attrs.id === "u1");
  t.is(err.attrs.type, "error");
  t.truthy(err.getChild("error")!.getChild("service-unavailable"));
  c.send("</stream:stream>");
  await c.closed;
  t.is(srv.server.sessions.count(), 0);
});
