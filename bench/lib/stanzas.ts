/**
 * Whole stanzas out of a connection's text, for scenarios that need to look at each one (presence, roster IQs)
 * rather than count markers. Top-level <message/>, <presence/> and <iq/> elements are cut out with a regular
 * expression, as the rest of the load generator does; none of the stanzas these scenarios receive nests an element
 * of its own name (no forwarded messages), which is what makes that sound.
 */
import type { XmppConn } from "../client/conn.js";

const RE_STANZA = /<(message|presence|iq)\b[^>]*?(?:\/>|>[\s\S]*?<\/\1>)/g;
const RE_FROM = /\bfrom=['"]([^'"]*)['"]/;
const RE_TYPE = /\btype=['"]([^'"]*)['"]/;
const RE_ID = /\bid=['"]([^'"]*)['"]/;

export interface Stanza {
  name: "message" | "presence" | "iq";
  /** The attributes of its start tag. */
  from: string;
  type: string;
  id: string;
  /** The whole stanza. */
  text: string;
}

/** The start tag's attribute values only (not those of children). */
function startTag(text: string): string {
  return text.slice(0, text.indexOf(">"));
}

/** From now on, every complete stanza `conn` receives goes to `each`, in order. */
export function onStanzas(conn: XmppConn, each: (s: Stanza) => void): void {
  let carry = "";
  conn.stream((text) => {
    const buf = carry + text;
    let end = 0;
    RE_STANZA.lastIndex = 0;
    for (let m = RE_STANZA.exec(buf); m; m = RE_STANZA.exec(buf)) {
      const tag = startTag(m[0]);
      each({
        name: m[1] as Stanza["name"],
        from: RE_FROM.exec(tag)?.[1] ?? "",
        type: RE_TYPE.exec(tag)?.[1] ?? "",
        id: RE_ID.exec(tag)?.[1] ?? "",
        text: m[0],
      });
      end = RE_STANZA.lastIndex;
    }
    carry = buf.slice(end);
    // What never becomes a stanza (whitespace keepalives) is dropped; a stanza begun, or a tag cut short, is kept.
    const open = carry.search(/<(message|presence|iq)\b/);
    carry = carry.slice(open !== -1 ? open : Math.max(0, carry.lastIndexOf("<")));
    if (open === -1 && carry.length > 64) carry = "";
  });
}

/** The bare JID of a full one. */
export const bare = (jid: string) => {
  const slash = jid.indexOf("/");
  return slash === -1 ? jid : jid.slice(0, slash);
};

/** Resolves when `done()` is true, checked each time `poke` is called; rejects after `timeoutMs`. */
export class Waiter {
  private pending: { done: () => boolean; resolve: () => void; timer: NodeJS.Timeout } | null = null;

  until(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending = null; reject(new Error(`timed out waiting for ${what()}`)); }, timeoutMs);
      this.pending = { done, resolve, timer };
    });
  }

  poke(): void {
    const p = this.pending;
    if (p && p.done()) {
      this.pending = null;
      clearTimeout(p.timer);
      p.resolve();
    }
  }
}
