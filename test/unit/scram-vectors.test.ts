import test from "ava";
import { scramKeys } from "../../src/sasl/credentials.js";
import { scramMechanism } from "../../src/sasl/scram.js";
import { context, text } from "./sasl-helpers.js";

// RFC 5802 §5: SCRAM-SHA-1, user "user", password "pencil".
test("RFC 5802 §5 SCRAM-SHA-1 example, byte for byte", async (t) => {
  const keys = await scramKeys("SHA-1", "pencil", Buffer.from("QSXCR+Q6sek8bf92", "base64"), 4096);
  const mech = scramMechanism("SHA-1", false, { serverNonce: () => "3rfcNHYJY1ZVvWVs7j" });
  const ctx = context({ user: { "SCRAM-SHA-1": keys, "SCRAM-SHA-256": keys } });
  const ex = mech.start(ctx);

  const first = await ex.step(Buffer.from("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"));
  t.is(text(first), "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  t.is(first.kind, "challenge");

  const final = await ex.step(Buffer.from(
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="));
  t.is(final.kind, "success");
  t.is(text(final), "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
  t.deepEqual(ctx.lookups, ["user"]);
  if (final.kind === "success") t.is(final.username, "user");
});

// RFC 7677 §3: SCRAM-SHA-256, same user and password.
test("RFC 7677 §3 SCRAM-SHA-256 example, byte for byte", async (t) => {
  const keys = await scramKeys("SHA-256", "pencil", Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64"), 4096);
  const mech = scramMechanism("SHA-256", false, { serverNonce: () => "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" });
  const ex = mech.start(context({ user: { "SCRAM-SHA-1": keys, "SCRAM-SHA-256": keys } }));

  const first = await ex.step(Buffer.from("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  t.is(text(first), "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");

  const final = await ex.step(Buffer.from(
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
  t.is(final.kind, "success");
  t.is(text(final), "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
});

test("RFC 7677 vector with one proof bit flipped fails", async (t) => {
  const keys = await scramKeys("SHA-256", "pencil", Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64"), 4096);
  const mech = scramMechanism("SHA-256", false, { serverNonce: () => "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" });
  const ex = mech.start(context({ user: { "SCRAM-SHA-1": keys, "SCRAM-SHA-256": keys } }));
  await ex.step(Buffer.from("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  const final = await ex.step(Buffer.from(
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVU="));
  t.like(final, { kind: "failure", condition: "not-authorized", username: "user" });
});
