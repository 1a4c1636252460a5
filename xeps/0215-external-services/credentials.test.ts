import test from "ava";
import { turnCredentials, turnPassword, xep0082 } from "./credentials.js";
import { credentialsFor, matchCredentials, servicesResult, type ServiceConfig } from "./services.js";

test("the password is base64(HMAC-SHA1(secret, username)): RFC 2202 test case 2", (t) => {
  const expected = Buffer.from("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", "hex").toString("base64");
  t.is(turnPassword("Jefe", "what do ya want for nothing?"), expected);
});

test("time-limited credentials: '<expiry>:<user>' and the HMAC of exactly that", (t) => {
  const c = turnCredentials("north", "alice@localhost", 1_700_000_000_999, 3600);
  t.is(c.expiry, 1_700_003_600);
  t.is(c.username, "1700003600:alice@localhost");
  t.is(c.password, "9ytf6wHtAdtt/zlWPfyEmojep3s="); // computed independently with Python's hmac module
  t.is(xep0082(c.expiry), "2023-11-14T23:13:20Z");
});

const STUN: ServiceConfig = { type: "stun", host: "stun.example.org", port: 3478, transport: "udp" };
const TURN: ServiceConfig = { type: "turn", host: "turn.example.org", port: 3478, transport: "udp", secret: "s3cret" };
const TURNS: ServiceConfig = { type: "turns", host: "turn.example.org", port: 5349, transport: "tcp", secret: "s3cret" };
const FIXED: ServiceConfig = { type: "turn", host: "old.example.org", username: "u", password: "p" };

test("services with credentials are restricted and carry them; others carry none (§2, §3.1)", (t) => {
  const r = servicesResult([STUN, TURN, FIXED], undefined, "bob@localhost", 0, 60);
  const [stun, turn, fixed] = r.getChildren("service");
  t.deepEqual(stun!.attrs, { type: "stun", host: "stun.example.org", port: "3478", transport: "udp" });
  t.is(turn!.attrs.restricted, "1");
  t.is(turn!.attrs.username, "60:bob@localhost");
  t.is(turn!.attrs.password, turnPassword("s3cret", "60:bob@localhost"));
  t.is(turn!.attrs.expires, "1970-01-01T00:01:00Z");
  t.deepEqual([fixed!.attrs.username, fixed!.attrs.password, fixed!.attrs.expires], ["u", "p", undefined]);
});

test("a type selects services and is echoed (§3.2)", (t) => {
  const r = servicesResult([STUN, TURN, TURNS], "turns", "bob@localhost", 0, 60);
  t.is(r.attrs.type, "turns");
  t.deepEqual(r.getChildren("service").map((s) => s.attrs.port), ["5349"]);
  t.is(servicesResult([STUN], "turn", "bob@localhost", 0, 60).getChildren("service").length, 0);
});

test("a credentials request matches host and type, the port when given, and only services with credentials (§3.3)", (t) => {
  const all = [STUN, TURN, TURNS, FIXED];
  t.deepEqual(matchCredentials(all, { host: "turn.example.org", type: "turn" }), [TURN]);
  t.deepEqual(matchCredentials(all, { host: "turn.example.org", type: "turns", port: "5349" }), [TURNS]);
  t.deepEqual(matchCredentials(all, { host: "turn.example.org", type: "turns", port: "1" }), []);
  t.deepEqual(matchCredentials(all, { host: "stun.example.org", type: "stun" }), [], "no credentials to give");
  t.is(credentialsFor(STUN, "bob@localhost", 0, 60), null);
});
