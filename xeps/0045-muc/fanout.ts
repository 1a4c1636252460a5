/**
 * Delivery of one room stanza to many occupants, serialised once. A stanza for fan-out is built with `to` as
 * its first attribute, holding a marker; its serialisation is cut at the marker into a head and a tail, and
 * each recipient's bytes are head + escaped address + tail: no per-recipient serialisation. Local sessions get
 * the bytes through ClientSession.sendSerialized (with an element that shares the stanza's children, for the
 * `stanza:out` hook); anyone else (a remote occupant, a session without that method) gets a real copy.
 */
import { Element, escapeXML } from "@xmpp/xml";
import { clone } from "ltx";
import type { ClientSession } from "../../src/session/types.js";

/** Never part of an address (RFC 7622 forbids U+0000), so it only occurs where `to` was set. */
const MARK = "\u0000to\u0000";

/** Where a stanza can go: the real full JID, escaped once for splicing, and the local session if there is one. */
export interface Recipient {
  readonly full: string;
  readonly escaped: string;
  readonly session: ClientSession | null;
}

export function recipient(full: string, session: ClientSession | null): Recipient {
  return { full, escaped: escapeXML(full), session };
}

/** A stanza prepared for fan-out; build it with `stanza()` so that `to` comes first. */
export class Outgoing {
  private head: string | null = null;
  private tail = "";
  constructor(readonly el: Element) {}

  /** The serialisation, made on first use. */
  private cut(): void {
    const s = this.el.toString();
    const i = s.indexOf(MARK);
    if (i === -1) throw new Error("a fan-out stanza needs the `to` marker (build it with stanza())");
    this.head = s.slice(0, i);
    this.tail = s.slice(i + MARK.length);
  }

  /** The stanza for one recipient: an element sharing this one's children (read-only), with its own `to`. */
  view(to: string): Element {
    const v = new Element(this.el.name, { ...this.el.attrs, to });
    v.children = this.el.children;
    return v;
  }

  deliver(r: Recipient, route: (el: Element) => void): void {
    const s = r.session;
    if (s?.sendSerialized) {
      if (this.head === null) this.cut();
      s.sendSerialized(this.view(r.full), this.head + r.escaped + this.tail);
    } else if (s) {
      s.send(this.view(r.full));
    } else {
      const copy = clone(this.el) as Element;
      copy.attrs.to = r.full;
      route(copy);
    }
  }
}

/** A stanza element for fan-out: `to` first (filled per recipient), then the given attributes. */
export function stanza(name: "message" | "presence" | "iq", attrs: Record<string, string | undefined>): Element {
  return new Element(name, { to: MARK, ...attrs });
}
