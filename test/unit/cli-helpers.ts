/** Shared by the cli-* tests: an in-memory terminal and an in-memory account store. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import type { CliAccounts, CliIO, OpenAccounts } from "../../src/cli/types.js";
import { jid as makeJid, type Jid } from "../../src/jid.js";

export interface FakeIO extends CliIO {
  out(): string;
  err(): string;
  /** Feed what the user types (for the TTY case) or what is piped. */
  type(text: string): void;
  end(): void;
  rawModes: boolean[];
}

function collector(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } });
  return { stream, text: () => text };
}

export function fakeIO(opts: { tty?: boolean; stdin?: string } = {}): FakeIO {
  const stdin = new PassThrough() as PassThrough & { setRawMode?: (raw: boolean) => void };
  const rawModes: boolean[] = [];
  if (opts.tty) stdin.setRawMode = (raw: boolean) => { rawModes.push(raw); };
  if (opts.stdin !== undefined) { stdin.write(opts.stdin); stdin.end(); }
  const out = collector();
  const err = collector();
  return {
    stdin, stdout: out.stream, stderr: err.stream, isTTY: opts.tty ?? false,
    out: out.text, err: err.text, rawModes,
    type: (text) => stdin.write(text),
    end: () => stdin.end(),
  };
}

export interface FakeAccounts {
  open: OpenAccounts;
  passwords: Map<string, string>;
  opened: number;
  closed: number;
}

export function fakeAccounts(initial: Record<string, string> = {}): FakeAccounts {
  const state: FakeAccounts = { passwords: new Map(Object.entries(initial)), opened: 0, closed: 0, open: async () => accounts };
  const accounts: CliAccounts = {
    exists: async (j: Jid) => state.passwords.has(j.bare),
    create: async (j: Jid, password: string) => {
      if (state.passwords.has(j.bare)) return { ok: false, error: "conflict" };
      if (password.includes("\u0000")) return { ok: false, error: "bad-password" };
      state.passwords.set(j.bare, password);
      return { ok: true };
    },
    setPassword: async (j: Jid, password: string) => {
      if (!state.passwords.has(j.bare)) return { ok: false, error: "not-found" };
      state.passwords.set(j.bare, password);
      return { ok: true };
    },
    delete: async (j: Jid) => state.passwords.delete(j.bare),
    list: async (domain?: string) =>
      [...state.passwords.keys()].map((b) => makeJid(b)).filter((j) => domain === undefined || j.domain === domain),
    close: async () => { state.closed++; },
  };
  state.open = async () => { state.opened++; return accounts; };
  return state;
}

/** A config file in a fresh temporary directory. */
export function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "palaver-cli-"));
  const file = join(dir, "palaver.yaml");
  writeFileSync(file, text);
  return file;
}

export const TWO_HOSTS = "hosts:\n  localhost:\n  example.org:\nmodules:\n  ping:\n  disco:\n";
