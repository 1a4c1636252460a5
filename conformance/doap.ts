/**
 * doap.xml: Palaver described in DOAP (RDF/XML) as xmpp.org's software list reads it (XEP-0453), with the
 * xmpp-doap extension: one `xmpp:SupportedXep` per XEP (resource URL, version, status, note) and an
 * `implements` per RFC. Generated from the core rows of the support table and the `xeps` every shipped
 * module declares, so it never claims what the code does not declare. Nothing is invented: no homepage or
 * dates the project does not have.
 *
 *   npm run conformance -- --write      (with the compliance report), or after a build:
 *   node dist/conformance/doap.js --write
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ModuleDef } from "../src/modules.js";
import { catalog } from "../xeps/index.js";
import { allClaims, type Claim } from "./runner/claims.js";

export const DOAP_PATH = fileURLToPath(new URL("../../doap.xml", import.meta.url));
const PACKAGE_PATH = fileURLToPath(new URL("../../package.json", import.meta.url));

const NS = {
  rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  doap: "http://usefulinc.com/ns/doap#",
  xmpp: "https://linkmauve.fr/ns/xmpp-doap#",
};

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function specUrl(spec: string): string {
  const rfc = /^RFC (\d+)$/.exec(spec);
  if (rfc) return `https://www.rfc-editor.org/info/rfc${rfc[1]}`;
  const xep = /^XEP-(\d{4})$/.exec(spec);
  if (xep) return `https://xmpp.org/extensions/xep-${xep[1]}.html`;
  throw new Error(`no URL for ${spec}`);
}

/** One entry per spec: when several modules declare the same XEP, complete wins and notes are joined. */
function merge(claims: readonly Claim[]): Claim[] {
  const bySpec = new Map<string, Claim>();
  for (const c of claims) {
    const prev = bySpec.get(c.spec);
    if (!prev) { bySpec.set(c.spec, { ...c }); continue; }
    if (c.status === "complete") prev.status = "complete";
    prev.version ??= c.version;
    if (c.note && c.note !== prev.note) prev.note = prev.note ? `${prev.note}; ${c.note}` : c.note;
  }
  const order = (s: string) => (s.startsWith("RFC") ? 0 : 1) * 1e6 + Number(s.replace(/\D/g, ""));
  return [...bySpec.values()].sort((a, b) => order(a.spec) - order(b.spec));
}

export interface ProjectInfo { description: string; license: string }

export function projectInfo(): ProjectInfo {
  const pkg = JSON.parse(readFileSync(PACKAGE_PATH, "utf8")) as { description?: string; license?: string };
  if (!pkg.description || !pkg.license) throw new Error("package.json needs a description and a license for doap.xml");
  return { description: pkg.description, license: pkg.license };
}

export function doap(modules: readonly ModuleDef<any>[] = catalog, info: ProjectInfo = projectInfo()): string {
  const claims = merge(allClaims(modules));
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<rdf:RDF xmlns:rdf="${NS.rdf}" xmlns="${NS.doap}" xmlns:xmpp="${NS.xmpp}">`,
    `  <Project>`,
    `    <name>Palaver</name>`,
    `    <shortdesc xml:lang="en">${escape(info.description)}</shortdesc>`,
    `    <description xml:lang="en">Palaver is an XMPP server written in TypeScript for Node.js. The specifications below are generated from what its core and its modules declare.</description>`,
    `    <programming-language>TypeScript</programming-language>`,
    `    <os>Linux</os>`,
    // SPDX identifiers have a canonical page.
    `    <license rdf:resource="https://spdx.org/licenses/${escape(info.license)}.html"/>`,
    `    <category rdf:resource="${NS.xmpp}category-server"/>`,
  ];
  for (const c of claims.filter((x) => x.spec.startsWith("RFC"))) lines.push(`    <implements rdf:resource="${specUrl(c.spec)}"/>`);
  for (const c of claims.filter((x) => x.spec.startsWith("XEP"))) {
    lines.push(
      `    <implements>`,
      `      <xmpp:SupportedXep>`,
      `        <xmpp:xep rdf:resource="${specUrl(c.spec)}"/>`,
      ...(c.version ? [`        <xmpp:version>${escape(c.version)}</xmpp:version>`] : []),
      `        <xmpp:status>${c.status}</xmpp:status>`,
      ...(c.note ? [`        <xmpp:note xml:lang="en">${escape(c.note)}</xmpp:note>`] : []),
      `      </xmpp:SupportedXep>`,
      `    </implements>`,
    );
  }
  lines.push(`  </Project>`, `</rdf:RDF>`, "");
  return lines.join("\n");
}

/** Write doap.xml when it differs; returns whether it changed. */
export function writeDoap(path = DOAP_PATH): boolean {
  const text = doap();
  let old = "";
  try { old = readFileSync(path, "utf8"); } catch { /* first time */ }
  if (old === text) return false;
  writeFileSync(path, text);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes("--write")) process.stdout.write(writeDoap() ? "doap.xml updated\n" : "doap.xml is up to date\n");
  else process.stdout.write(doap());
}
