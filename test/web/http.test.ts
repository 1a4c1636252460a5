/**
 * The HTTP listeners themselves: XEP-0156 host-meta (XRD and JSON), the web chat switch (on, off, a URL),
 * static files that stay inside their directory, routing errors, the limits on request heads and on requests in
 * flight, and configured see-other-uri for WebSocket and BOSH.
 */
import test from "ava";
import http from "node:http";
import { parse, type Element } from "ltx";
import { bosh, boshBody, request, startWebServer, WsClient, type WebTestServer } from "./helpers.js";

let srv: WebTestServer;
const IN_FLIGHT = 4;

test.before(async () => {
  srv = await startWebServer({}, {}, {
    http: {
      limits: { maxConcurrentRequests: IN_FLIGHT },
      websocket: { seeOtherUri: "wss://elsewhere.example/xmpp-websocket" },
      bosh: { seeOtherUri: "https://elsewhere.example/http-bind" },
    },
    https: {
      publicUrl: "https://chat.example.org/xmpp",
      webClient: "https://chat.example.org/",
    },
  });
});

test.after.always(async () => {
  await srv?.stop();
});

const XRD = "http://docs.oasis-open.org/ns/xri/xrd-1.0";

function links(xrd: Element): Array<[string, string]> {
  return xrd.getChildren("Link").map((l) => [l.attrs.rel as string, l.attrs.href as string]);
}

test("host-meta (XRD) lists the wss:// and https:// endpoints of the public URL, readable from any page", async (t) => {
  const r = await request(`https://127.0.0.1:${srv.https}/.well-known/host-meta`, { headers: { Host: "localhost" } });
  t.is(r.status, 200);
  t.is(r.headers["content-type"], "application/xrd+xml; charset=utf-8");
  t.is(r.headers["access-control-allow-origin"], "*");
  const xrd = parse(r.text) as Element;
  t.is(xrd.name, "XRD");
  t.is(xrd.attrs.xmlns, XRD);
  t.is(xrd.getChildText("Subject"), "localhost");
  t.deepEqual(links(xrd), [
    ["urn:xmpp:alt-connections:websocket", "wss://chat.example.org/xmpp/xmpp-websocket"],
    ["urn:xmpp:alt-connections:xbosh", "https://chat.example.org/xmpp/http-bind"],
  ]);
});

test("host-meta.json (JRD) from the HTTP listener points at the HTTPS listener of the host asked for", async (t) => {
  const r = await request(`http://127.0.0.1:${srv.http}/.well-known/host-meta.json`, { headers: { Host: "localhost:5280" } });
  t.is(r.status, 200);
  t.is(r.headers["content-type"], "application/json; charset=utf-8");
  t.deepEqual(JSON.parse(r.text), {
    subject: "localhost",
    links: [
      { rel: "urn:xmpp:alt-connections:websocket", href: `wss://localhost:${srv.https}/xmpp-websocket` },
      { rel: "urn:xmpp:alt-connections:xbosh", href: `https://localhost:${srv.https}/http-bind` },
    ],
  });
  // XEP-0156 §3.2: only https:// and wss:// are ever listed.
  t.false(r.text.includes("ws://") || r.text.includes("http://localhost"));
});

test("host-meta: a host that is not an XMPP domain here names the first one; HEAD and a CORS preflight work", async (t) => {
  const r = await request(`https://127.0.0.1:${srv.https}/.well-known/host-meta.json`, { headers: { Host: "www.example.net" } });
  t.is((JSON.parse(r.text) as { subject: string }).subject, "localhost");
  const head = await request(`https://127.0.0.1:${srv.https}/.well-known/host-meta`, { method: "HEAD" });
  t.is(head.status, 200);
  t.is(head.text, "");
  t.true(Number(head.headers["content-length"]) > 0);
  const pre = await request(`https://127.0.0.1:${srv.https}/.well-known/host-meta`, { method: "OPTIONS", headers: { Origin: "https://any.example", "Access-Control-Request-Method": "GET" } });
  t.is(pre.status, 204);
  t.is(pre.headers["access-control-allow-origin"], "*");
});

