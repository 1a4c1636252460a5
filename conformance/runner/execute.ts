/**
 * Run one scripted conversation against a live server: prepare the declared accounts, then play the steps in
 * order, each client on its own connection. The first step that does not go as written ends the run and is
 * reported with its line and, for a mismatch, both the expected and the received XML.
 */
import type { Element } from "ltx";
import { Connection, ConnectionError, escapeAttr, type Endpoint } from "./connection.js";
import { parseStanzas, type ClientDecl, type Script, type Step } from "./script.js";
import { matchSequence, ScriptError } from "./xml-match.js";

/** The server a script runs against. */
export interface Target {
  domain: string;
  host: string;
  ports: { plain: number; starttls: number; directTls: number };
  /** The server's certificate (PEM), trusted for STARTTLS and Direct TLS. */
  ca?: string;
  /** Create the account afresh with this password (removing what it had), or remove it when password is null. */
  prepareAccount(jid: string, password: string | null): Promise<void>;
  /** Ids of the modules the server runs. */
  enabledModules: ReadonlySet<string>;
}

export interface RunOptions {
  /** Longest wait for an expected stanza, a login step or a close. */
  timeoutMs?: number;
  /** How long "receives nothing" listens. */
  quietMs?: number;
}

export type Outcome =
  | { status: "pass" }
  | { status: "skip"; reason: string }
  | { status: "fail"; message: string; line?: number };

interface Live {
  decl: ClientDecl;
  conn: Connection | null;
  /** Bound full JID once connected. */
  full: string | null;
}

class StepFailure extends Error {}

const show = (els: Element[]) => els.map((e) => e.toString()).join("\n");
const indent = (s: string) => s.split("\n").map((l) => `      ${l}`).join("\n");

