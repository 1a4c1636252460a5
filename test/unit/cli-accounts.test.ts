import test from "ava";
import { adduser, deluser, passwd, users } from "../../src/cli/accounts.js";
import { configFile, fakeAccounts, fakeIO, TWO_HOSTS } from "./cli-helpers.js";

test("adduser reads the password from piped stdin (first line only) and creates the account", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts();
  const io = fakeIO({ stdin: "s3cret pass\nsecond line\n" });
  t.is(await adduser(file, "Alice@LocalHost", io, accounts.open), 0);
  t.is(accounts.passwords.get("alice@localhost"), "s3cret pass");
  t.is(io.out(), "created alice@localhost\n");
  t.is(io.err(), "");
  t.deepEqual([accounts.opened, accounts.closed], [1, 1]);
});

test("a password piped with CRLF or without a final newline", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts();
  t.is(await adduser(file, "a@localhost", fakeIO({ stdin: "windows\r\n" }), accounts.open), 0);
  t.is(await adduser(file, "b@localhost", fakeIO({ stdin: "no-newline" }), accounts.open), 0);
  t.is(accounts.passwords.get("a@localhost"), "windows");
  t.is(accounts.passwords.get("b@localhost"), "no-newline");
});

test("adduser of an existing account fails before asking for a password", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts({ "alice@localhost": "old" });
  const io = fakeIO({ stdin: "new\n" });
  t.is(await adduser(file, "alice@localhost", io, accounts.open), 1);
  t.is(io.err(), "error: alice@localhost already exists (use passwd to change its password)\n");
  t.is(accounts.passwords.get("alice@localhost"), "old");
  t.is(accounts.closed, 1);
});

test("an empty or missing password is refused", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts();
  const empty = fakeIO({ stdin: "\n" });
  t.is(await adduser(file, "alice@localhost", empty, accounts.open), 1);
  t.regex(empty.err(), /^error: the password is empty/);
  const none = fakeIO({ stdin: "" });
  t.is(await adduser(file, "alice@localhost", none, accounts.open), 1);
  t.regex(none.err(), /^error: no password on standard input/);
  t.is(accounts.passwords.size, 0);
});

test("a password the account store refuses is reported", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts();
  const io = fakeIO({ stdin: "bad\u0000pw\n" });
  t.is(await adduser(file, "alice@localhost", io, accounts.open), 1);
  t.regex(io.err(), /^error: this password is not allowed/);
});

test("addresses: invalid, a bare domain, a full JID, an unknown host", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts();
  const cases: [string, RegExp][] = [
    ["@localhost", /^error: "@localhost" is not a valid address: localpart: empty\n$/],
    ["localhost", /^error: "localhost" is a domain, not an account: write user@localhost\n$/],
    ["alice@localhost/phone", /^error: give the account's address without "\/phone": alice@localhost\n$/],
    ["alice@example.com", /^error: example\.com is not a host of this server \(hosts: localhost, example\.org\)\n$/],
  ];
  for (const [input, expected] of cases) {
    const io = fakeIO({ stdin: "pw\n" });
    t.is(await adduser(file, input, io, accounts.open), 1, input);
    t.regex(io.err(), expected, input);
  }
  t.is(accounts.opened, 0, "the store is not opened for a wrong address");
  t.is(accounts.passwords.size, 0);
});

test("an invalid config stops the command with its errors", async (t) => {
  const file = configFile("listeners:\n  - kind: c2s\n    port: nope\n");
  const io = fakeIO({ stdin: "pw\n" });
  t.is(await adduser(file, "alice@localhost", io, fakeAccounts().open), 1);
  t.regex(io.err(), /palaver\.yaml:3:11: listeners\[0\]\.port: expected a number, got the string "nope"\n1 problem in /);
});

test("storage that cannot be opened is a clear error", async (t) => {
  const file = configFile(TWO_HOSTS);
  const io = fakeIO({ stdin: "pw\n" });
  const open = async () => { throw new Error("database is locked"); };
  t.is(await adduser(file, "alice@localhost", io, open), 1);
  t.is(io.err(), "error: cannot open the account storage: database is locked\n");
});

test("passwd changes the password of an existing account, and fails for a missing one", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts({ "bob@example.org": "old" });
  const io = fakeIO({ stdin: "new-one\n" });
  t.is(await passwd(file, "bob@example.org", io, accounts.open), 0);
  t.is(accounts.passwords.get("bob@example.org"), "new-one");
  t.is(io.out(), "password of bob@example.org changed\n");
  const missing = fakeIO({ stdin: "x\n" });
  t.is(await passwd(file, "carol@example.org", missing, accounts.open), 1);
  t.is(missing.err(), "error: no such account: carol@example.org\n");
  t.false(accounts.passwords.has("carol@example.org"));
});

test("deluser removes an account; a missing one is an error", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts({ "bob@example.org": "pw" });
  const io = fakeIO();
  t.is(await deluser(file, "bob@example.org", io, accounts.open), 0);
  t.is(io.out(), "deleted bob@example.org\n");
  t.false(accounts.passwords.has("bob@example.org"));
  const again = fakeIO();
  t.is(await deluser(file, "bob@example.org", again, accounts.open), 1);
  t.is(again.err(), "error: no such account: bob@example.org\n");
  t.deepEqual([accounts.opened, accounts.closed], [2, 2]);
});

test("users lists accounts sorted, of every host or of one; an unknown host is an error", async (t) => {
  const file = configFile(TWO_HOSTS);
  const accounts = fakeAccounts({ "zed@localhost": "1", "amy@example.org": "2", "bob@localhost": "3" });
  const all = fakeIO();
  t.is(await users(file, undefined, all, accounts.open), 0);
  t.is(all.out(), "amy@example.org\nbob@localhost\nzed@localhost\n");
  const one = fakeIO();
  t.is(await users(file, "LOCALHOST", one, accounts.open), 0);
  t.is(one.out(), "bob@localhost\nzed@localhost\n");
  const unknown = fakeIO();
  t.is(await users(file, "example.com", unknown, accounts.open), 1);
  t.is(unknown.err(), "error: example.com is not a host of this server (hosts: localhost, example.org)\n");
  const empty = fakeIO();
  t.is(await users(file, "example.org", empty, fakeAccounts().open), 0);
  t.is(empty.out(), "");
  t.is(empty.err(), "no accounts on example.org\n");
});
