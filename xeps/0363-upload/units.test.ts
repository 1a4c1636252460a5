/** The pure parts of the upload service: slot tokens, file names and types, Range headers, slot decisions. */
import test from "ava";
import { parse } from "ltx";
import type { Element } from "ltx";
import { contentDisposition, filenameProblem, normaliseType, servedInline, typeAccepted } from "./files.js";
import { parseTarget } from "./http.js";
import { parseRange } from "./range.js";
import { checkRequest, parseRequest, type SlotPolicy } from "./slot.js";
import { bearerToken, signSlot, verifySlot, type SlotClaims } from "./token.js";

const SECRET = Buffer.from("0123456789abcdef0123456789abcdef");
const CLAIMS: SlotClaims = { id: "a".repeat(32), name: "très cool.jpg", size: 23456, type: "image/jpeg", sub: "romeo@montague.tld", exp: 1_000_000 };

test("a signed slot verifies until it expires, and not a moment after", (t) => {
  const token = signSlot(SECRET, CLAIMS);
  t.deepEqual(verifySlot(SECRET, token, 999_999), { ok: true, claims: CLAIMS });
  t.deepEqual(verifySlot(SECRET, token, 1_000_000), { ok: false, reason: "expired" });
});

test("a token signed with another key, or changed in any way, is refused", (t) => {
  const token = signSlot(SECRET, CLAIMS);
  t.deepEqual(verifySlot(Buffer.from("another key, same length........"), token, 0), { ok: false, reason: "bad-signature" });
  const [body, mac] = token.split(".");
  const bigger = Buffer.from(JSON.stringify({ ...CLAIMS, size: 1e9 })).toString("base64url");
  t.deepEqual(verifySlot(SECRET, `${bigger}.${mac}`, 0), { ok: false, reason: "bad-signature" });
  t.deepEqual(verifySlot(SECRET, `${body}.${mac!.slice(0, -2)}`, 0), { ok: false, reason: "bad-signature" });
  t.deepEqual(verifySlot(SECRET, "no-dot-at-all", 0), { ok: false, reason: "malformed" });
  t.deepEqual(verifySlot(SECRET, `${body}.${mac}.x`, 0), { ok: false, reason: "malformed" });
});

test("a correctly signed token with claims of the wrong shape is malformed", (t) => {
  const forged = signSlot(SECRET, { ...CLAIMS, size: "12" } as unknown as SlotClaims);
  t.deepEqual(verifySlot(SECRET, forged, 0), { ok: false, reason: "malformed" });
});

test("the bearer token of an Authorization header", (t) => {
  t.is(bearerToken("Bearer abc.DEF_-"), "abc.DEF_-");
  t.is(bearerToken("Basic dXNlcjpwYXNz"), null);
  t.is(bearerToken("Bearer a b"), null);
  t.is(bearerToken(undefined), null);
});

test("file names: slashes, backslashes, NULs, control characters and dot segments are refused", (t) => {
  for (const ok of ["très cool.jpg", "a..b.txt", "...", "photo (1).png", "😀.gif"]) t.is(filenameProblem(ok), null, ok);
  for (const bad of ["", ".", "..", "../etc/passwd", "a/b", "a\\b", "nul\u0000.txt", "line\nbreak", "del\u007f", "x".repeat(256)]) {
    t.truthy(filenameProblem(bad), JSON.stringify(bad));
  }
});

test("content types are normalised; what is not a media type is refused", (t) => {
  t.is(normaliseType(undefined), "application/octet-stream");
  t.is(normaliseType("Image/JPEG"), "image/jpeg");
  t.is(normaliseType("text/plain; charset=UTF-8; format=flowed"), "text/plain; charset=utf-8");
  t.is(normaliseType("text/html\r\nSet-Cookie: x=y"), null);
  t.is(normaliseType("nonsense"), null);
});

test("allow and deny lists with wildcards", (t) => {
  t.true(typeAccepted("image/png", [], []));
  t.true(typeAccepted("image/png", ["image/*"], []));
  t.false(typeAccepted("video/mp4", ["image/*"], []));
  t.false(typeAccepted("image/svg+xml", ["image/*"], ["image/svg+xml"]));
  t.false(typeAccepted("text/html; charset=utf-8", [], ["text/html"]));
  t.true(typeAccepted("application/pdf", ["*/*"], []));
});

test("pictures, sound, video and plain text are shown inline; documents that can run scripts are downloads", (t) => {
  for (const type of ["image/jpeg", "image/png", "audio/ogg", "video/mp4", "text/plain; charset=utf-8"]) t.true(servedInline(type), type);
  for (const type of ["text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/javascript", "application/pdf", "application/octet-stream"]) {
    t.false(servedInline(type), type);
  }
  t.is(contentDisposition("image/jpeg", "très cool.jpg"), "inline; filename=\"tr_s cool.jpg\"; filename*=UTF-8''tr%C3%A8s%20cool.jpg");
  t.is(contentDisposition("text/html", "a\"b'.html"), "attachment; filename=\"a_b'.html\"; filename*=UTF-8''a%22b%27.html");
});

