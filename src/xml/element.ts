/**
 * The one Element class the server uses, and parsing of stored XML into it.
 *
 * `ltx` ships two builds with two different Element classes (ESM `ltx` and CommonJS `ltx/lib/*`); @xmpp/xml
 * and the stream parser use the CommonJS one. Elements of the two classes do not see each other as
 * children (`getChild` and `getChildElements` test `instanceof`), so XML is never parsed with `ltx`'s own
 * `parse`: use `parseXml` here, which also applies the stream's restricted-XML rules.
 */
import { Element } from "@xmpp/xml";
import { StreamParser } from "./parser.js";

export { Element };

const STORED_LIMITS = { maxStanzaBytes: 16 * 1024 * 1024, maxDepth: 256, maxAttributes: 1024 };

/** Parse one XML element (e.g. one read back from storage); null when it is not exactly one well-formed element. */
export function parseXml(text: string): Element | null {
  let result: Element | null = null;
  let count = 0;
  let failed = false;
  const parser = new StreamParser({
    streamOpen: () => { failed = true; },
    element: (el) => { result = el; count++; },
    streamClose: () => { failed = true; },
    error: () => { failed = true; },
  }, STORED_LIMITS, "framed");
  parser.write(text);
  return failed || count !== 1 || parser.inElement ? null : result;
}
