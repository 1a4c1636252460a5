import test from "ava";
import { plainMechanism } from "../../src/sasl/plain.js";
import { context, credentials } from "./sasl-helpers.js";

const msg = (authzid: string, authcid: string, password: string) => Buffer.from(`${authzid}\0${authcid}\0${password}`);

async function setup() {
  const ctx = context({ juliet: await credentials("pässword \u00bd") });
  return { ctx, mech: plainMechanism() };
}

test("PLAIN succeeds with the right password (prepared: NFC of the same characters)", async (t) => {
  const { ctx, mech } = await setup();
  t.deepEqual(await mech.start(ctx).step(msg("", "juliet", "pässword \u00bd")), { kind: "success", username: "juliet" });
  // Decomposed ä composes under NFC (RFC 8265 §4.2.2 rule 4); the non-ASCII space maps to U+0020 (rule 2).
  t.like(await mech.start(ctx).step(msg("", "Juliet", "pa\u0308ssword\u00a0\u00bd")), { kind: "success", username: "juliet" });
});

test("PLAIN fails alike for a wrong password and an unknown user, naming the username", async (t) => {
  const { ctx, mech } = await setup();
  const wrong = await mech.start(ctx).step(msg("", "juliet", "password"));
  const ghost = await mech.start(ctx).step(msg("", "ghost", "password"));
  t.like(wrong, { kind: "failure", condition: "not-authorized", username: "juliet" });
  t.like(ghost, { kind: "failure", condition: "not-authorized", username: "ghost" });
  t.deepEqual({ ...wrong, username: "" }, { ...ghost, username: "" });
  // The password is not case-mapped (RFC 8265 §4.2.2 rule 3).
  t.like(await mech.start(ctx).step(msg("", "juliet", "PÄSSWORD \u00bd")), { kind: "failure", condition: "not-authorized" });
});

test("PLAIN authzid: the account's own bare JID or nothing", async (t) => {
  const { ctx, mech } = await setup();
  t.like(await mech.start(ctx).step(msg("juliet@example.com", "juliet", "pässword \u00bd")), { kind: "success" });
  t.like(await mech.start(ctx).step(msg("romeo@example.com", "juliet", "pässword \u00bd")),
    { kind: "failure", condition: "invalid-authzid", username: "juliet" });
  t.like(await mech.start(ctx).step(msg("juliet@example.com/balcony", "juliet", "pässword \u00bd")),
    { kind: "failure", condition: "invalid-authzid" });
  // A wrong password is not-authorized whatever the authzid, so the authzid check reveals nothing.
  t.like(await mech.start(ctx).step(msg("romeo@example.com", "juliet", "x")), { kind: "failure", condition: "not-authorized" });
});

test("PLAIN is offered only on encrypted streams, unless the listener allows plaintext", (t) => {
  const mech = plainMechanism();
  t.true(mech.available(context({}, { secure: true }), false));
  t.false(mech.available(context({}, { secure: false }), false));
  t.true(mech.available(context({}, { secure: false }), true));
});

test("PLAIN without an initial response asks with an empty challenge, once", async (t) => {
  const { ctx, mech } = await setup();
  const ex = mech.start(ctx);
  t.like(await ex.step(Buffer.alloc(0)), { kind: "challenge" });
  t.like(await ex.step(msg("", "juliet", "pässword \u00bd")), { kind: "success" });
  const twice = mech.start(ctx);
  await twice.step(Buffer.alloc(0));
  t.like(await twice.step(Buffer.alloc(0)), { kind: "failure", condition: "malformed-request" });
  t.like(await twice.step(msg("", "juliet", "pässword \u00bd")), { kind: "failure", condition: "malformed-request" },
    "nothing after the end");
});

const bad: [string, Buffer, string][] = [
  ["garbage without NULs", Buffer.from("hello"), "malformed-request"],
  ["one NUL", Buffer.from("juliet\0secret"), "malformed-request"],
  ["three NULs", Buffer.from("\0juliet\0sec\0ret"), "malformed-request"],
  ["empty authcid", msg("", "", "secret"), "malformed-request"],
  ["empty password", msg("", "juliet", ""), "malformed-request"],
  ["huge", msg("", "juliet", "x".repeat(100_000)), "malformed-request"],
  ["invalid UTF-8 password", Buffer.concat([Buffer.from("\0juliet\0"), Buffer.from([0xff, 0xfe])]), "incorrect-encoding"],
  ["invalid UTF-8 authcid", Buffer.concat([Buffer.from("\0"), Buffer.from([0xc3]), Buffer.from("\0pw")]), "incorrect-encoding"],
  ["username PRECIS rejects", msg("", "foo bar", "secret"), "not-authorized"],
  ["password PRECIS rejects (control character)", msg("", "juliet", "secret\u0007"), "not-authorized"],
];
for (const [name, input, condition] of bad) {
  test(`PLAIN: ${name} -> ${condition}`, async (t) => {
    const { ctx, mech } = await setup();
    t.like(await mech.start(ctx).step(input), { kind: "failure", condition });
  });
}

test("PLAIN: a storage error is temporary-auth-failure, not an exception", async (t) => {
  const ctx = { ...context({}), lookup: async () => { throw new Error("disk on fire"); } };
  t.like(await plainMechanism().start(ctx).step(msg("", "juliet", "x")),
    { kind: "failure", condition: "temporary-auth-failure", username: "juliet" });
});
