/**
 * A XEP-0313 query as the client sends it (§4): the <query/> attributes, its XEP-0004 filter form (§4.1), XEP-0059
 * paging (§4.2) and <flip-page/> (§4.2.4), parsed and validated in one place; and the form a client can ask for
 * (§4.1.6). Anything malformed is a `bad-request`; a field the server does not know is `feature-not-implemented`
 * (§4.1.6, last paragraph).
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { parseJid, type Jid } from "../../src/jid.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { FULLTEXT_FIELD, NS_DATA, NS_MAM, NS_RSM, NS_XDATA_VALIDATE } from "./ns.js";

export interface MamQuery {
  /** §4: echoed in every <result/>. */
  queryid?: string;
  /** §4.1.1 `with`. */
  with?: Jid;
  /** §4.1.2 `start` / `end`: inclusive bounds, in milliseconds since the epoch. */
  start?: number;
  end?: number;
  /** §4.1.3 `after-id` / `before-id` (#extended): exclusive bounds of the result set. */
  afterId?: string;
  beforeId?: string;
  /** §4.1.4 `ids` (#extended). */
  ids?: string[];
  /** XEP-0431 `{urn:xmpp:fulltext:0}fulltext`. */
  fulltext?: string;
  /** §4.1.5 `include-groupchat`: accepted; user archives never hold groupchat messages. */
  includeGroupchat?: boolean;
  /** XEP-0059 §2.1 <max/>, as the client asked (the server caps it). */
  max?: number;
  /** XEP-0059 §2.2, §2.3 <after/> / <before/> (`""`: the last page, §2.5). */
  after?: string;
  before?: string;
  /** §4.2.4 <flip-page/> (#extended). */
  flip: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: StanzaError };

const bad = (text: string): { ok: false; error: StanzaError } => ({ ok: false, error: new StanzaError("bad-request", text) });

/** XEP-0082 §3.3 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD. */
const DATETIME = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * A XEP-0082 DateTime as milliseconds since the epoch (with a fraction when the text is more precise than a
 * millisecond); undefined when it is not one, or names a date or time that does not exist.
 */
export function parseDateTime(text: string): number | undefined {
  const m = DATETIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year); // years 0-99 too, which Date.UTC would read as 1900-1999
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined; // e.g. February 30
  let ms = date.getTime() + (m[7] ? Number(`0${m[7]}`) * 1000 : 0);
  if (m[9]) {
    const offHours = Number(m[10]);
    const offMinutes = Number(m[11]);
    if (offHours > 23 || offMinutes > 59) return undefined;
    ms -= (m[9] === "-" ? -1 : 1) * (offHours * 60 + offMinutes) * 60_000;
  }
  return Number.isFinite(ms) ? ms : undefined;
}

/** The value of a single-valued field: undefined when it has none or an empty one. */
function single(field: Element, name: string): Parsed<string | undefined> {
  const values = field.getChildren("value");
  if (values.length > 1) return bad(`the ${name} field takes one value`);
  const text = values[0]?.getText() ?? "";
  return { ok: true, value: text === "" ? undefined : text };
}

/** XEP-0004 §3.3 boolean. */
function parseBoolean(text: string): boolean | undefined {
  if (text === "1" || text === "true") return true;
  if (text === "0" || text === "false") return false;
  return undefined;
}

