import test from "ava";
import { randomBytes } from "node:crypto";
import { scramMechanism } from "../../src/sasl/scram.js";
import type { SaslStep } from "../../src/sasl/types.js";
import { context, credentials, runScram, TestScramClient, text } from "./sasl-helpers.js";

const PASSWORD = "correct horse";

async function setup(hash: "SHA-1" | "SHA-256" = "SHA-256", opts: { decoyIterations?: number } = {}) {
  const stored = await credentials(PASSWORD);
  const ctx = context({ juliet: stored });
  return { ctx, mech: scramMechanism(hash, false, opts), stored };
}

const nodeHash = (h: "SHA-1" | "SHA-256") => (h === "SHA-1" ? "sha1" : "sha256") as "sha1" | "sha256";

for (const hash of ["SHA-1", "SHA-256"] as const) {
  test(`SCRAM-${hash}: a full exchange succeeds and proves the server knows the keys`, async (t) => {
    const { ctx, mech } = await setup(hash);
    const client = new TestScramClient(nodeHash(hash), PASSWORD, { username: "juliet" });
    const result = await runScram(mech.start(ctx), client);
    t.like(result, { kind: "success", username: "juliet" });
    t.is(text(result), client.expectedServerFinal());
  });
}

test("the server nonce extends the client's with 18+ random bytes, different every time", async (t) => {
  const { ctx, mech } = await setup();
  const nonces = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const first = text(await mech.start(ctx).step(Buffer.from("n,,n=juliet,r=abc")));
    const r = first.split(",")[0]!.slice(2);
    t.true(r.startsWith("abc"));
    t.true(Buffer.from(r.slice(3), "base64").length >= 18);
    nonces.add(r);
  }
  t.is(nonces.size, 3);
});

test("unknown user: same shape, stable salt, and the same failure as a wrong password", async (t) => {
  const { ctx, mech, stored } = await setup("SHA-256", { decoyIterations: 4096 });
  const firstOf = async (user: string) => text(await mech.start(ctx).step(Buffer.from(`n,,n=${user},r=abc`)));
  const real = Object.fromEntries((await firstOf("juliet")).split(",").map((a) => [a[0], a.slice(2)]));
  const ghost1 = Object.fromEntries((await firstOf("ghost")).split(",").map((a) => [a[0], a.slice(2)]));
  const ghost2 = Object.fromEntries((await firstOf("ghost")).split(",").map((a) => [a[0], a.slice(2)]));
  t.is(real.s, stored["SCRAM-SHA-256"].salt);
  t.is(ghost1.s, ghost2.s, "a decoy salt is as stable as a real one");
  t.not(ghost1.s, real.s);
  t.is(Buffer.from(ghost1.s!, "base64").length, Buffer.from(real.s!, "base64").length);
  t.is(ghost1.i, real.i);

  const wrong = await runScram(mech.start(ctx), new TestScramClient("sha256", "wrong", { username: "juliet" }));
  const ghost = await runScram(mech.start(ctx), new TestScramClient("sha256", "wrong", { username: "ghost" }));
  t.deepEqual({ ...wrong, username: "x" }, { ...ghost, username: "x" });
  t.like(wrong, { kind: "failure", condition: "not-authorized", username: "juliet" });
  t.like(ghost, { kind: "failure", condition: "not-authorized", username: "ghost" });
});

test("damaged stored keys behave like a missing account", async (t) => {
  const stored = await credentials(PASSWORD);
  const broken = { ...stored, "SCRAM-SHA-256": { ...stored["SCRAM-SHA-256"], storedKey: "not base64!" } };
  const ctx = context({ juliet: broken });
  const result = await runScram(scramMechanism("SHA-256", false).start(ctx),
    new TestScramClient("sha256", PASSWORD, { username: "juliet" }));
  t.like(result, { kind: "failure", condition: "not-authorized", username: "juliet" });
});

test("a storage error is a temporary-auth-failure carrying the username, not an exception", async (t) => {
  const ctx = { ...context({}), lookup: async () => { throw new Error("database is locked"); } };
  const result = await scramMechanism("SHA-256", false).start(ctx).step(Buffer.from("n,,n=Juliet,r=abc"));
  t.like(result, { kind: "failure", condition: "temporary-auth-failure", username: "juliet" });
});

