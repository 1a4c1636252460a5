/**
 * Serve the files below one directory (the web chat's assets from node_modules): GET and HEAD, a content type by
 * extension, ETag / If-None-Match revalidation, and no way out of the directory (no "..", no encoded slashes,
 * no hidden files, no symbolic links leading elsewhere).
 */
import { createReadStream, promises as fs } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import type { HttpContext } from "./context.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".gif": "image/gif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".eot": "application/vnd.ms-fontobject",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".m4a": "audio/mp4",
};

export function contentType(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
}

/** The file under `root` that the URL path below the route's prefix names, or null when it may not be served. */
export function safeFile(root: string, rest: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return null;
  }
  if (decoded === "" || decoded.includes("\0") || decoded.includes("\\")) return null;
  const parts = decoded.split("/");
  if (parts.some((p) => p === "" || p === "." || p === ".." || p.startsWith("."))) return null;
  const base = resolve(root);
  const file = resolve(base, ...parts);
  return file.startsWith(base + sep) ? file : null;
}

export interface StaticOptions {
  /** The URL prefix the files live under ("/converse/"). */
  prefix: string;
  root: string;
  /** Cache-Control for the files (the package's files change only with an upgrade). */
  cacheControl: string;
}

export async function serveStatic(ctx: HttpContext, o: StaticOptions): Promise<void> {
  const file = safeFile(o.root, ctx.path.slice(o.prefix.length));
  if (!file) return ctx.text(404, "not found");
  let stat;
  try {
    const real = await fs.realpath(file);
    const root = await fs.realpath(o.root);
    if (!real.startsWith(root + sep)) return ctx.text(404, "not found");
    stat = await fs.stat(real);
  } catch {
    return ctx.text(404, "not found");
  }
  if (!stat.isFile()) return ctx.text(404, "not found");
  const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const headers = {
    "Content-Type": contentType(file),
    "Cache-Control": o.cacheControl,
    ETag: etag,
    "X-Content-Type-Options": "nosniff",
  };
  const res = ctx.res!;
  if (ctx.req.headers["if-none-match"] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, "Content-Length": stat.size });
  if (ctx.req.method === "HEAD") {
    res.end();
    return;
  }
  const stream = createReadStream(join(file));
  stream.on("error", () => res.destroy());
  res.on("close", () => stream.destroy());
  stream.pipe(res);
}
