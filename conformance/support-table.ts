/**
 * The support table: every XEP the shipped modules declare, generated from their `xeps` declarations so the
 * README never claims what the code does not declare. `npm run support-table` rewrites the README section;
 * a unit test fails when the README is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { catalog } from "../xeps/index.js";
import type { ModuleDef } from "../src/modules.js";

export const START = "<!-- support-table:start -->";
export const END = "<!-- support-table:end -->";

/** RFCs the core implements (not modules: they are always on). */
const CORE = [
  "| RFC 6120 | XMPP Core: TCP, STARTTLS, SASL, resource binding, stream and stanza errors | core | complete |",
  "| RFC 6121 | Instant messaging and presence: roster with versioning, subscriptions (Appendix A), presence, delivery rules | core | complete |",
  "| RFC 7590 | TLS 1.2+ only, SNI | core | complete |",
  "| RFC 7622 | Address format (PRECIS preparation) | core | complete |",
  "| RFC 5802 / 7677 | SCRAM-SHA-1, SCRAM-SHA-256 and -PLUS | core | complete |",
  "| XEP-0368 | Direct TLS (ALPN xmpp-client; xmpp-server for federation, with `_xmpps-server` SRV) | core | complete |",
  "| XEP-0220 | Server Dialback (XEP-0185 keys, several domains on one stream) | core | complete |",
  "| XEP-0178 | SASL EXTERNAL for server-to-server with certificates (RFC 6125 identity checks) | core | complete |",
  "| XEP-0288 | Bidirectional server-to-server connections | core | complete |",
  "| RFC 7395 | XMPP over WebSocket (`xmpp` subprotocol, framing, see-other-uri) | core | complete |",
  "| XEP-0124 | BOSH (wait/hold/requests, rid window and retransmission, acks, pause, CORS; no key sequencing) | core | partial |",
  "| XEP-0206 | XMPP over BOSH (stream restart, terminate conditions) | core | complete |",
  "| XEP-0156 | Connection methods discovery (host-meta XRD and JSON) | core | complete |",
  "| XEP-0440 | SASL channel-binding type capability | core | complete |",
];

export function supportTable(modules: readonly ModuleDef<any>[] = catalog): string {
  const rows = modules
    .flatMap((m) => m.xeps.map((x) => ({ ...x, module: m.id })))
    .sort((a, b) => a.xep - b.xep)
    .map((x) => `| XEP-${String(x.xep).padStart(4, "0")} | version ${x.version}${x.note ? ` (${x.note})` : ""} | \`${x.module}\` | ${x.status} |`);
  return ["| spec | what | module | status |", "| --- | --- | --- | --- |", ...CORE, ...rows].join("\n");
}

export function withTable(readme: string, table: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a === -1 || b === -1 || b < a) throw new Error(`README.md lacks the ${START} ... ${END} markers`);
  return `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`;
}

export const README_PATH = fileURLToPath(new URL("../../README.md", import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const readme = readFileSync(README_PATH, "utf8");
  const updated = withTable(readme, supportTable());
  if (updated !== readme) writeFileSync(README_PATH, updated);
  process.stdout.write(updated === readme ? "README support table is up to date\n" : "README support table updated\n");
}
