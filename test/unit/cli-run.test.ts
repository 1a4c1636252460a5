import test from "ava";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/run.js";
import { EXAMPLE_CONFIG_PATH } from "../../src/config/ensure.js";
import { configFile, fakeAccounts, fakeIO, TWO_HOSTS } from "./cli-helpers.js";

test("no command: usage on stderr, exit 2; --help: usage on stdout, exit 0", async (t) => {
  const accounts = fakeAccounts();
  const start = async () => 0;
  const bad = fakeIO();
  t.is(await runCli([], bad, { openAccounts: accounts.open, start }), 2);
  t.regex(bad.err(), /^palaver: no command given\n\nUsage: palaver/);
  const help = fakeIO();
  t.is(await runCli(["--help"], help, { openAccounts: accounts.open, start }), 0);
  t.regex(help.out(), /^Usage: palaver \[--config FILE\] <command>/);
});

test("start on a fresh directory copies the example config, says so, then starts with it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "palaver-run-"));
  const path = join(dir, "palaver.yaml");
  const started: string[] = [];
  const io = fakeIO();
  const code = await runCli(["--config", path, "start"], io, {
    openAccounts: fakeAccounts().open,
    start: async (p) => { started.push(p); return 0; },
  });
  t.is(code, 0);
  t.deepEqual(started, [path]);
  t.true(existsSync(path));
  t.is(readFileSync(path, "utf8"), readFileSync(EXAMPLE_CONFIG_PATH, "utf8"));
  t.regex(io.err(), /no configuration found: created .*palaver\.yaml from the example/);
});

test("account commands reach the given account store", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts();
  const io = fakeIO({ stdin: "pw\n" });
  t.is(await runCli(["-c", file, "adduser", "eve@example.org"], io, { openAccounts: accounts.open, start: async () => 0 }), 0);
  t.is(accounts.passwords.get("eve@example.org"), "pw");
  const list = fakeIO();
  t.is(await runCli(["-c", file, "users"], list, { openAccounts: accounts.open, start: async () => 0 }), 0);
  t.is(list.out(), "eve@example.org\n");
});
