/**
 * The scripted-conversation format (`conformance/scripts/*.scs`): clients, then steps, each naming a client.
 * Parsing is separate from running so a malformed script is reported with its line before any server starts.
 * conformance/README.md documents the format for script authors.
 */
import type { Element } from "ltx";
import { StreamParser } from "../../src/xml/parser.js";
import { parseSpecRefs, type SpecRef } from "./spec-ref.js";

export type Via = "plain" | "starttls" | "direct-tls";

export interface ClientDecl {
  name: string;
  /** The account's JID as declared; a resource, when given, is requested at bind. */
  jid: string;
  password: string;
  via: Via;
  /** "created": the account is (re)created fresh before the script runs; "absent": it is removed (e.g. to register it). */
  account: "created" | "absent";
  line: number;
}

export type StepAction =
  | { kind: "connect" }
  | { kind: "open" }
  | { kind: "send"; xml: string; raw: boolean }
  | { kind: "receive"; xml: string; exact: boolean; anyOrder: boolean; count: number }
  | { kind: "nothing" }
  | { kind: "disconnect" }
  | { kind: "disconnected" };

export type Step = StepAction & { client: string; line: number; text: string };

export interface Script {
  /** The file name without `.scs`: the check's name. */
  name: string;
  file: string;
  title: string;
  proves: SpecRef[];
  /** Module ids that must be enabled for the script to run (otherwise it is skipped). */
  modules: string[];
  clients: ClientDecl[];
  steps: Step[];
}

export class ScriptSyntaxError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
  }
}

const STREAM_OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:scs='urn:palaver:scs'>";
const LIMITS = { maxStanzaBytes: 1 << 20, maxDepth: 64, maxAttributes: 64 };

/**
 * Parse XML as the top-level elements of a client stream (so `jabber:client` and the `stream:` prefix are in
 * scope as on the wire). Whitespace-only text is dropped. Throws with the parser's condition and text.
 */
export function parseStanzas(xmlText: string): Element[] {
  const out: Element[] = [];
  let error: string | null = null;
  const parser = new StreamParser({
    streamOpen: () => {},
    element: (el) => out.push(stripWhitespace(el)),
    streamClose: () => {},
    error: (condition, text) => { error ??= `${condition}: ${text}`; },
  }, LIMITS);
  parser.write(STREAM_OPEN);
  parser.write(xmlText);
  if (!error && parser.inElement) error = "unfinished element";
  if (error) throw new Error(`not well-formed XML (${error})`);
  return out;
}

function stripWhitespace(el: Element): Element {
  if (el.children.some((c) => typeof c !== "string")) {
    el.children = el.children.filter((c) => typeof c !== "string" || c.trim() !== "");
  }
  for (const c of el.children) if (typeof c !== "string") stripWhitespace(c as Element);
  return el;
}

const NAME = /^[A-Z][A-Za-z0-9_]*$/;
const KEYS = new Set(["jid", "password", "via", "account"]);

