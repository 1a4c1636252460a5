import test from "ava";
import { adduser } from "../../src/cli/accounts.js";
import { readNewPassword } from "../../src/cli/password.js";
import { configFile, fakeAccounts, fakeIO, TWO_HOSTS } from "./cli-helpers.js";

/** Let the reader attach its listener before the next keystrokes arrive. */
const tick = () => new Promise((r) => setImmediate(r));

test("on a terminal: raw mode, two prompts, nothing echoed, editing keys work", async (t) => {
  const io = fakeIO({ tty: true });
  const result = readNewPassword(io, "Password: ");
  await tick();
  io.type("hunterX\u007f2");       // backspace removes the X
  io.type("\u001b[D");             // an arrow key is ignored
  io.type("\r");
  await tick();
  io.type("hunter2\n");
  t.deepEqual(await result, { ok: true, password: "hunter2" });
  t.is(io.err(), "Password: \nAgain: \n");
  t.is(io.out(), "");
  t.deepEqual(io.rawModes, [true, false, true, false]);
});

test("on a terminal: passwords that differ, and Ctrl-C, are refused", async (t) => {
  const io = fakeIO({ tty: true });
  const differ = readNewPassword(io, "Password: ");
  await tick();
  io.type("one\r");
  await tick();
  io.type("two\r");
  t.deepEqual(await differ, { ok: false, error: "the passwords do not match" });
  const io2 = fakeIO({ tty: true });
  const cancelled = readNewPassword(io2, "Password: ");
  await tick();
  io2.type("abc\u0003");
  t.deepEqual(await cancelled, { ok: false, error: "cancelled" });
  t.deepEqual(io2.rawModes, [true, false], "raw mode is switched off again");
});

test("adduser on a terminal prompts for the account's password", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts();
  const io = fakeIO({ tty: true });
  const code = adduser(file, "dana@localhost", io, accounts.open);
  // Wait until the prompt is shown, then type.
  while (!io.err().includes("Password for dana@localhost: ")) await tick();
  io.type("pässwörd\r");
  while (!io.err().includes("Again: ")) await tick();
  io.type("pässwörd\r");
  t.is(await code, 0);
  t.is(accounts.passwords.get("dana@localhost"), "pässwörd");
  t.is(io.out(), "created dana@localhost\n");
});
