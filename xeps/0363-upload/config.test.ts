/**
 * Where slot URLs point (the HTTPS listener's publicUrl, the module's own publicUrl, the plain HTTP listener when
 * there is no HTTPS one), and the HTTP route coming and going with the module (ModuleApi.http.route).
 */
import test from "ava";
import uploadModule from "./index.js";
import { RawClient } from "../../test/helpers/raw-client.js";
import { startTestServer } from "../../test/helpers/server.js";
import { request, startWebServer } from "../../test/web/helpers.js";

async function putUrl(port: number, size = 10): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    await c.login("alice", "pw");
    c.send(`<iq type='get' id='s' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='a b.txt' size='${size}'/></iq>`);
    const r = await c.until((el) => el.attrs.id === "s");
    const url = r.getChild("slot")?.getChild("put")?.attrs.url;
    if (!url) throw new Error(r.toString());
    return url;
  } finally {
    c.destroy();
  }
}

test("links use the HTTPS listener's publicUrl, or the module's own", async (t) => {
  const srv = await startWebServer({}, {}, { https: { publicUrl: "https://chat.example.org/" } });
  t.teardown(() => srv.stop());
  await srv.addUser("alice@localhost", "pw");
  t.regex(await putUrl(srv.ports.plain), /^https:\/\/chat\.example\.org\/upload\/[A-Za-z0-9_-]{32}\/a%20b\.txt$/);

  const config = uploadModule.config!.parse({ publicUrl: "https://files.example.net/x/" });
  await srv.server.modules.unload("upload");
  t.is((await request(`http://127.0.0.1:${srv.http}/upload/${"A".repeat(32)}/a.txt`)).status, 404, "no route while unloaded");
  await srv.server.modules.load({ def: uploadModule, config });
  t.regex(await putUrl(srv.ports.plain), /^https:\/\/files\.example\.net\/x\/upload\//);
});

test("without an HTTPS listener, the HTTP one; the route is served and removed with the module", async (t) => {
  const srv = await startTestServer({
    listeners: [
      { kind: "c2s", port: 0, address: "127.0.0.1" },
      { kind: "c2s-tls", port: 0, address: "127.0.0.1" },
      { kind: "c2s", port: 0, address: "127.0.0.1", allowPlaintext: true },
      { kind: "http", port: 0, address: "127.0.0.1" },
    ],
  });
  t.teardown(() => srv.stop());
  await srv.addUser("alice@localhost", "pw");
  const port = srv.server.listeners[3]!.port;
  const url = await putUrl(srv.ports.plain, 5);
  t.true(url.startsWith(`http://localhost:${port}/upload/`));
  const options = await request(url.replace("localhost", "127.0.0.1"), { method: "OPTIONS" });
  t.is(options.status, 204);
  await srv.server.modules.unload("upload");
  t.is((await request(url.replace("localhost", "127.0.0.1"), { method: "OPTIONS" })).status, 404);
});