/** Parse a script's text; `file` names it in errors. */
export function parseScript(text: string, file: string): Script {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const fail = (line: number, message: string): never => { throw new ScriptSyntaxError(file, line, message); };
  const name = file.replace(/^.*\//, "").replace(/\.scs$/, "");
  let title = "";
  let proves: SpecRef[] = [];
  let modules: string[] = [];
  const clients: ClientDecl[] = [];
  const steps: Step[] = [];
  let current: Partial<ClientDecl> & { name: string; line: number } | null = null;
  const indented = (l: string) => /^[ \t]/.test(l);

  const finishClient = () => {
    if (!current) return;
    const c = current;
    if (!c.jid) fail(c.line, `client ${c.name} has no jid`);
    if (!/^[^@/\s]+@[^@/\s]+(\/\S.*)?$/.test(c.jid!)) fail(c.line, `client ${c.name}: "${c.jid}" is not an account JID (local@domain[/resource])`);
    if (!c.password) fail(c.line, `client ${c.name} has no password`);
    clients.push({ name: c.name, jid: c.jid!, password: c.password!, via: c.via ?? "plain", account: c.account ?? "created", line: c.line });
    current = null;
  };

  /** The indented block after line i (index), and the index after it. */
  const block = (i: number): { text: string; next: number } => {
    let j = i + 1;
    const body: string[] = [];
    while (j < lines.length && (indented(lines[j]!) || lines[j]!.trim() === "")) body.push(lines[j++]!);
    while (body.length && body[body.length - 1]!.trim() === "") { body.pop(); j--; }
    return { text: body.join("\n"), next: j };
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    if (raw.trim() === "") continue;
    if (raw.startsWith("#")) {
      const body = raw.replace(/^#+\s?/, "");
      const meta = /^(proves|modules):\s*(.*)$/i.exec(body);
      if (meta) {
        if (clients.length || current || steps.length) fail(lineNo, `"${meta[1]}:" belongs in the header, before the clients`);
        if (meta[1]!.toLowerCase() === "proves") {
          try { proves = [...proves, ...parseSpecRefs(meta[2]!)]; } catch (err) { fail(lineNo, (err as Error).message); }
        } else {
          modules = [...modules, ...meta[2]!.split(/[\s,]+/).filter(Boolean)];
        }
      } else if (!title && body.trim() && !clients.length && !steps.length && !current) {
        title = body.trim();
      }
      continue;
    }
    if (indented(raw)) {
      if (!current) fail(lineNo, "an indented line belongs to a client declaration or to a step's XML");
      const kv = /^\s+([a-z]+):\s*(.*?)\s*$/.exec(raw);
      if (!kv || !KEYS.has(kv[1]!)) fail(lineNo, `expected one of ${[...KEYS].join(", ")} ("key: value")`);
      const [, key, value] = kv!;
      if (key === "via" && value !== "plain" && value !== "starttls" && value !== "direct-tls") fail(lineNo, "via: plain, starttls or direct-tls");
      if (key === "account" && value !== "created" && value !== "absent") fail(lineNo, "account: created or absent");
      (current as Record<string, unknown>)[key!] = value;
      continue;
    }
    const decl = /^\[Client\]\s+(\S+)\s*$/.exec(raw);
    if (decl) {
      finishClient();
      if (steps.length) fail(lineNo, "declare every client before the first step");
      const n = decl[1]!;
      if (!NAME.test(n)) fail(lineNo, `client names start with a capital letter and hold letters, digits or _: "${n}"`);
      if (clients.some((c) => c.name === n)) fail(lineNo, `client ${n} is declared twice`);
      current = { name: n, line: lineNo };
      continue;
    }
    finishClient();
    const m = /^(\S+)\s+(.*?)\s*$/.exec(raw);
    const client = m?.[1] ?? "";
    if (!clients.some((c) => c.name === client)) fail(lineNo, `a step starts with a declared client's name; "${client}" is not one`);
    const rest = m![2]!;
    const text = raw.trim();
    const simple: Record<string, StepAction["kind"]> = {
      "connects": "connect", "opens a stream": "open", "receives nothing": "nothing",
      "disconnects": "disconnect", "is disconnected": "disconnected",
    };
    if (Object.hasOwn(simple, rest)) {
      steps.push({ kind: simple[rest] as "connect", client, line: lineNo, text });
      continue;
    }
    const sr = /^(sends|sends raw|receives|receives exactly|receives in any order|receives exactly in any order):\s*(.*)$/.exec(rest);
    if (!sr) fail(lineNo, `unknown step "${rest}" (connects, opens a stream, sends:, sends raw:, receives[ exactly][ in any order]:, receives nothing, disconnects, is disconnected)`);
    const { text: body, next } = block(i);
    const xmlText = [sr![2]!, body].filter((s) => s.trim()).join("\n");
    if (!xmlText.trim()) fail(lineNo, `"${sr![1]}:" needs XML, on the same line or indented below`);
    i = next - 1;
    const verb = sr![1]!;
    if (verb === "sends raw") {
      steps.push({ kind: "send", xml: xmlText.trim(), raw: true, client, line: lineNo, text });
      continue;
    }
    let parsed: Element[];
    try { parsed = parseStanzas(xmlText); } catch (err) { return fail(lineNo, (err as Error).message); }
    if (parsed.length === 0) fail(lineNo, "no element in the XML");
    if (verb === "sends") {
      steps.push({ kind: "send", xml: xmlText, raw: false, client, line: lineNo, text });
    } else {
      steps.push({ kind: "receive", xml: xmlText, exact: verb.includes("exactly"), anyOrder: verb.includes("any order"), count: parsed.length, client, line: lineNo, text });
    }
  }
  finishClient();
  if (!title) fail(1, "the first comment line is the script's title");
  if (proves.length === 0) fail(1, `the header needs "# proves: <spec> §<section>, ..."`);
  if (clients.length === 0) fail(1, "no client declared");
  if (steps.length === 0) fail(1, "no step");
  return { name, file, title, proves, modules, clients, steps };
}
