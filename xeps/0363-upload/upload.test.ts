/**
 * XEP-0363 against a live server with HTTP and HTTPS listeners: discovery, slots, uploads small and large
 * (streamed both ways), downloads with HEAD and Range, what is refused (used, expired and foreign slots, sizes,
 * types, quota) and path-escape attempts.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import test from "ava";
import type { Element } from "ltx";
import { RawClient } from "../../test/helpers/raw-client.js";
import { DEFAULT_MODULES } from "../../test/helpers/server.js";
import { request, startWebServer, type WebTestServer } from "../../test/web/helpers.js";
import { signSlot } from "./token.js";

const NS = "urn:xmpp:http:upload:0";
const SECRET = "test-secret-for-upload-slots";
const MiB = 1024 * 1024;
let srv: WebTestServer;
let alice: RawClient;
let bob: RawClient;
let seq = 0;

async function iq(c: RawClient, inner: string, to = "upload.localhost", type = "get"): Promise<Element> {
  const id = `u${++seq}`;
  c.send(`<iq type='${type}' id='${id}' to='${to}'>${inner}</iq>`);
  return c.until((el) => el.name === "iq" && el.attrs.id === id);
}
const condition = (r: Element) => r.getChild("error")?.getChildElements().find((e) => e.name !== "text")?.name;
const xmlAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/'/g, "&apos;").replace(/</g, "&lt;");

interface Slot { put: string; get: string; auth: string }
async function slot(c: RawClient, filename: string, size: number, type?: string, inner = ""): Promise<Slot> {
  const r = await iq(c, `<request xmlns='${NS}' filename='${xmlAttr(filename)}' size='${size}'${type ? ` content-type='${type}'` : ""}>${inner}</request>`);
  const s = r.getChild("slot", NS);
  if (!s) throw new Error(`no slot: ${r.toString()}`);
  const headers = s.getChild("put")!.getChildren("header");
  return { put: s.getChild("put")!.attrs.url, get: s.getChild("get")!.attrs.url, auth: headers.find((h) => h.attrs.name === "Authorization")!.getText() };
}

/** A PUT whose body is written in chunks of at most 64 KiB (with a Content-Length unless `chunked`). */
function put(url: string, o: { auth?: string; type?: string; body: Buffer | ((write: (b: Buffer) => Promise<void>) => Promise<void>); length?: number; chunked?: boolean }): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  const lib = u.protocol === "https:" ? https : http;
  const headers: Record<string, string> = {};
  if (o.auth) headers.Authorization = o.auth;
  if (o.type) headers["Content-Type"] = o.type;
  const length = o.length ?? (Buffer.isBuffer(o.body) ? o.body.length : undefined);
  if (!o.chunked && length !== undefined) headers["Content-Length"] = String(length);
  return new Promise((resolve, reject) => {
    const req = lib.request(u, { method: "PUT", headers, agent: false, rejectUnauthorized: false, servername: "localhost" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    const write = (b: Buffer) => new Promise<void>((ok) => { if (req.write(b)) ok(); else req.once("drain", ok); });
    void (async () => {
      if (Buffer.isBuffer(o.body)) {
        for (let i = 0; i < o.body.length; i += 65536) await write(o.body.subarray(i, i + 65536));
      } else {
        await o.body(write);
      }
      req.end();
    })().catch(reject);
  });
}

/** GET a URL and hash the body as it streams in. */
function getHash(url: string): Promise<{ status: number; bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { agent: false, rejectUnauthorized: false, servername: "localhost" }, (res) => {
      const h = createHash("sha256");
      let bytes = 0;
      res.on("data", (c: Buffer) => { h.update(c); bytes += c.length; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, sha256: h.digest("hex") }));
    }).on("error", reject);
  });
}

test.before(async () => {
  srv = await startWebServer({}, {
    modules: { ...DEFAULT_MODULES, upload: { maxFileSize: 8 * MiB, quota: 5 * MiB, secret: SECRET, denyTypes: ["application/x-msdownload"] } },
  });
  await srv.addUser("alice@localhost", "pw");
  await srv.addUser("bob@localhost", "pw");
  alice = await RawClient.connect(srv.ports.plain);
  await alice.login("alice", "pw");
  bob = await RawClient.connect(srv.ports.plain);
  await bob.login("bob", "pw");
});

test.after.always(async () => {
  alice?.destroy();
  bob?.destroy();
  await srv?.stop();
});

