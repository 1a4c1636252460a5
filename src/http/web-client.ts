/**
 * The web chat: Converse.js, served from the installed `converse.js` package (its prebuilt dist/ files, read from
 * node_modules at run time), with a page that points it at this server's own WebSocket endpoint, BOSH as the
 * fallback, and the domain the browser asked for as the default one. `webClient: <url>` sends "/" to a web chat
 * hosted elsewhere instead; `false` serves nothing.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type { HttpContext } from "./context.js";
import type { Endpoints } from "./host-meta.js";
import type { HttpRoutes } from "./routes.js";
import { serveStatic } from "./static-files.js";

export const ASSETS_PREFIX = "/converse/";
const OMEMO_WASM = "curve25519_compiled.wasm";

/** node_modules/converse.js/dist, wherever npm put it; null when the package is not installed. */
export function converseDist(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve("converse.js/dist/converse.min.js"));
  } catch {
    return null;
  }
}

export interface ConverseSettings {
  websocket_url?: string;
  bosh_service_url?: string;
  default_domain: string;
  [key: string]: unknown;
}

/** Converse options for a page served to `ctx`: endpoints on the same host and scheme as the page itself. */
export function converseSettings(base: string, domain: string, endpoints: Endpoints): ConverseSettings {
  const ws = base.replace(/^http/, "ws");
  return {
    ...(endpoints.websocketPath ? { websocket_url: `${ws}${endpoints.websocketPath}` } : {}),
    ...(endpoints.boshPath ? { bosh_service_url: `${base}${endpoints.boshPath}` } : {}),
    // The endpoints are given: no XEP-0156 lookup on port 443 of the user's domain.
    discover_connection_methods: false,
    default_domain: domain,
    view_mode: "fullscreen",
    assets_path: ASSETS_PREFIX,
    allow_non_roster_messaging: true,
    allow_registration: false,
    auto_reconnect: true,
    show_connection_url_input: false,
    loglevel: "warn",
  };
}

/** JSON safe inside a <script> element: no "</script>", no HTML comment openers, no line separators. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function conversePage(settings: ConverseSettings): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat on ${escapeHtml(settings.default_domain)}</title>
<link rel="icon" href="${ASSETS_PREFIX}images/favicon.ico">
<link rel="stylesheet" href="${ASSETS_PREFIX}converse.min.css">
<style>converse-footer .sponsors { display: none; }</style>
</head>
<body class="converse-fullscreen">
<noscript>This chat needs JavaScript. Any XMPP client works too: log in as you@${escapeHtml(settings.default_domain)}.</noscript>
<script type="module">
import converse from "${ASSETS_PREFIX}converse.min.js";
converse.initialize(${scriptJson(settings)});
</script>
</body>
</html>
`;
}

const PAGE_HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  // Images only from this server (and those the page makes itself): opening the chat must not tell third
  // parties about its users (Converse's full-screen footer loads sponsor logos, chats show linked images).
  "Content-Security-Policy": "img-src 'self' data: blob:",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};

export function addWebClientRoutes(routes: HttpRoutes, setting: boolean | string, endpoints: Endpoints): Array<() => void> {
  if (setting === false) return [];
  if (typeof setting === "string") {
    return [routes.add({ methods: ["GET"], path: "/", handler: (ctx) => ctx.text(302, `see ${setting}`, { Location: setting }) })];
  }
  const dist = converseDist();
  const page = (ctx: HttpContext) => {
    if (!dist) return ctx.text(503, "the web chat is not installed (npm package converse.js is missing)");
    // Over plain HTTP from elsewhere a login could not be encrypted: send the browser to HTTPS when there is one.
    if (!ctx.secure && !ctx.plaintextAllowed) {
      const secure = ctx.secureBaseUrl();
      if (secure) return ctx.text(308, `see ${secure}${ctx.path}`, { Location: `${secure}${ctx.path}` });
    }
    if (!ctx.info.host && !ctx.listener.config.publicUrl) return ctx.text(400, "the request has no valid Host header");
    ctx.send(200, conversePage(converseSettings(ctx.baseUrl(), ctx.domain, endpoints)), PAGE_HEADERS);
  };
  const removers = [routes.add({ methods: ["GET"], path: "/", handler: page })];
  if (dist) {
    const files = { root: dist, cacheControl: "public, max-age=3600" };
    removers.push(routes.add({
      methods: ["GET"],
      path: ASSETS_PREFIX,
      prefix: true,
      handler: (ctx) => serveStatic(ctx, { prefix: ASSETS_PREFIX, ...files }),
    }));
    // The OMEMO library fetches its WebAssembly relative to the page, not to assets_path.
    removers.push(routes.add({
      methods: ["GET"],
      path: `/${OMEMO_WASM}`,
      handler: (ctx) => serveStatic(ctx, { prefix: "/", ...files }),
    }));
  }
  return removers;
}
