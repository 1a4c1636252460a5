/**
 * XEP-0049 rules on the XML itself: which namespaces are reserved (§2.3), and how a child of <query/> is made
 * a standalone element that can be stored and given back later.
 */
import { clone, type Element } from "ltx";

/** §2.3: namespaces beginning with 'jabber:' or 'http://jabber.org/', and 'vcard-temp', are reserved. */
export function isReservedNamespace(ns: string): boolean {
  return ns.startsWith("jabber:") || ns.startsWith("http://jabber.org/") || ns === "vcard-temp";
}

/**
 * A copy of `el` that means the same on its own: the default namespace and the prefixes declared on its
 * ancestors (the <query/> or the <iq/>) are declared on it.
 */
export function standalone(el: Element): Element {
  const copy = clone(el);
  // The default namespace in scope: the element's own, or (for a prefixed element) its unprefixed children's.
  if (copy.attrs.xmlns === undefined) {
    const ns = el.findNS();
    if (ns) copy.attrs.xmlns = ns;
  }
  for (let p = el.parent; p; p = p.parent) {
    for (const [name, value] of Object.entries(p.attrs)) {
      if (name.startsWith("xmlns:") && copy.attrs[name] === undefined) copy.attrs[name] = value;
    }
  }
  return copy;
}