test("Range: one range, open-ended and suffix ranges, clamping, and what is ignored or unsatisfiable", (t) => {
  t.deepEqual(parseRange(undefined, 100), { kind: "whole" });
  t.deepEqual(parseRange("bytes=0-9", 100), { kind: "range", start: 0, end: 9 });
  t.deepEqual(parseRange("bytes=90-", 100), { kind: "range", start: 90, end: 99 });
  t.deepEqual(parseRange("bytes=90-1000", 100), { kind: "range", start: 90, end: 99 });
  t.deepEqual(parseRange("bytes=-10", 100), { kind: "range", start: 90, end: 99 });
  t.deepEqual(parseRange("bytes=-1000", 100), { kind: "range", start: 0, end: 99 });
  t.deepEqual(parseRange("bytes=100-", 100), { kind: "unsatisfiable" });
  t.deepEqual(parseRange("bytes=-0", 100), { kind: "unsatisfiable" });
  t.deepEqual(parseRange("bytes=0-", 0), { kind: "unsatisfiable" });
  t.deepEqual(parseRange("bytes=5-1", 100), { kind: "whole" }, "invalid: ignored");
  t.deepEqual(parseRange("bytes=0-1,5-6", 100), { kind: "whole" }, "several ranges: ignored");
  t.deepEqual(parseRange("items=0-1", 100), { kind: "whole" });
  t.deepEqual(parseRange("bytes=-", 100), { kind: "whole" });
});

test("URL targets: an id of the right form and one name segment; nothing else names a file", (t) => {
  const id = "A".repeat(31) + "_";
  t.deepEqual(parseTarget(`${id}/tr%C3%A8s%20cool.jpg`), { id, name: "très cool.jpg" });
  t.is(parseTarget(`${id}`), null);
  t.is(parseTarget(`${id}/a/b`), null);
  t.is(parseTarget(`../${id}/x`), null);
  t.is(parseTarget(`${"A".repeat(31)}./x`), null);
  t.is(parseTarget(`${id}/%E0%A4%A`), null, "bad percent-encoding");
  t.is(parseTarget(`${id}/`), null);
});

const req = (attrs: string, inner = ""): Element => parse(`<request xmlns='urn:xmpp:http:upload:0' ${attrs}>${inner}</request>`) as Element;
const POLICY: SlotPolicy = { maxFileSize: 1000, quota: 5000, allowTypes: [], denyTypes: ["text/html"] };
const NONE = { bytes: 0, nextExpiry: null };

test("slot requests: filename and size required, content-type optional (§4)", (t) => {
  const ok = parseRequest(req("filename='a.jpg' size='10' content-type='image/jpeg'"), 0);
  t.deepEqual(ok, { ok: true, request: { filename: "a.jpg", size: 10, type: "image/jpeg" } });
  const untyped = parseRequest(req("filename='a.bin' size='10'"), 0);
  t.true(untyped.ok && untyped.request.type === "application/octet-stream");
  for (const attrs of ["size='10'", "filename='a'", "filename='a' size='-1'", "filename='a' size='1e3'", "filename='../a' size='1'", "filename='a' size='1' content-type='bad'"]) {
    const r = parseRequest(req(attrs), 0);
    t.true(!r.ok && r.error.condition === "bad-request", attrs);
  }
});

test("an ephemeral purpose sets when the file stops being served; a past or malformed time is refused (§4.3)", (t) => {
  const eph = (stamp: string) => parseRequest(req("filename='a' size='1'", `<ephemeral xmlns='urn:xmpp:http:upload:purpose:0' expire-before='${stamp}'/>`), Date.parse("2025-01-01T00:00:00Z"));
  const r = eph("2025-09-10T23:08:25Z");
  t.true(r.ok && r.request.until === Date.parse("2025-09-10T23:08:25Z"));
  t.false(eph("2024-12-31T00:00:00Z").ok);
  t.false(eph("tomorrow").ok);
});

test("too large: not-acceptable with <file-too-large><max-file-size/> (§5)", (t) => {
  const e = checkRequest({ filename: "a", size: 1001, type: "image/png" }, POLICY, NONE)!;
  t.is(e.condition, "not-acceptable");
  t.is(e.type, "modify");
  t.is(e.appCondition!.getChild("max-file-size")!.getText(), "1000");
  t.is(checkRequest({ filename: "a", size: 1000, type: "image/png" }, POLICY, NONE), null);
});

test("a refused type is not-acceptable; a full quota is resource-constraint with <retry/> (§5)", (t) => {
  t.is(checkRequest({ filename: "a", size: 1, type: "text/html" }, POLICY, NONE)!.condition, "not-acceptable");
  const e = checkRequest({ filename: "a", size: 600, type: "image/png" }, POLICY, { bytes: 4500, nextExpiry: Date.parse("2030-01-02T03:04:05Z") })!;
  t.is(e.condition, "resource-constraint");
  t.is(e.type, "wait");
  t.is(e.appCondition!.attrs.stamp, "2030-01-02T03:04:05Z");
  t.is(checkRequest({ filename: "a", size: 500, type: "image/png" }, POLICY, { bytes: 4500, nextExpiry: null }), null);
  t.is(checkRequest({ filename: "a", size: 900, type: "image/png" }, { ...POLICY, quota: 0 }, { bytes: 1e12, nextExpiry: null }), null, "0: no quota");
});