export async function runScript(script: Script, target: Target, opts: RunOptions = {}): Promise<Outcome> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const quietMs = opts.quietMs ?? 500;
  const missing = script.modules.filter((m) => !target.enabledModules.has(m));
  if (missing.length) return { status: "skip", reason: `module${missing.length > 1 ? "s" : ""} not enabled: ${missing.join(", ")}` };

  const clients = new Map<string, Live>(script.clients.map((c) => [c.name, { decl: c, conn: null, full: null }]));
  const captures = new Map<string, string>();

  const variable = (name: string): string | undefined => {
    if (name === "domain") return target.domain;
    const dot = name.indexOf(".");
    if (dot === -1) return captures.get(name);
    const c = clients.get(name.slice(0, dot));
    if (!c) return undefined;
    const [bare, resource] = splitJid(c.decl.jid);
    switch (name.slice(dot + 1)) {
      case "bare": return bare;
      case "local": return bare.slice(0, bare.indexOf("@"));
      case "password": return c.decl.password;
      // RFC 4616 initial response (authzid empty, authcid, password), base64 as RFC 6120 §6.4.2 sends it.
      case "plain": return Buffer.from(`\0${bare.slice(0, bare.indexOf("@"))}\0${c.decl.password}`).toString("base64");
      case "full": return c.full ?? undefined;
      case "resource": return c.full ? c.full.slice(c.full.indexOf("/") + 1) : resource ?? undefined;
      default: return undefined;
    }
  };
  const substitute = (text: string): string => text.replace(/\$\{([A-Za-z_][\w.-]*)\}/g, (_m, name: string) => {
    const v = variable(name);
    if (v === undefined) throw new ScriptError(`unknown variable \${${name}}${name.endsWith(".full") ? " (is the client connected?)" : ""}`);
    return escapeAttr(v);
  });

  const endpoint = (decl: ClientDecl): Endpoint => ({
    domain: target.domain, host: target.host, ca: target.ca, via: decl.via,
    port: decl.via === "plain" ? target.ports.plain : decl.via === "starttls" ? target.ports.starttls : target.ports.directTls,
  });

  const connected = (step: Step): Live & { conn: Connection } => {
    const c = clients.get(step.client)!;
    if (!c.conn) throw new ScriptError(`${step.client} is not connected`);
    return c as Live & { conn: Connection };
  };

  const noLeftovers = (c: Live, when: string) => {
    const left = c.conn?.pending() ?? [];
    if (left.length) throw new StepFailure(`${c.decl.name} received what the script does not expect ${when}:\n${indent(show(left))}`);
  };

  const runStep = async (step: Step): Promise<void> => {
    const c = clients.get(step.client)!;
    switch (step.kind) {
      case "connect":
      case "open": {
        if (step.kind === "open" && c.conn) {
          // On an open connection: a stream restart (RFC 6120 §4.3.3), e.g. after a scripted SASL success.
          noLeftovers(c, "before restarting the stream");
          c.conn.requeue(await c.conn.restart(timeoutMs));
          return;
        }
        if (c.conn) throw new ScriptError(`${step.client} is already connected`);
        const conn = await Connection.open(endpoint(c.decl));
        c.conn = conn;
        if (step.kind === "open") {
          // The features are left to be read by the script's next "receives".
          const features = await conn.negotiate(timeoutMs);
          conn.requeue(features);
          return;
        }
        const [bare, resource] = splitJid(c.decl.jid);
        c.full = await conn.login(bare.slice(0, bare.indexOf("@")), c.decl.password, resource, timeoutMs);
        return;
      }
      case "send": {
        const { conn } = connected(step);
        const text = substitute(step.xml);
        conn.send(step.raw ? text : parseStanzas(text).map((e) => e.toString()).join(""));
        return;
      }
      case "receive": {
        const { conn } = connected(step);
        // Variables in expected XML are resolved by the matcher (so a value is never read as a marker); the
        // substituted text is only for messages.
        const expected = parseStanzas(step.xml);
        const shown = (() => { try { return parseStanzas(substitute(step.xml)); } catch { return expected; } })();
        const got: Element[] = [];
        while (got.length < step.count) {
          const i = await conn.next(timeoutMs);
          if (!i) {
            throw new StepFailure(`nothing received within ${timeoutMs / 1000} s${got.length ? ` after ${got.length} of ${step.count} stanzas` : ""}; expected:\n${indent(show(shown))}` +
              (got.length ? `\n    received so far:\n${indent(show(got))}` : ""));
          }
          if (i.kind === "end") {
            throw new StepFailure(`${i.how} instead; expected:\n${indent(show(shown))}${got.length ? `\n    received before:\n${indent(show(got))}` : ""}`);
          }
          got.push(i.el);
        }
        const r = matchSequence(expected, got, { exact: step.exact, variable }, step.anyOrder, captures);
        if (!r.ok) {
          throw new StepFailure(`mismatch at ${r.path}: ${r.reason}\n    expected:\n${indent(show(shown))}\n    received:\n${indent(show(got))}`);
        }
        for (const [k, v] of r.bindings) captures.set(k, v);
        return;
      }
      case "nothing": {
        const { conn } = connected(step);
        const i = await conn.next(quietMs);
        if (!i) return;
        throw new StepFailure(i.kind === "end" ? `expected nothing, but the ${i.how}` : `expected nothing, received:\n${indent(i.el.toString())}`);
      }
      case "disconnect": {
        const live = connected(step);
        noLeftovers(live, "before disconnecting");
        const clean = await live.conn.close(timeoutMs);
        c.conn = null;
        c.full = null;
        if (!clean) throw new StepFailure(`the server did not close its side of the stream within ${timeoutMs / 1000} s (RFC 6120 §4.4)`);
        return;
      }
      case "disconnected": {
        const { conn } = connected(step);
        const i = await conn.next(timeoutMs);
        if (!i) throw new StepFailure(`the stream stayed open for ${timeoutMs / 1000} s`);
        if (i.kind === "element") throw new StepFailure(`received instead of the stream closing:\n${indent(i.el.toString())}`);
        conn.destroy();
        c.conn = null;
        c.full = null;
        return;
      }
    }
  };

  let current: Step | null = null;
  try {
    for (const decl of script.clients) await target.prepareAccount(splitJid(decl.jid)[0], decl.account === "created" ? decl.password : null);
    for (const step of script.steps) {
      current = step;
      await runStep(step);
    }
    current = null;
    for (const c of clients.values()) {
      if (!c.conn) continue;
      noLeftovers(c, "by the end of the script");
      const clean = await c.conn.close(timeoutMs);
      c.conn = null;
      if (!clean) throw new StepFailure(`the server did not close ${c.decl.name}'s stream within ${timeoutMs / 1000} s (RFC 6120 §4.4)`);
    }
    return { status: "pass" };
  } catch (err) {
    const where = current ? `line ${current.line}: ${current.text}\n    ` : "";
    const kind = err instanceof ScriptError ? "script error: " : err instanceof StepFailure || err instanceof ConnectionError ? "" : "unexpected error: ";
    return { status: "fail", message: `${where}${kind}${(err as Error).message}`, line: current?.line };
  } finally {
    for (const c of clients.values()) c.conn?.destroy();
  }
}

/** "alice@localhost/phone" → ["alice@localhost", "phone"]; no resource → null. */
function splitJid(jid: string): [string, string | null] {
  const slash = jid.indexOf("/");
  return slash === -1 ? [jid, null] : [jid.slice(0, slash), jid.slice(slash + 1)];
}
