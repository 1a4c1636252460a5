/** Payloads taken out of a request keep their meaning on their own (XML Namespaces 1.0 §6: declarations in scope). */
import { clone, type Element } from "ltx";

/**
 * A copy of `el` with the default namespace and the prefixes it inherits from its ancestors (the <item/>,
 * <pubsub/> or <iq/>) declared on itself, so it can be stored and sent again in another document.
 */
export function standalone(el: Element): Element {
  const copy = clone(el);
  if (copy.attrs.xmlns === undefined) {
    const ns = el.getNS();
    if (ns) copy.attrs.xmlns = ns;
  }
  for (let p = el.parent; p; p = p.parent) {
    for (const [name, value] of Object.entries(p.attrs)) {
      if (name.startsWith("xmlns:") && copy.attrs[name] === undefined) copy.attrs[name] = value;
    }
  }
  return copy;
}
