/**
 * The HTTP route table: a path (exact, or a prefix ending in "/") and the methods served there, each with its
 * handler; WebSocket upgrades have a table of their own. Built-in services (WebSocket, BOSH, host-meta, the web
 * chat) register here, and so can modules later (file upload): `add()` returns the function that removes the
 * route again, so a module's registrations can be undone on unload.
 */
import type { Duplex } from "node:stream";
import type { HttpContext } from "./context.js";

export type HttpHandler = (ctx: HttpContext) => void | Promise<void>;
export type UpgradeHandler = (ctx: HttpContext, socket: Duplex, head: Buffer) => void;

export interface HttpRoute {
  /** Methods served, upper-case. A GET route answers HEAD too; OPTIONS is for routes that do CORS themselves. */
  methods: readonly string[];
  /** "/path" (a trailing slash is optional for clients) or, with `prefix`, "/dir/" and everything below it. */
  path: string;
  prefix?: boolean;
  handler: HttpHandler;
  /** Log at debug level (BOSH long polls would fill the log at info). */
  quiet?: boolean;
}

export type RouteMatch =
  | { kind: "route"; route: HttpRoute }
  /** The path exists, but not for this method (405 with these in Allow). */
  | { kind: "method"; allow: string[] }
  | { kind: "none" };

/** "/a/b/" and "/a/b" name the same resource; "/" stays "/". */
export function normalisePath(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.replace(/\/+$/, "") || "/" : path;
}

function allowed(route: HttpRoute): string[] {
  const m = [...route.methods];
  if (m.includes("GET") && !m.includes("HEAD")) m.push("HEAD");
  return m;
}

export class HttpRoutes {
  private readonly exact = new Map<string, HttpRoute[]>();
  private readonly prefixes: HttpRoute[] = [];
  private readonly upgrades = new Map<string, UpgradeHandler>();

  /** Add a route; returns the function that removes it. */
  add(route: HttpRoute): () => void {
    if (!route.path.startsWith("/")) throw new Error(`HTTP route path must start with "/": ${route.path}`);
    const r: HttpRoute = { ...route, methods: route.methods.map((m) => m.toUpperCase()) };
    if (r.prefix) {
      if (!r.path.endsWith("/")) throw new Error(`a prefix route ends with "/": ${r.path}`);
      this.prefixes.push(r);
      // Longest prefix first, so /converse/dist/ wins over /converse/.
      this.prefixes.sort((a, b) => b.path.length - a.path.length);
      return () => { const i = this.prefixes.indexOf(r); if (i !== -1) this.prefixes.splice(i, 1); };
    }
    const key = normalisePath(r.path);
    const list = this.exact.get(key) ?? [];
    for (const other of list) {
      const clash = r.methods.find((m) => other.methods.includes(m));
      if (clash) throw new Error(`HTTP route ${clash} ${r.path} is already taken`);
    }
    list.push(r);
    this.exact.set(key, list);
    return () => {
      const l = this.exact.get(key);
      const i = l?.indexOf(r) ?? -1;
      if (l && i !== -1) l.splice(i, 1);
      if (l && l.length === 0) this.exact.delete(key);
    };
  }

  /** Handle WebSocket upgrade requests on `path`; returns the function that removes it. */
  upgrade(path: string, handler: UpgradeHandler): () => void {
    const key = normalisePath(path);
    if (this.upgrades.has(key)) throw new Error(`WebSocket path ${path} is already taken`);
    this.upgrades.set(key, handler);
    return () => { if (this.upgrades.get(key) === handler) this.upgrades.delete(key); };
  }

  match(method: string, path: string): RouteMatch {
    const m = method === "HEAD" ? ["HEAD", "GET"] : [method];
    const candidates = this.exact.get(normalisePath(path)) ?? this.prefixes.filter((r) => path.startsWith(r.path));
    if (candidates.length === 0) return { kind: "none" };
    for (const route of candidates) {
      if (m.some((x) => route.methods.includes(x))) return { kind: "route", route };
    }
    return { kind: "method", allow: [...new Set(candidates.flatMap(allowed))] };
  }

  matchUpgrade(path: string): UpgradeHandler | undefined {
    return this.upgrades.get(normalisePath(path));
  }
}
