import test from "ava";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { cert } from "../../src/cli/cert.js";
import { configFile, fakeIO } from "./cli-helpers.js";

test("cert makes the missing self-signed certificate, then describes it; a second run only describes", async (t) => {
  const file = configFile("hosts:\n  chat.example:\ncertsDir: tls\n");
  const crt = join(dirname(file), "tls", "chat.example.crt");
  const io = fakeIO();
  t.is(await cert(file, io), 0);
  t.true(existsSync(crt));
  const out = io.out();
  t.true(out.startsWith(`created a self-signed certificate for chat.example (missing): ${crt}\n`));
  t.regex(out, /^chat\.example \(self-signed\)$/m);
  t.regex(out, new RegExp(`^  certificate: ${crt.replace(/[.]/g, "\\.")}$`, "m"));
  t.regex(out, /^  subject:     CN=chat\.example$/m);
  t.regex(out, /^  names:       chat\.example, \*\.chat\.example$/m);
  t.regex(out, /^  expires:     \d{4}-\d\d-\d\dT.* \((364|365) days left\)$/m);
  t.regex(io.err(), /note: chat\.example uses a self-signed certificate/);
  const again = fakeIO();
  t.is(await cert(file, again), 0);
  t.false(again.out().includes("created"));
  t.regex(again.out(), /^chat\.example \(self-signed\)$/m);
});
