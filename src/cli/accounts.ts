/** `palaver adduser | passwd | deluser | users`: account management from the command line. */
import type { Config } from "../config/schema.js";
import { parseJidGuarded } from "../config/rules.js";
import { prepDomain, type BareJid } from "../jid.js";
import { loadForCli, type Loaded } from "./load.js";
import { readNewPassword } from "./password.js";
import type { CliAccounts, CliIO, ExitCode, OpenAccounts } from "./types.js";

/** The account a command names: a bare JID with a localpart, on one of the configured hosts. */
export function accountJid(input: string, config: Config): { ok: true; jid: BareJid } | { ok: false; error: string } {
  const r = parseJidGuarded(input);
  if (!r.ok) return { ok: false, error: `"${input}" is not a valid address: ${r.error}` };
  const j = r.jid;
  if (j.local === "") return { ok: false, error: `"${input}" is a domain, not an account: write user@${j.domain}` };
  if (!j.isBare()) return { ok: false, error: `give the account's address without "/${j.resource}": ${j.bare}` };
  const hosts = Object.keys(config.hosts);
  if (!hosts.includes(j.domain)) {
    return { ok: false, error: `${j.domain} is not a host of this server (hosts: ${hosts.join(", ")})` };
  }
  return { ok: true, jid: j };
}

function fail(io: CliIO, message: string): ExitCode {
  io.stderr.write(`error: ${message}\n`);
  return 1;
}

/** Load the config, check the address, open the accounts, run `body`, always close. */
async function withAccount(
  configPath: string, input: string, io: CliIO, openAccounts: OpenAccounts,
  body: (accounts: CliAccounts, jid: BareJid, loaded: Loaded) => Promise<ExitCode>,
): Promise<ExitCode> {
  const loaded = loadForCli(configPath, io);
  if (!loaded) return 1;
  const jid = accountJid(input, loaded.config);
  if (!jid.ok) return fail(io, jid.error);
  return withAccounts(loaded, io, openAccounts, (accounts) => body(accounts, jid.jid, loaded));
}

async function withAccounts(
  loaded: Loaded, io: CliIO, openAccounts: OpenAccounts, body: (accounts: CliAccounts) => Promise<ExitCode>,
): Promise<ExitCode> {
  let accounts: CliAccounts;
  try {
    accounts = await openAccounts(loaded.config, loaded.dir);
  } catch (e) {
    return fail(io, `cannot open the account storage: ${(e as Error).message}`);
  }
  try {
    return await body(accounts);
  } finally {
    await accounts.close();
  }
}

export function adduser(configPath: string, input: string, io: CliIO, openAccounts: OpenAccounts): Promise<ExitCode> {
  return withAccount(configPath, input, io, openAccounts, async (accounts, jid) => {
    if (await accounts.exists(jid)) return fail(io, `${jid.bare} already exists (use passwd to change its password)`);
    const pw = await readNewPassword(io, `Password for ${jid.bare}: `);
    if (!pw.ok) return fail(io, pw.error);
    const r = await accounts.create(jid, pw.password);
    if (!r.ok) {
      switch (r.error) {
        case "conflict": return fail(io, `${jid.bare} already exists`);
        case "bad-username": return fail(io, `"${jid.local}" is not an allowed user name`);
        case "bad-password": return fail(io, "this password is not allowed (it contains characters passwords may not hold)");
      }
    }
    io.stdout.write(`created ${jid.bare}\n`);
    return 0;
  });
}

export function passwd(configPath: string, input: string, io: CliIO, openAccounts: OpenAccounts): Promise<ExitCode> {
  return withAccount(configPath, input, io, openAccounts, async (accounts, jid) => {
    if (!(await accounts.exists(jid))) return fail(io, `no such account: ${jid.bare}`);
    const pw = await readNewPassword(io, `New password for ${jid.bare}: `);
    if (!pw.ok) return fail(io, pw.error);
    const r = await accounts.setPassword(jid, pw.password);
    if (!r.ok) {
      return fail(io, r.error === "not-found"
        ? `no such account: ${jid.bare}`
        : "this password is not allowed (it contains characters passwords may not hold)");
    }
    io.stdout.write(`password of ${jid.bare} changed\n`);
    return 0;
  });
}

export function deluser(configPath: string, input: string, io: CliIO, openAccounts: OpenAccounts): Promise<ExitCode> {
  return withAccount(configPath, input, io, openAccounts, async (accounts, jid) => {
    if (!(await accounts.delete(jid))) return fail(io, `no such account: ${jid.bare}`);
    io.stdout.write(`deleted ${jid.bare}\n`);
    return 0;
  });
}

/** Every account, or those of one host: one bare JID per line, sorted. */
export async function users(configPath: string, domain: string | undefined, io: CliIO, openAccounts: OpenAccounts): Promise<ExitCode> {
  const loaded = loadForCli(configPath, io);
  if (!loaded) return 1;
  let host: string | undefined;
  if (domain !== undefined) {
    const d = prepDomain(domain);
    const hosts = Object.keys(loaded.config.hosts);
    if (!d.ok) return fail(io, `"${domain}" is not a valid domain: ${d.error}`);
    if (!hosts.includes(d.value)) return fail(io, `${d.value} is not a host of this server (hosts: ${hosts.join(", ")})`);
    host = d.value;
  }
  return withAccounts(loaded, io, openAccounts, async (accounts) => {
    const list = (await accounts.list(host)).map((j) => j.bare).sort();
    if (list.length === 0) io.stderr.write(host ? `no accounts on ${host}\n` : "no accounts\n");
    else io.stdout.write(`${list.join("\n")}\n`);
    return 0;
  });
}
