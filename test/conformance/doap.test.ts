/**
 * doap.xml: well-formed XML (read with the server's own strict parser), and exactly what conformance/doap.ts
 * generates from the modules' declarations, so it can never drift from the code.
 */
import { readFileSync } from "node:fs";
import test from "ava";
import type { Element } from "ltx";
import { DOAP_PATH, doap, specUrl } from "../../conformance/doap.js";
import { StreamParser } from "../../src/xml/parser.js";
import { catalog } from "../../xeps/index.js";

const DECLARATION = `<?xml version="1.0" encoding="UTF-8"?>\n`;

/** Parse a whole document with src/xml/parser.ts in framed mode (one top-level element). */
function parseDocument(text: string): Element {
  const elements: Element[] = [];
  const errors: string[] = [];
  const parser = new StreamParser({
    streamOpen: () => {},
    element: (el) => elements.push(el),
    streamClose: () => {},
    error: (condition, message) => errors.push(`${condition}: ${message}`),
  }, { maxStanzaBytes: 1 << 22, maxDepth: 32, maxAttributes: 16 }, "framed");
  // Framed mode allows no processing instruction: the XML declaration is checked separately.
  parser.write(text.slice(DECLARATION.length));
  if (errors.length) throw new Error(errors.join("; "));
  if (parser.inElement) throw new Error("unfinished element");
  if (elements.length !== 1) throw new Error(`${elements.length} top-level elements`);
  return elements[0]!;
}

const text = readFileSync(DOAP_PATH, "utf8");

/** Children by qualified name (ltx's getChild compares local names only). */
const children = (el: Element, qname: string) => el.getChildElements().filter((c) => c.name === qname);
const child = (el: Element, qname: string) => children(el, qname)[0];
const textOf = (el: Element | undefined, qname: string) => (el ? child(el, qname)?.getText() : undefined);

test("doap.xml is what conformance/doap.ts generates (regenerate with `npm run conformance -- --write`)", (t) => {
  t.is(text, doap());
});

test("doap.xml is well-formed: one rdf:RDF document element with the DOAP and xmpp-doap namespaces", (t) => {
  t.true(text.startsWith(DECLARATION));
  const root = parseDocument(text);
  t.is(root.name, "rdf:RDF");
  t.is(root.attrs["xmlns:rdf"], "http://www.w3.org/1999/02/22-rdf-syntax-ns#");
  t.is(root.attrs.xmlns, "http://usefulinc.com/ns/doap#");
  t.is(root.attrs["xmlns:xmpp"], "https://linkmauve.fr/ns/xmpp-doap#");
  const project = child(root, "Project")!;
  t.is(textOf(project, "name"), "Palaver");
  t.is(textOf(project, "programming-language"), "TypeScript");
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { license: string; description: string };
  t.is(child(project, "license")!.attrs["rdf:resource"], `https://spdx.org/licenses/${pkg.license}.html`);
  t.is(textOf(project, "shortdesc"), pkg.description);
});

test("every XEP a shipped module declares is listed with its version and status; the core RFCs are implemented", (t) => {
  const project = child(parseDocument(text), "Project")!;
  const implemented = children(project, "implements");
  const xeps = new Map(implemented.map((i) => child(i, "xmpp:SupportedXep")).filter((x): x is Element => !!x)
    .map((x) => [child(x, "xmpp:xep")!.attrs["rdf:resource"] as string, x]));
  for (const m of catalog) {
    for (const d of m.xeps) {
      const entry = xeps.get(specUrl(`XEP-${String(d.xep).padStart(4, "0")}`));
      t.truthy(entry, `XEP-${d.xep} of ${m.id}`);
      t.is(textOf(entry, "xmpp:version"), d.version, `XEP-${d.xep} version`);
      t.true(["complete", "partial"].includes(textOf(entry, "xmpp:status") ?? ""));
    }
  }
  const rfcs = implemented.map((i) => i.attrs["rdf:resource"]).filter(Boolean);
  for (const n of [6120, 7590, 7622]) t.true(rfcs.includes(`https://www.rfc-editor.org/info/rfc${n}`), `RFC ${n}`);
});
