/**
 * The pure parts of the web transports, without sockets: BOSH body parsing and writing, the stanza namespace
 * for framed transports, who a request comes from, origins, routes, static paths, host-meta links.
 */
import test from "ava";
import type { IncomingMessage } from "node:http";
import { clientInfo, isLoopback, originAllowed, parseHost } from "../../src/http/client-info.js";
import { hostMetaJrd, hostMetaLinks, hostMetaXrd } from "../../src/http/host-meta.js";
import { HttpRoutes, normalisePath } from "../../src/http/routes.js";
import { safeFile } from "../../src/http/static-files.js";
import { conversePage, converseSettings } from "../../src/http/web-client.js";
import { qualifyStanza } from "../../src/stream/framing.js";
import { lowerVersion, parseBoshBody, responseBody, terminalBody, terminalForStreamError } from "../../src/transport/bosh-wire.js";
import { offersXmpp } from "../../src/transport/websocket.js";

const LIMITS = { maxStanzaBytes: 64 * 1024, maxDepth: 10, maxAttributes: 32 };
const HTTPBIND = "http://jabber.org/protocol/httpbind";

test("qualifyStanza gives top-level stanzas jabber:client and leaves everything else alone", (t) => {
  t.is(qualifyStanza(`<message to="a@b"><body>x</body></message>`), `<message xmlns='jabber:client' to="a@b"><body>x</body></message>`);
  t.is(qualifyStanza(`<iq type="result" id="1"/>`), `<iq xmlns='jabber:client' type="result" id="1"/>`);
  t.is(qualifyStanza(`<presence/>`), `<presence xmlns='jabber:client'/>`);
  t.is(qualifyStanza(`<presence xmlns="jabber:client"/>`), `<presence xmlns="jabber:client"/>`);
  t.is(qualifyStanza(`<message xmlns:foo="urn:x" to="a"/>`), `<message xmlns='jabber:client' xmlns:foo="urn:x" to="a"/>`);
  // An xmlns inside the stanza is not the stanza's own.
  t.is(qualifyStanza(`<message to="a"><x xmlns="urn:y"/></message>`), `<message xmlns='jabber:client' to="a"><x xmlns="urn:y"/></message>`);
  t.is(qualifyStanza(`<messages/>`), `<messages/>`);
  t.is(qualifyStanza(`<r xmlns="urn:xmpp:sm:3"/>`), `<r xmlns="urn:xmpp:sm:3"/>`);
  t.is(qualifyStanza(`<stream:features xmlns:stream="http://etherx.jabber.org/streams"/>`), `<stream:features xmlns:stream="http://etherx.jabber.org/streams"/>`);
});

test("parseBoshBody reads rid, sid, the xbosh attributes under any prefix, and payloads that stand alone", (t) => {
  const r = parseBoshBody(Buffer.from(
    `<body xmlns='${HTTPBIND}' xmlns:x='urn:xmpp:xbosh' xmlns:j='jabber:x:data' rid='9007199254740991' sid='s1' ack='5' x:restart='true' x:version='1.0'>` +
    `<message to='a@b'><body>hi</body></message><iq type='get' id='q' xmlns='jabber:client'><j:x/></iq>  </body>`), LIMITS);
  if (!r.ok) return t.fail(r.text);
  t.is(r.req.rid, Number.MAX_SAFE_INTEGER);
  t.is(r.req.sid, "s1");
  t.is(r.req.ack, 5);
  t.true(r.req.restart);
  t.is(r.req.xmppVersion, "1.0");
  t.false(r.req.terminate);
  t.is(r.req.pause, null);
  t.deepEqual(r.req.payloads, [
    `<message to="a@b" xmlns="jabber:client"><body>hi</body></message>`,
    `<iq type="get" id="q" xmlns="jabber:client" xmlns:j="jabber:x:data"><j:x/></iq>`,
  ]);
});

test("parseBoshBody refuses what is not one <body/> of whole elements, or has a bad rid", (t) => {
  const bad = (s: string) => {
    const r = parseBoshBody(s, LIMITS);
    return r.ok ? "accepted" : r.text;
  };
  t.regex(bad(`<body xmlns='${HTTPBIND}' rid='1'>text</body>`), /character data/);
  t.regex(bad(`<body xmlns='${HTTPBIND}' rid='1'><iq>`), /one complete <body\/>/);
  t.regex(bad(`<body xmlns='${HTTPBIND}' rid='1'/><body xmlns='${HTTPBIND}' rid='2'/>`), /one complete <body\/>/);
  t.regex(bad(`<body xmlns='jabber:client' rid='1'/>`), /expected <body/);
  t.regex(bad(`<body xmlns='${HTTPBIND}'/>`), /rid/);
  t.regex(bad(`<body xmlns='${HTTPBIND}' rid='0'/>`), /rid/);
  t.regex(bad(`<body xmlns='${HTTPBIND}' rid='-3'/>`), /rid/);
  t.regex(bad(`<body xmlns='${HTTPBIND}' rid='9007199254740992'/>`), /rid/);
  t.regex(bad(`<body xmlns='${HTTPBIND}' rid='1' pause='soon'/>`), /integers/);
  t.regex(bad(`<!DOCTYPE body><body xmlns='${HTTPBIND}' rid='1'/>`), /restricted-xml/);
  t.regex(bad(`<?xml version='1.0' encoding='iso-8859-1'?><body xmlns='${HTTPBIND}' rid='1'/>`), /UTF-8/);
  t.is(bad(`<?xml version='1.0' encoding='utf-8'?>\n<body xmlns='${HTTPBIND}' rid='1'/>`), "accepted");
  t.regex(bad(`<body xmlns='${HTTPBIND}' rid='1'>${"<a>".repeat(20)}${"</a>".repeat(20)}</body>`), /nested too deeply/);
});