test("no initial response: an empty challenge first, then the exchange proceeds", async (t) => {
  const { ctx, mech } = await setup();
  const ex = mech.start(ctx);
  const client = new TestScramClient("sha256", PASSWORD, { username: "juliet" });
  const empty = await ex.step(Buffer.alloc(0));
  t.is(empty.kind, "challenge");
  t.is(text(empty), "");
  t.like(await runScram(ex, client), { kind: "success" });

  const twice = mech.start(ctx);
  await twice.step(Buffer.alloc(0));
  t.like(await twice.step(Buffer.alloc(0)), { kind: "failure", condition: "malformed-request" });
});

test("after success or failure the exchange accepts nothing more", async (t) => {
  const { ctx, mech } = await setup();
  const ex = mech.start(ctx);
  t.like(await runScram(ex, new TestScramClient("sha256", PASSWORD, { username: "juliet" })), { kind: "success" });
  t.like(await ex.step(Buffer.from("n,,n=juliet,r=abc")), { kind: "failure", condition: "malformed-request" });
});

test("a second step while one is running is refused", async (t) => {
  const { ctx, mech } = await setup();
  const ex = mech.start(ctx);
  const [a, b] = await Promise.all([ex.step(Buffer.from("n,,n=juliet,r=abc")), ex.step(Buffer.from("n,,n=juliet,r=abc"))]);
  t.is(a.kind, "challenge");
  t.like(b, { kind: "failure", condition: "malformed-request" });
});

const badFirst: [string, Buffer | string, string][] = [
  ["garbage", "hello", "malformed-request"],
  ["unknown cbind flag", "x,,n=juliet,r=abc", "malformed-request"],
  ["no gs2 header", "n=juliet,r=abc", "malformed-request"],
  ["gs2 header without second comma", "n,n=juliet,r=abc", "malformed-request"],
  ["missing nonce", "n,,n=juliet", "malformed-request"],
  ["missing username", "n,,r=abc", "malformed-request"],
  ["empty username", "n,,n=,r=abc", "malformed-request"],
  ["bad = escape in username", "n,,n=jul=2Xiet,r=abc", "malformed-request"],
  ["trailing = in username", "n,,n=juliet=,r=abc", "malformed-request"],
  ["empty nonce", "n,,n=juliet,r=", "malformed-request"],
  ["space in nonce", "n,,n=juliet,r=a b", "malformed-request"],
  ["overlong nonce", `n,,n=juliet,r=${"a".repeat(2000)}`, "malformed-request"],
  ["mandatory extension", "n,,m=x,n=juliet,r=abc", "malformed-request"],
  ["malformed extension", "n,,n=juliet,r=abc,zz", "malformed-request"],
  ["empty authzid", "n,a=,n=juliet,r=abc", "malformed-request"],
  ["empty cb-name", "p=,,n=juliet,r=abc", "malformed-request"],
  ["bad cb-name", "p=tls_x,,n=juliet,r=abc", "malformed-request"],
  ["NUL in username", "n,,n=jul\0iet,r=abc", "malformed-request"],
  ["huge message", `n,,n=${"a".repeat(100_000)},r=abc`, "malformed-request"],
  ["invalid UTF-8", Buffer.from([0x6e, 0x2c, 0x2c, 0x6e, 0x3d, 0xc3, 0x28, 0x2c, 0x72, 0x3d, 0x61]), "incorrect-encoding"],
  ["overlong UTF-8", Buffer.concat([Buffer.from("n,,n="), Buffer.from([0xc0, 0xaf]), Buffer.from(",r=a")]), "incorrect-encoding"],
  ["username PRECIS rejects (space)", "n,,n=foo bar,r=abc", "not-authorized"],
  ["username PRECIS rejects (symbol)", "n,,n=\u265a,r=abc", "not-authorized"],
  ["p flag on a non-PLUS mechanism", "p=tls-exporter,,n=juliet,r=abc", "malformed-request"],
];

