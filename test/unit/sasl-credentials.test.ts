import test from "ava";
import { deriveCredentials, verifyPassword } from "../../src/sasl/credentials.js";

test("deriveCredentials: both hashes, distinct random 16-byte salts, the asked iterations", async (t) => {
  const a = await deriveCredentials("pencil", 4096);
  const b = await deriveCredentials("pencil", 4096);
  if (!a.ok || !b.ok) return t.fail("derivation failed");
  const sha1 = a.credentials["SCRAM-SHA-1"];
  const sha256 = a.credentials["SCRAM-SHA-256"];
  t.is(sha1.iterations, 4096);
  t.is(Buffer.from(sha1.salt, "base64").length, 16);
  t.is(Buffer.from(sha256.salt, "base64").length, 16);
  t.not(sha1.salt, sha256.salt);
  t.not(sha256.salt, b.credentials["SCRAM-SHA-256"].salt);
  t.is(Buffer.from(sha1.storedKey, "base64").length, 20);
  t.is(Buffer.from(sha256.serverKey, "base64").length, 32);
  t.false(JSON.stringify(a).includes("pencil"));
});

test("verifyPassword accepts the password under both hashes and rejects others", async (t) => {
  const r = await deriveCredentials("Tr0ub4dor & 3", 4096);
  if (!r.ok) return t.fail();
  for (const hash of ["SHA-1", "SHA-256"] as const) {
    t.true(await verifyPassword("Tr0ub4dor & 3", r.credentials[`SCRAM-${hash}`], hash));
    t.false(await verifyPassword("Tr0ub4dor & 4", r.credentials[`SCRAM-${hash}`], hash));
    t.false(await verifyPassword("", r.credentials[`SCRAM-${hash}`], hash));
  }
  // Keys of one hash checked as the other never match (and do not throw).
  t.false(await verifyPassword("Tr0ub4dor & 3", r.credentials["SCRAM-SHA-1"], "SHA-256"));
});

test("passwords are OpaqueString-prepared: NFC and non-ASCII spaces, but no case mapping", async (t) => {
  const r = await deriveCredentials("caf\u00e9\u2003latte", 4096);
  if (!r.ok) return t.fail();
  const keys = r.credentials["SCRAM-SHA-256"];
  t.true(await verifyPassword("cafe\u0301 latte", keys, "SHA-256"));
  t.false(await verifyPassword("CAF\u00c9 LATTE", keys, "SHA-256"));
});

test("an invalid password is a typed error, not an exception", async (t) => {
  t.like(await deriveCredentials("", 4096), { ok: false, error: "invalid-password" });
  t.like(await deriveCredentials("tab\there", 4096), { ok: false, error: "invalid-password" });
  t.like(await deriveCredentials("zero\u200bwidth", 4096), { ok: false, error: "invalid-password" });
});

test("damaged stored keys never match and never throw", async (t) => {
  const r = await deriveCredentials("pencil", 4096);
  if (!r.ok) return t.fail();
  const keys = r.credentials["SCRAM-SHA-256"];
  t.false(await verifyPassword("pencil", { ...keys, iterations: 0 }, "SHA-256"));
  t.false(await verifyPassword("pencil", { ...keys, iterations: 1e12 }, "SHA-256"));
  t.false(await verifyPassword("pencil", { ...keys, salt: "***" }, "SHA-256"));
  t.false(await verifyPassword("pencil", { ...keys, storedKey: "AAAA" }, "SHA-256"));
});

test("key derivation runs off the event loop", async (t) => {
  let settled = false;
  const started = process.hrtime.bigint();
  const pending = deriveCredentials("pencil", 400_000).then((r) => { settled = true; return r; });
  const returnedAfterMs = Number(process.hrtime.bigint() - started) / 1e6;
  // The event loop turns while PBKDF2 runs: a synchronous derivation would be finished by now.
  await new Promise((resolve) => setImmediate(resolve));
  t.false(settled);
  const r = await pending;
  const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
  t.true(r.ok);
  t.true(returnedAfterMs < totalMs / 4, `the call returned after ${returnedAfterMs} ms of ${totalMs} ms`);
});