/** §4.1: the filter form. */
function parseForm(x: Element, q: MamQuery): Parsed<MamQuery> {
  if (x.attrs.type !== "submit") return bad("the query form must be of type submit");
  const seen = new Set<string>();
  for (const field of x.getChildren("field")) {
    const name = field.attrs.var as string | undefined;
    if (!name) return bad("a form field has no var");
    if (seen.has(name)) return bad(`the ${name} field appears twice`);
    seen.add(name);
    if (name === "ids") {
      const ids = field.getChildren("value").map((v) => v.getText());
      if (ids.some((id) => id === "")) return bad("an empty id in the ids field");
      q.ids = ids;
      continue;
    }
    const one = single(field, name);
    if (!one.ok) return one;
    const text = one.value;
    switch (name) {
      case "FORM_TYPE":
        if (text !== NS_MAM) return bad(`FORM_TYPE must be ${NS_MAM}`);
        break;
      case "with": {
        if (text === undefined) break;
        const parsed = parseJid(text);
        if (!parsed.ok) return bad(`with is not a JID: ${parsed.error}`);
        q.with = parsed.jid;
        break;
      }
      case "start":
      case "end": {
        if (text === undefined) break;
        const ms = parseDateTime(text);
        if (ms === undefined) return bad(`${name} is not a XEP-0082 DateTime`);
        // Stored times are whole milliseconds: round each bound inwards.
        if (name === "start") q.start = Math.ceil(ms);
        else q.end = Math.floor(ms);
        break;
      }
      case "after-id":
        if (text !== undefined) q.afterId = text;
        break;
      case "before-id":
        if (text !== undefined) q.beforeId = text;
        break;
      case FULLTEXT_FIELD:
        if (text !== undefined && text.trim() !== "") q.fulltext = text;
        break;
      case "include-groupchat": {
        if (text === undefined) break;
        const b = parseBoolean(text);
        if (b === undefined) return bad("include-groupchat is not a boolean");
        q.includeGroupchat = b;
        break;
      }
      default:
        return { ok: false, error: new StanzaError("feature-not-implemented", `unknown query field: ${name}`) };
    }
  }
  return { ok: true, value: q };
}

/** XEP-0059 in the query: <max/>, <after/>, <before/>; <index/> (§2.6, optional for servers) is not offered. */
function parseRsm(set: Element, q: MamQuery): Parsed<MamQuery> {
  const max = set.getChild("max");
  if (max) {
    const text = max.getText().trim();
    if (!/^\d{1,9}$/.test(text)) return bad("<max/> must be a non-negative integer");
    q.max = Number(text);
  }
  const after = set.getChild("after");
  if (after) {
    const text = after.getText();
    if (text === "") return bad("<after/> must hold an id");
    q.after = text;
  }
  const before = set.getChild("before");
  if (before) q.before = before.getText();
  if (set.getChild("index")) {
    return { ok: false, error: new StanzaError("feature-not-implemented", "paging by index is not supported; page by id") };
  }
  return { ok: true, value: q };
}

/** A <query xmlns='urn:xmpp:mam:2'/> of an IQ set. */
export function parseQuery(query: Element): Parsed<MamQuery> {
  if (query.attrs.node !== undefined) {
    return { ok: false, error: new StanzaError("feature-not-implemented", "this archive has no nodes (XEP-0442)") };
  }
  const q: MamQuery = { flip: query.getChild("flip-page", NS_MAM) !== undefined };
  if (query.attrs.queryid !== undefined) q.queryid = query.attrs.queryid as string;
  const x = query.getChild("x", NS_DATA);
  if (x) {
    const r = parseForm(x, q);
    if (!r.ok) return r;
  }
  const set = query.getChild("set", NS_RSM);
  if (set) {
    const r = parseRsm(set, q);
    if (!r.ok) return r;
  }
  return { ok: true, value: q };
}

/**
 * §4.1.6: the fields this server supports, none marked required (§4.1); `ids` with an open XEP-0122 validation, so
 * no list of ids is ever sent.
 */
export function queryForm(): Element {
  const field = (type: string, name: string, label: string, ...children: Element[]) =>
    xml("field", { type, var: name, label }, ...children);
  return xml("query", { xmlns: NS_MAM },
    xml("x", { xmlns: NS_DATA, type: "form" },
      xml("field", { type: "hidden", var: "FORM_TYPE" }, xml("value", {}, NS_MAM)),
      field("jid-single", "with", "Messages to or from this JID (a bare JID matches all its resources)"),
      field("text-single", "start", "Messages at or after this time (XEP-0082)"),
      field("text-single", "end", "Messages at or before this time (XEP-0082)"),
      field("text-single", "before-id", "Messages before this archive id"),
      field("text-single", "after-id", "Messages after this archive id"),
      field("list-multi", "ids", "Messages with these archive ids",
        xml("validate", { xmlns: NS_XDATA_VALIDATE, datatype: "xs:string" }, xml("open"))),
      field("boolean", "include-groupchat", "Include groupchat messages (never stored in user archives)"),
      field("text-single", FULLTEXT_FIELD, "Messages containing all of these words"),
    ));
}