test.serial("the server lists upload.localhost; it is a store/file service with max-file-size (§2)", async (t) => {
  const items = await iq(alice, "<query xmlns='http://jabber.org/protocol/disco#items'/>", "localhost");
  t.true(items.getChild("query")!.getChildren("item").some((i) => i.attrs.jid === "upload.localhost"));
  const info = (await iq(alice, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).getChild("query")!;
  t.like(info.getChild("identity")!.attrs, { category: "store", type: "file" });
  t.true(info.getChildren("feature").some((f) => f.attrs.var === NS));
  const form = info.getChild("x", "jabber:x:data")!;
  const field = (v: string) => form.getChildren("field").find((f) => f.attrs.var === v)?.getChildText("value");
  t.is(field("FORM_TYPE"), NS);
  t.is(field("max-file-size"), String(8 * MiB));
});

test.serial("a small file: slot, PUT, GET, HEAD, Range; the slot cannot be used again", async (t) => {
  const body = Buffer.from("Wherefore art thou, Romeo?\n");
  const s = await slot(alice, "très cool.txt", body.length, "text/plain");
  t.true(s.put.startsWith(`https://localhost:${srv.https}/upload/`), "an https URL on the HTTPS listener");
  t.true(s.put.endsWith("/tr%C3%A8s%20cool.txt"), "the name kept, percent-encoded (§4)");
  t.is(s.get, s.put);
  t.true(s.auth.startsWith("Bearer "));
  t.is((await put(s.put, { auth: s.auth, type: "text/plain", body })).status, 201);

  const got = await request(s.get);
  t.is(got.status, 200);
  t.is(got.text, body.toString());
  t.is(got.headers["content-type"], "text/plain");
  t.is(got.headers["x-content-type-options"], "nosniff");
  t.is(got.headers["access-control-allow-origin"], "*");
  t.regex(String(got.headers["content-security-policy"]), /default-src 'none'/);
  t.regex(got.headers["content-disposition"]!, /^inline; .*filename\*=UTF-8''tr%C3%A8s%20cool\.txt$/);

  const head = await request(s.get, { method: "HEAD" });
  t.is(head.status, 200);
  t.is(head.headers["content-length"], String(body.length));
  t.is(head.text, "");

  const part = await request(s.get, { headers: { Range: "bytes=10-13" } });
  t.is(part.status, 206);
  t.is(part.headers["content-range"], `bytes 10-13/${body.length}`);
  t.is(part.text, body.subarray(10, 14).toString());
  const tail = await request(s.get, { headers: { Range: "bytes=-7" } });
  t.is(tail.text, "Romeo?\n");
  const none = await request(s.get, { headers: { Range: `bytes=${body.length}-` } });
  t.is(none.status, 416);
  t.is(none.headers["content-range"], `bytes */${body.length}`);
  const stale = await request(s.get, { headers: { Range: "bytes=0-1", "If-Range": "\"another\"" } });
  t.is(stale.status, 200, "If-Range no longer matching: the whole file");
  const cached = await request(s.get, { headers: { "If-None-Match": got.headers.etag! } });
  t.is(cached.status, 304);

  const again = await put(s.put, { auth: s.auth, type: "text/plain", body: Buffer.from("Something else entirely...\n") });
  t.is(again.status, 409);
  t.is((await request(s.get)).text, body.toString(), "the file is unchanged");
});

test.serial("a large file streams up and down intact", async (t) => {
  const size = 4 * MiB + 123;
  const s = await slot(alice, "video.mp4", size, "video/mp4");
  const h = createHash("sha256");
  const r = await put(s.put, {
    auth: s.auth, type: "video/mp4", length: size,
    body: async (write) => {
      for (let sent = 0; sent < size;) {
        const chunk = randomBytes(Math.min(256 * 1024, size - sent));
        h.update(chunk);
        sent += chunk.length;
        await write(chunk);
      }
    },
  });
  t.is(r.status, 201);
  const got = await getHash(s.get);
  t.deepEqual(got, { status: 200, bytes: size, sha256: h.digest("hex") });
});

test.serial("the quota counts stored files: resource-constraint with <retry/> once it would be exceeded (§5)", async (t) => {
  // alice stores about 4 MiB now, of 5.
  const r = await iq(alice, `<request xmlns='${NS}' filename='more.bin' size='${MiB}'/>`);
  t.is(r.attrs.type, "error");
  t.is(condition(r), "resource-constraint");
  t.is(r.getChild("error")!.attrs.type, "wait");
  t.true(Date.parse(r.getChild("error")!.getChild("retry", NS)!.attrs.stamp) > Date.now());
  t.is((await slot(alice, "small.bin", 1000)).put.length > 0, true, "what still fits is allowed");
});

test.serial("too large a file: not-acceptable with the limit (§5); refused types", async (t) => {
  const r = await iq(alice, `<request xmlns='${NS}' filename='huge.iso' size='${9 * MiB}' content-type='application/octet-stream'/>`);
  t.is(condition(r), "not-acceptable");
  t.is(r.getChild("error")!.getChild("file-too-large", NS)!.getChildText("max-file-size"), String(8 * MiB));
  t.truthy(r.getChild("request", NS), "the request is returned with the error");
  t.is(condition(await iq(alice, `<request xmlns='${NS}' filename='a.exe' size='10' content-type='application/x-msdownload'/>`)), "not-acceptable");
});

test.serial("file names that could name a path are refused", async (t) => {
  for (const name of ["../../etc/passwd", "a/b.txt", "..", "a\\b"]) {
    t.is(condition(await iq(alice, `<request xmlns='${NS}' filename='${xmlAttr(name)}' size='10'/>`)), "bad-request", name);
  }
});

test.serial("a PUT larger than its slot is cut off with 413 and leaves nothing behind", async (t) => {
  const s = await slot(bob, "small.bin", 1000);
  const declared = await put(s.put, { auth: s.auth, body: Buffer.alloc(5000) });
  t.is(declared.status, 413, "Content-Length larger than the slot");
  const streamed = await put(s.put, { auth: s.auth, body: Buffer.alloc(200_000), chunked: true });
  t.is(streamed.status, 413, "a chunked body that goes past the slot's size");
  t.deepEqual(readdirSync(join(srv.dir, "data", "upload", "partial")), []);
  t.is((await request(s.get)).status, 404);
  const short = await put(s.put, { auth: s.auth, body: Buffer.alloc(999), chunked: true });
  t.is(short.status, 400, "shorter than the slot");
  t.is((await put(s.put, { auth: s.auth, body: Buffer.alloc(999) })).status, 400, "Content-Length shorter than the slot");
  t.is((await put(s.put, { auth: s.auth, body: Buffer.alloc(1000) })).status, 201, "the slot is still good for the right size");
});

test.serial("expired, foreign, missing and forged authorisations are refused", async (t) => {
  const s = await slot(alice, "note.txt", 5, "text/plain");
  const url = new URL(s.put);
  const [, , id, name] = url.pathname.split("/");
  const claims = { id: id!, name: decodeURIComponent(name!), size: 5, type: "text/plain", sub: "alice@localhost" };
  const expired = signSlot(Buffer.from(SECRET), { ...claims, exp: Date.now() - 1 });
  const r = await put(s.put, { auth: `Bearer ${expired}`, type: "text/plain", body: Buffer.from("hello") });
  t.is(r.status, 403);
  t.regex(r.text, /expired/);
  const other = await slot(alice, "other.txt", 5, "text/plain");
  t.is((await put(s.put, { auth: other.auth, type: "text/plain", body: Buffer.from("hello") })).status, 403, "another slot's token");
  t.is((await put(s.put, { type: "text/plain", body: Buffer.from("hello") })).status, 401);
  const forged = signSlot(Buffer.from("not the server's secret at all"), { ...claims, exp: Date.now() + 60_000 });
  t.is((await put(s.put, { auth: `Bearer ${forged}`, type: "text/plain", body: Buffer.from("hello") })).status, 403);
  t.is((await put(s.put, { auth: s.auth, type: "image/png", body: Buffer.from("hello") })).status, 415, "another content type");
  t.is((await put(s.put, { auth: s.auth, type: "text/plain", body: Buffer.from("hello") })).status, 201);
});

test.serial("downloads name only uploaded files: other names, ids and path escapes are 404", async (t) => {
  const s = await slot(alice, "page.html", 30, "text/html");
  t.is((await put(s.put, { auth: s.auth, type: "text/html", body: Buffer.from("<script>alert(1)</script>     ") })).status, 201);
  const got = await request(s.get);
  t.is(got.status, 200);
  t.regex(got.headers["content-disposition"]!, /^attachment;/, "a page is a download, never shown on this origin");
  t.regex(String(got.headers["content-security-policy"]), /default-src 'none'; frame-ancestors 'none'/);
  const base = `https://localhost:${srv.https}/upload/`;
  const id = new URL(s.get).pathname.split("/")[2]!;
  for (const path of [`${id}/other.html`, `${id}`, `${id}/page.html/x`, "../../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd",
    `${id}%2Fpage.html`, `..%2F..%2Fpalaver.db`, `${"A".repeat(32)}/page.html`]) {
    t.is((await request(base + path)).status, 404, path);
  }
});

test.serial("CORS preflight for web clients' uploads (§7)", async (t) => {
  const r = await request(`https://localhost:${srv.https}/upload/${"A".repeat(32)}/x.png`, {
    method: "OPTIONS", headers: { Origin: "https://web.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization,content-type" },
  });
  t.is(r.status, 204);
  t.is(r.headers["access-control-allow-origin"], "*");
  t.regex(r.headers["access-control-allow-methods"]!, /PUT/);
  t.regex(r.headers["access-control-allow-headers"]!, /Authorization/);
});

test.serial("an ephemeral file is not kept past expire-before (§4.3), which the service announces", async (t) => {
  const soon = new Date(Date.now() + 3_600_000).toISOString();
  const s = await slot(alice, "story.jpg", 3, "image/jpeg", `<ephemeral xmlns='urn:xmpp:http:upload:purpose:0' expire-before='${soon}'/>`);
  t.is((await put(s.put, { auth: s.auth, type: "image/jpeg", body: Buffer.from("abc") })).status, 201);
  const got = await request(s.get);
  t.true(Number(/max-age=(\d+)/.exec(got.headers["cache-control"]!)![1]) <= 3600, "cached no longer than it is served");
  const info = (await iq(alice, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).getChild("query")!;
  t.true(info.getChildren("feature").some((f) => f.attrs.var === "urn:xmpp:http:upload:purpose:0#ephemeral"));
});