test("webClient: a URL sends / there; the assets are not served then", async (t) => {
  const r = await request(`https://127.0.0.1:${srv.https}/`);
  t.is(r.status, 302);
  t.is(r.headers.location, "https://chat.example.org/");
  t.is((await request(`https://127.0.0.1:${srv.https}/converse/converse.min.js`)).status, 404);
});

test("the web chat's files are served with a type and revalidation, and nothing outside their directory", async (t) => {
  const js = await request(`http://127.0.0.1:${srv.http}/converse/converse.min.js`, { method: "HEAD" });
  t.is(js.status, 200);
  t.is(js.headers["content-type"], "text/javascript; charset=utf-8");
  const again = await request(`http://127.0.0.1:${srv.http}/converse/converse.min.js`, { method: "HEAD", headers: { "If-None-Match": String(js.headers.etag) } });
  t.is(again.status, 304);
  for (const path of ["/converse/../package.json", "/converse/%2e%2e/package.json", "/converse/..%2fpackage.json", "/converse/.hidden", "/converse/", "/converse/chunkjs"]) {
    t.is((await request(`http://127.0.0.1:${srv.http}${path}`)).status, 404, path);
  }
});

test("unknown paths are 404; a known path with another method is 405 with Allow", async (t) => {
  t.is((await request(`http://127.0.0.1:${srv.http}/nothing-here`)).status, 404);
  const get = await request(`https://127.0.0.1:${srv.https}/http-bind`);
  t.is(get.status, 405);
  t.is(get.headers.allow, "POST, OPTIONS");
  const post = await request(`https://127.0.0.1:${srv.https}/.well-known/host-meta`, { method: "POST", body: "x" });
  t.is(post.status, 405);
});

test("a request head over the limit gets HTTP 431", async (t) => {
  const r = await request(`https://127.0.0.1:${srv.https}/.well-known/host-meta`, { headers: { "X-Filler": "x".repeat(20_000) } });
  t.is(r.status, 431);
});

test("configured see-other-uri: WebSocket clients get <close see-other-uri/> after their <open/> (RFC 7395 §3.6.1)", async (t) => {
  const ws = await WsClient.connect(`ws://127.0.0.1:${srv.http}/xmpp-websocket`);
  ws.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
  const rest = await ws.rest();
  t.is(rest.length, 1);
  t.is((rest[0] as Element).name, "close");
  t.is((rest[0] as Element).attrs["see-other-uri"], "wss://elsewhere.example/xmpp-websocket");
});

test("configured see-other-uri: a new BOSH session is sent there with the terminal condition and <uri/>", async (t) => {
  const r = await bosh(srv.http, boshBody({ rid: 77, to: "localhost", ver: "1.11", wait: 30, hold: 1 }));
  t.is(r.el?.attrs.type, "terminate");
  t.is(r.el?.attrs.condition, "see-other-uri");
  t.is(r.el?.getChildText("uri"), "https://elsewhere.example/http-bind");
});

test.serial("requests in flight are limited: beyond the limit, HTTP 503; below it again, served", async (t) => {
  // BOSH requests that announce a body and never send it stay in flight (until the request timeout).
  const stuck = Array.from({ length: IN_FLIGHT }, () => {
    const req = http.request({ host: "127.0.0.1", port: srv.http, path: "/http-bind", method: "POST", agent: false, headers: { "Content-Length": "100" } });
    req.on("error", () => {});
    req.flushHeaders();
    return req;
  });
  const url = `http://127.0.0.1:${srv.http}/.well-known/host-meta`;
  let refused = await request(url);
  // The stuck requests may take a moment to reach the server.
  for (let i = 0; i < 50 && refused.status !== 503; i++) refused = await request(url);
  t.is(refused.status, 503);
  t.is(refused.headers["retry-after"], "5");
  for (const req of stuck) req.destroy();
  let served = await request(url);
  for (let i = 0; i < 50 && served.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 20));
    served = await request(url);
  }
  t.is(served.status, 200);
});
