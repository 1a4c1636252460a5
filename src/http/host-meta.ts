/**
 * XEP-0156 §3 (version 1.4.0): the WebSocket and BOSH endpoints in Web Host Metadata (RFC 6415), as XRD at
 * /.well-known/host-meta and as JRD at /.well-known/host-meta.json. §3.2 rule 1: only https:// and wss:// links
 * are listed, so a plain-HTTP endpoint is never advertised. §4: readable from any page (CORS `*`), since the
 * files hold nothing private and are fetched without credentials.
 */
import { escapeXML } from "@xmpp/xml";
import type { HttpContext } from "./context.js";
import type { HttpRoutes } from "./routes.js";

export const REL_WEBSOCKET = "urn:xmpp:alt-connections:websocket";
export const REL_BOSH = "urn:xmpp:alt-connections:xbosh";
const NS_XRD = "http://docs.oasis-open.org/ns/xri/xrd-1.0";

export interface HostMetaLink { rel: string; href: string }

export interface Endpoints {
  websocketPath: string | null;
  boshPath: string | null;
}

/** The links for a secure base URL (https://host[:port][/prefix]); none without one. */
export function hostMetaLinks(secureBase: string | null, endpoints: Endpoints): HostMetaLink[] {
  if (!secureBase || !secureBase.startsWith("https://")) return [];
  const links: HostMetaLink[] = [];
  if (endpoints.websocketPath) links.push({ rel: REL_WEBSOCKET, href: `wss://${secureBase.slice(8)}${endpoints.websocketPath}` });
  if (endpoints.boshPath) links.push({ rel: REL_BOSH, href: `${secureBase}${endpoints.boshPath}` });
  return links;
}

export function hostMetaXrd(domain: string, links: readonly HostMetaLink[]): string {
  const lines = links.map((l) => `  <Link rel='${escapeXML(l.rel)}' href='${escapeXML(l.href)}'/>`);
  return `<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='${NS_XRD}'>\n  <Subject>${escapeXML(domain)}</Subject>\n${lines.join("\n")}${lines.length ? "\n" : ""}</XRD>\n`;
}

export function hostMetaJrd(domain: string, links: readonly HostMetaLink[]): string {
  return `${JSON.stringify({ subject: domain, links: links.map((l) => ({ rel: l.rel, href: l.href })) }, null, 2)}\n`;
}

const CORS_ANY = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
  "Cache-Control": "max-age=300",
};

export function addHostMetaRoutes(routes: HttpRoutes, endpoints: Endpoints): Array<() => void> {
  const answer = (ctx: HttpContext, json: boolean) => {
    if (ctx.req.method === "OPTIONS") return ctx.send(204, "", { ...CORS_ANY, "Access-Control-Max-Age": "86400" });
    const links = hostMetaLinks(ctx.secureBaseUrl(), endpoints);
    const domain = ctx.domain;
    if (json) ctx.send(200, hostMetaJrd(domain, links), { "Content-Type": "application/json; charset=utf-8", ...CORS_ANY });
    else ctx.send(200, hostMetaXrd(domain, links), { "Content-Type": "application/xrd+xml; charset=utf-8", ...CORS_ANY });
  };
  return [
    routes.add({ methods: ["GET", "OPTIONS"], path: "/.well-known/host-meta", handler: (ctx) => answer(ctx, false) }),
    routes.add({ methods: ["GET", "OPTIONS"], path: "/.well-known/host-meta.json", handler: (ctx) => answer(ctx, true) }),
  ];
}
