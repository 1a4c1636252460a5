/** Helpers for the archive integration tests: XEP-0313 queries over a raw client, and waiting for stored state. */
import type { Element } from "ltx";
import type { RawClient } from "../helpers/raw-client.js";

export const NS_MAM = "urn:xmpp:mam:2";
export const NS_SID = "urn:xmpp:sid:0";
const NS_RSM = "http://jabber.org/protocol/rsm";

let seq = 0;

export interface QueryOptions {
  /** <field/> elements (FORM_TYPE is added). */
  fields?: Record<string, string | string[]>;
  max?: number;
  after?: string;
  /** "" asks for the last page. */
  before?: string;
  flip?: boolean;
  to?: string;
  /** Raw XML for the inside of <query/>, instead of the above. */
  raw?: string;
}

export interface QueryReply {
  iq: Element;
  /** The result messages of this query, in the order received. */
  results: Element[];
  /** Archive ids of the results. */
  ids: string[];
  /** Bodies of the forwarded messages. */
  bodies: string[];
  fin: Element | undefined;
  complete: boolean;
  first?: string;
  last?: string;
  count?: number;
  /** The error condition when the query failed. */
  error?: string;
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function queryXml(queryid: string, o: QueryOptions): string {
  if (o.raw !== undefined) return `<query xmlns='${NS_MAM}' queryid='${queryid}'>${o.raw}</query>`;
  let inner = "";
  if (o.fields) {
    inner += `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>${NS_MAM}</value></field>`;
    for (const [name, value] of Object.entries(o.fields)) {
      const values = Array.isArray(value) ? value : [value];
      inner += `<field var='${name}'>${values.map((v) => `<value>${escape(v)}</value>`).join("")}</field>`;
    }
    inner += "</x>";
  }
  if (o.max !== undefined || o.after !== undefined || o.before !== undefined) {
    inner += `<set xmlns='${NS_RSM}'>${o.max !== undefined ? `<max>${o.max}</max>` : ""}` +
      `${o.after !== undefined ? `<after>${o.after}</after>` : ""}${o.before !== undefined ? `<before>${o.before}</before>` : ""}</set>`;
  }
  if (o.flip) inner += "<flip-page/>";
  return `<query xmlns='${NS_MAM}' queryid='${queryid}'>${inner}</query>`;
}

/** Send a query and read its results up to the IQ reply (other stanzas in between are skipped). */
export async function query(c: RawClient, o: QueryOptions = {}): Promise<QueryReply> {
  const id = `mam-${++seq}`;
  const queryid = `q-${seq}`;
  c.send(`<iq type='set' id='${id}'${o.to ? ` to='${o.to}'` : ""}>${queryXml(queryid, o)}</iq>`);
  const results: Element[] = [];
  for (;;) {
    const el = await c.next(20_000);
    if (!el) throw new Error("connection closed during a query");
    if (el.name === "message" && el.getChild("result", NS_MAM)?.attrs.queryid === queryid) results.push(el);
    if (el.name === "iq" && el.attrs.id === id) {
      const fin = el.getChild("fin", NS_MAM);
      const set = fin?.getChild("set", NS_RSM);
      const count = set?.getChildText("count");
      return {
        iq: el,
        results,
        ids: results.map((m) => m.getChild("result", NS_MAM)!.attrs.id as string),
        bodies: results.map((m) => forwarded(m)?.getChildText("body") ?? ""),
        fin,
        complete: fin?.attrs.complete === "true",
        first: set?.getChildText("first") ?? undefined,
        last: set?.getChildText("last") ?? undefined,
        count: count === null || count === undefined ? undefined : Number(count),
        error: el.attrs.type === "error" ? el.getChild("error")?.getChildElements()[0]?.name : undefined,
      };
    }
  }
}

/** The message inside a result's <forwarded/>. */
export function forwarded(result: Element): Element | undefined {
  return result.getChild("result", NS_MAM)?.getChild("forwarded", "urn:xmpp:forward:0")?.getChild("message");
}

/** The stanza-id a message carries `by` an address. */
export const stanzaIdBy = (m: Element, by: string): string | undefined =>
  m.getChildren("stanza-id", NS_SID).find((s) => s.attrs.by === by)?.attrs.id as string | undefined;

/** Every page of a walk, forwards (after the last) or backwards (before the first) until complete. */
export async function walk(c: RawClient, o: QueryOptions, direction: "forward" | "backward"): Promise<{ pages: QueryReply[]; bodies: string[]; ids: string[] }> {
  const pages: QueryReply[] = [];
  let cursor: string | undefined = direction === "backward" ? o.before ?? "" : o.after;
  for (;;) {
    const p = await query(c, direction === "forward" ? { ...o, after: cursor } : { ...o, before: cursor });
    if (p.error) throw new Error(`query failed: ${p.error}`);
    pages.push(p);
    if (p.complete) break;
    cursor = direction === "forward" ? p.last : p.first;
  }
  const ordered = direction === "forward" ? pages : [...pages].reverse();
  return { pages, bodies: ordered.flatMap((p) => p.bodies), ids: ordered.flatMap((p) => p.ids) };
}

/** Wait until `check` holds (state the server reaches after answering, e.g. a removal it runs in the background). */
export async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}