for (const [name, input, condition] of badFirst) {
  test(`client-first: ${name} -> ${condition}`, async (t) => {
    const { ctx, mech } = await setup();
    const result = await mech.start(ctx).step(typeof input === "string" ? Buffer.from(input) : input);
    t.like(result, { kind: "failure", condition });
    t.deepEqual(ctx.lookups, [], "nothing malformed reaches storage");
  });
}

/** The client-final message of a good exchange, rewritten by `edit`. */
async function finalWith(edit: (good: string, serverFirst: string) => string | Buffer): Promise<SaslStep> {
  const { ctx, mech } = await setup();
  const ex = mech.start(ctx);
  const client = new TestScramClient("sha256", PASSWORD, { username: "juliet" });
  const serverFirst = text(await ex.step(client.first()));
  const good = client.final(serverFirst).toString();
  const bad = edit(good, serverFirst);
  return ex.step(typeof bad === "string" ? Buffer.from(bad) : bad);
}

const badFinal: [string, (good: string, serverFirst: string) => string | Buffer, string][] = [
  ["garbage", () => "hello", "malformed-request"],
  ["empty", () => "", "malformed-request"],
  ["proof missing", (g) => g.slice(0, g.indexOf(",p=")), "malformed-request"],
  ["attributes out of order", (g) => { const [c, r, p] = g.split(","); return [r, c, p].join(","); }, "malformed-request"],
  ["mandatory extension", (g) => g.replace(",p=", ",m=x,p="), "malformed-request"],
  ["invalid base64 in c=", (g) => g.replace(/^c=[^,]*/, "c=bi*s"), "incorrect-encoding"],
  ["non-canonical base64 in c=", (g) => g.replace(/^c=[^,]*/, "c=bix="), "incorrect-encoding"],
  ["invalid base64 in p=", (g) => g.replace(/p=.*$/, "p=%%%%"), "incorrect-encoding"],
  ["proof of the wrong length", (g) => g.replace(/p=.*$/, "p=AAAA"), "malformed-request"],
  ["wrong nonce", (g) => g.replace(/r=[^,]*/, "r=abcdef"), "not-authorized"],
  ["client nonce only", (g) => g.replace(/r=[^,]*/, "r=clientnonce0123456789"), "not-authorized"],
  ["c= claims another gs2 header", (g) => g.replace(/^c=[^,]*/, `c=${Buffer.from("y,,").toString("base64")}`), "not-authorized"],
  ["invalid UTF-8", () => Buffer.from([0x63, 0x3d, 0xff, 0xfe]), "incorrect-encoding"],
  ["huge", (g) => g.replace(",p=", `,x=${"a".repeat(100_000)},p=`), "malformed-request"],
];

for (const [name, edit, condition] of badFinal) {
  test(`client-final: ${name} -> ${condition}`, async (t) => {
    t.like(await finalWith(edit), { kind: "failure", condition, username: "juliet" });
  });
}

test("unknown optional extensions in client-final are ignored (RFC 5802 §5.1) but covered by the proof", async (t) => {
  const { ctx, mech } = await setup();
  const ex = mech.start(ctx);
  const client = new TestScramClient("sha256", PASSWORD, { username: "juliet" });
  const serverFirst = text(await ex.step(client.first()));
  const good = client.final(serverFirst).toString();
  // Inserted after the proof was computed: the AuthMessage differs, so the proof no longer matches.
  t.like(await ex.step(Buffer.from(good.replace(",p=", ",x=1,p="))), { kind: "failure", condition: "not-authorized" });
});

test("random bytes never make a step throw", async (t) => {
  const { ctx, mech } = await setup();
  for (let i = 0; i < 300; i++) {
    const junk = randomBytes(i % 97);
    const first = await mech.start(ctx).step(junk);
    t.true(first.kind === "failure" || first.kind === "challenge");
    const ex = mech.start(ctx);
    await ex.step(Buffer.from("n,,n=juliet,r=abc"));
    const final = await ex.step(Buffer.concat([Buffer.from("c=biws,r="), junk]));
    t.is(final.kind, "failure");
  }
});