test("response bodies: attributes escaped, the stream prefix declared when used, terminal conditions", (t) => {
  t.is(responseBody({}), `<body xmlns='${HTTPBIND}'/>`);
  t.is(responseBody({ sid: "a'b", wait: 60, skipped: undefined }), `<body xmlns='${HTTPBIND}' sid='a&apos;b' wait='60'/>`);
  t.is(responseBody({}, "<stream:features/>"), `<body xmlns='${HTTPBIND}' xmlns:stream='http://etherx.jabber.org/streams'><stream:features/></body>`);
  t.is(terminalBody("see-other-uri", "", "https://x/y?a&b"), `<body xmlns='${HTTPBIND}' type='terminate' condition='see-other-uri'><uri>https://x/y?a&amp;b</uri></body>`);
  t.is(terminalBody(null), `<body xmlns='${HTTPBIND}' type='terminate'/>`);
});

test("stream errors become BOSH terminal conditions (XEP-0124 §17.2, XEP-0206 §6)", (t) => {
  const err = (c: string) => `<stream:error xmlns:stream="http://etherx.jabber.org/streams"><${c} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>`;
  t.deepEqual(terminalForStreamError(null), { condition: null, includeError: false });
  t.deepEqual(terminalForStreamError(err("host-unknown")), { condition: "host-unknown", includeError: false });
  t.deepEqual(terminalForStreamError(err("system-shutdown")), { condition: "system-shutdown", includeError: false });
  t.deepEqual(terminalForStreamError(err("conflict")), { condition: "remote-stream-error", includeError: true });
});

test("BOSH versions compare as two integers", (t) => {
  t.is(lowerVersion("1.6", "1.11"), "1.6");
  t.is(lowerVersion("1.12", "1.11"), "1.11");
  t.is(lowerVersion("2.0", "1.11"), "1.11");
  t.is(lowerVersion("garbage", "1.11"), "1.11");
});

test("the xmpp subprotocol is found among those offered", (t) => {
  t.true(offersXmpp("xmpp"));
  t.true(offersXmpp("chat, xmpp"));
  t.true(offersXmpp(["chat", "xmpp"]));
  t.false(offersXmpp("xmpp-ish, XMPP"));
  t.false(offersXmpp(undefined));
});

function fakeRequest(remote: string, headers: Record<string, string>): IncomingMessage {
  return { socket: { remoteAddress: remote }, headers } as unknown as IncomingMessage;
}

