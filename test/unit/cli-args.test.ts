import test from "ava";
import { parseArgs, USAGE } from "../../src/cli/args.js";

const cwd = "/srv/palaver";

test("the config defaults to ./palaver.yaml; --config, -c and --config= set it", (t) => {
  t.deepEqual(parseArgs(["start"], cwd), { ok: true, configPath: "/srv/palaver/palaver.yaml", command: { name: "start" } });
  t.deepEqual(parseArgs(["--config", "/etc/palaver.yaml", "check-config"], cwd),
    { ok: true, configPath: "/etc/palaver.yaml", command: { name: "check-config" } });
  t.deepEqual(parseArgs(["-c", "conf/p.yaml", "cert"], cwd), { ok: true, configPath: "/srv/palaver/conf/p.yaml", command: { name: "cert" } });
  t.deepEqual(parseArgs(["users", "--config=x.yaml"], cwd), { ok: true, configPath: "/srv/palaver/x.yaml", command: { name: "users" } });
});

test("account commands take one address; users takes an optional host", (t) => {
  t.deepEqual(parseArgs(["adduser", "alice@localhost"], cwd),
    { ok: true, configPath: "/srv/palaver/palaver.yaml", command: { name: "adduser", jid: "alice@localhost" } });
  t.deepEqual(parseArgs(["passwd", "bob@localhost"], cwd),
    { ok: true, configPath: "/srv/palaver/palaver.yaml", command: { name: "passwd", jid: "bob@localhost" } });
  t.deepEqual(parseArgs(["deluser", "bob@localhost"], cwd),
    { ok: true, configPath: "/srv/palaver/palaver.yaml", command: { name: "deluser", jid: "bob@localhost" } });
  t.deepEqual(parseArgs(["users", "example.org"], cwd),
    { ok: true, configPath: "/srv/palaver/palaver.yaml", command: { name: "users", domain: "example.org" } });
});

test("wrong usage says what is wrong", (t) => {
  t.deepEqual(parseArgs([], cwd), { ok: false, error: "no command given" });
  t.deepEqual(parseArgs(["strat"], cwd), { ok: false, error: 'unknown command "strat"' });
  t.deepEqual(parseArgs(["adduser"], cwd), { ok: false, error: "adduser needs an account address, like alice@example.org" });
  t.deepEqual(parseArgs(["adduser", "a@b", "c@d"], cwd), { ok: false, error: "too many arguments for adduser" });
  t.deepEqual(parseArgs(["start", "now"], cwd), { ok: false, error: "too many arguments for start" });
  t.deepEqual(parseArgs(["--config"], cwd), { ok: false, error: "--config needs a file name" });
  t.deepEqual(parseArgs(["--verbose", "start"], cwd), { ok: false, error: "unknown option --verbose" });
});

test("--help and help show the usage, which lists every command", (t) => {
  t.deepEqual(parseArgs(["--help"], cwd), { ok: true, configPath: "/srv/palaver/palaver.yaml", command: { name: "help" } });
  t.deepEqual(parseArgs(["help"], cwd), { ok: true, configPath: "/srv/palaver/palaver.yaml", command: { name: "help" } });
  for (const c of ["start", "adduser", "passwd", "deluser", "users", "check-config", "cert"]) {
    t.regex(USAGE, new RegExp(`^  ${c}\\b`, "m"), c);
  }
});