test("clientInfo: a direct loopback client; a remote one; a relayed one believed only from a trusted proxy", (t) => {
  const policy = { tls: false, trustedProxies: ["127.0.0.1", "::1"] };
  const local = clientInfo(fakeRequest("::ffff:127.0.0.1", { host: "LocalHost:5280" }), policy);
  t.like(local, { ip: "127.0.0.1", secure: false, loopback: true, host: "localhost:5280", hostname: "localhost" });
  const remote = clientInfo(fakeRequest("203.0.113.5", { host: "chat.example" }), policy);
  t.like(remote, { ip: "203.0.113.5", loopback: false });
  const spoofed = clientInfo(fakeRequest("203.0.113.5", { host: "chat.example", "x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "https" }), policy);
  t.like(spoofed, { ip: "203.0.113.5", secure: false, loopback: false });
  const proxied = clientInfo(fakeRequest("127.0.0.1", { host: "127.0.0.1:5280", "x-forwarded-for": "198.51.100.1, 10.0.0.2, 127.0.0.1", "x-forwarded-proto": "https", "x-forwarded-host": "chat.example" }), policy);
  t.like(proxied, { ip: "10.0.0.2", secure: true, directTls: false, loopback: false, host: "chat.example" });
  const plainProxy = clientInfo(fakeRequest("::1", { "x-forwarded-for": "198.51.100.1", "x-forwarded-proto": "http" }), policy);
  t.like(plainProxy, { ip: "198.51.100.1", secure: false, loopback: false });
  // A loopback peer relaying for someone, with no trusted proxies: not a local client.
  const untrusted = clientInfo(fakeRequest("127.0.0.1", { "x-forwarded-for": "198.51.100.1" }), { tls: false, trustedProxies: [] });
  t.like(untrusted, { ip: "127.0.0.1", loopback: false });
});

test("Host headers are checked for shape", (t) => {
  t.deepEqual(parseHost("[::1]:5280"), { host: "[::1]:5280", hostname: "::1" });
  t.deepEqual(parseHost("example.org."), { host: "example.org.", hostname: "example.org" });
  t.deepEqual(parseHost("evil.example/<script>"), { host: "", hostname: "" });
  t.deepEqual(parseHost("a:99999"), { host: "", hostname: "" });
  t.deepEqual(parseHost("[nope]:1"), { host: "", hostname: "" });
  t.deepEqual(parseHost(undefined), { host: "", hostname: "" });
  t.true(isLoopback("127.8.9.10"));
  t.true(isLoopback("::1"));
  t.false(isLoopback("10.0.0.1"));
});

test("origins: none (not a page), the same host, listed ones, the public URL's, or any with *", (t) => {
  t.true(originAllowed(undefined, "localhost:5280", []));
  t.true(originAllowed("http://localhost:5280", "localhost:5280", []));
  t.false(originAllowed("http://localhost:5281", "localhost:5280", []));
  t.false(originAllowed("null", "localhost:5280", []));
  t.true(originAllowed("https://app.example", "localhost:5280", ["https://app.example/"]));
  t.true(originAllowed("https://chat.example.org", "127.0.0.1:5280", [], "https://chat.example.org/xmpp"));
  t.true(originAllowed("https://anything.example", "x", ["*"]));
});

test("routes: exact paths with or without a trailing slash, the longest prefix, 405 with the methods there", (t) => {
  const routes = new HttpRoutes();
  const handler = () => {};
  const remove = routes.add({ methods: ["POST"], path: "/http-bind", handler });
  routes.add({ methods: ["GET"], path: "/files/", prefix: true, handler });
  routes.add({ methods: ["GET", "PUT"], path: "/files/upload/", prefix: true, handler });
  t.is(routes.match("POST", "/http-bind/").kind, "route");
  t.deepEqual(routes.match("GET", "/http-bind"), { kind: "method", allow: ["POST"] });
  const upload = routes.match("PUT", "/files/upload/a.png");
  t.is(upload.kind === "route" ? upload.route.path : null, "/files/upload/");
  t.is(routes.match("HEAD", "/files/a").kind, "route");
  t.deepEqual(routes.match("DELETE", "/files/a"), { kind: "method", allow: ["GET", "HEAD"] });
  t.throws(() => routes.add({ methods: ["POST"], path: "/http-bind/", handler }), { message: /already taken/ });
  remove();
  t.is(routes.match("POST", "/http-bind").kind, "none");
  t.is(normalisePath("/"), "/");
  t.is(normalisePath("/a//"), "/a");
});

test("static paths stay inside their directory", (t) => {
  t.is(safeFile("/srv/dist", "converse.min.js"), "/srv/dist/converse.min.js");
  t.is(safeFile("/srv/dist", "chunkjs/locales/x.js"), "/srv/dist/chunkjs/locales/x.js");
  for (const bad of ["", "../x", "a/../../x", "%2e%2e/x", "a%2f..%2f..%2fx", ".env", "a//b", "a\\b", "%00", "%zz"]) {
    t.is(safeFile("/srv/dist", bad), null, bad);
  }
});

test("host-meta lists only secure links (XEP-0156 §3.2); XRD and JRD say the same", (t) => {
  const endpoints = { websocketPath: "/xmpp-websocket", boshPath: "/http-bind" };
  t.deepEqual(hostMetaLinks(null, endpoints), []);
  t.deepEqual(hostMetaLinks("http://example.org", endpoints), []);
  const links = hostMetaLinks("https://example.org:5443", { websocketPath: null, boshPath: "/http-bind" });
  t.deepEqual(links, [{ rel: "urn:xmpp:alt-connections:xbosh", href: "https://example.org:5443/http-bind" }]);
  t.regex(hostMetaXrd("example.org", links), /<Link rel='urn:xmpp:alt-connections:xbosh' href='https:\/\/example.org:5443\/http-bind'\/>/);
  t.deepEqual(JSON.parse(hostMetaJrd("example.org", links)), { subject: "example.org", links });
});

test("the web chat page: endpoints on the page's own origin, and settings that cannot break out of the script", (t) => {
  const s = converseSettings("https://chat.example:5443", "example.org", { websocketPath: "/xmpp-websocket", boshPath: "/http-bind" });
  t.is(s.websocket_url, "wss://chat.example:5443/xmpp-websocket");
  t.is(s.bosh_service_url, "https://chat.example:5443/http-bind");
  const page = conversePage({ ...s, default_domain: "</script><script>alert(1)</script>" });
  t.false(page.includes("</script><script>alert"));
  t.true(page.includes("\\u003c/script\\u003e"));
});
