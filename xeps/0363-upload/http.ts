/**
 * The HTTP side of the upload service (XEP-0363 §6, §7, §8.1) on the server's web listeners:
 * - PUT <prefix><id>/<name> with the slot's `Authorization: Bearer <token>`: the body streams to a partial file
 *   and is cut off at the slot's size (413, the partial file removed); complete, it becomes the file (201);
 * - GET and HEAD: the file, with its type, Content-Disposition, ETag, a single byte Range (206/416), CORS, and
 *   headers that keep uploaded documents from running as pages of this origin (§8.1: nosniff, a CSP that allows
 *   nothing, downloads for anything that is not a picture, sound, video or plain text);
 * - OPTIONS: CORS preflight for web clients (§7).
 */
import { promises as fs, createReadStream, type WriteStream } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { HttpContext } from "../../src/http/context.js";
import type { HttpHandler } from "../../src/http/routes.js";
import type { Logger } from "../../src/log.js";
import { baseType, contentDisposition } from "./files.js";
import { parseRange } from "./range.js";
import { ID, type FileMeta, type FileStore } from "./store.js";
import { bearerToken, verifySlot, type SlotClaims } from "./token.js";

export interface HttpDeps {
  store: FileStore;
  secret: Buffer;
  /** The route's path prefix ("/upload/"). */
  prefix: string;
  /** Bytes per user, 0 for no quota. */
  quota: number;
  /** Seconds a file is kept, 0 for ever. */
  expireAfter: number;
  log: Logger;
}

const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": "Content-Length, Content-Range, Accept-Ranges, Content-Disposition, ETag",
};
/** §8.1: "Content-Security-Policy: default-src 'none'; frame-ancestors 'none';". */
const CSP = "default-src 'none'; frame-ancestors 'none'";
/** What a refused upload may still send (read and thrown away) before its connection is cut. */
const DRAIN_LIMIT = 8 * 1024 * 1024;
const YEAR = 365 * 24 * 3600;

/** `<id>/<name>` below the prefix: a valid id and a name that decodes; anything else names nothing. */
export function parseTarget(rest: string): { id: string; name: string } | null {
  const parts = rest.split("/");
  if (parts.length !== 2 || !ID.test(parts[0]!)) return null;
  try {
    const name = decodeURIComponent(parts[1]!);
    return name ? { id: parts[0]!, name } : null;
  } catch {
    return null;
  }
}

/**
 * Answer an upload that is refused before its body was read. The body is read and dropped up to a limit so that
 * the client sees the answer rather than a reset connection; beyond that the connection is cut.
 */
function refuse(ctx: HttpContext, status: number, message: string, headers: Record<string, string> = {}): void {
  ctx.text(status, message, { ...CORS, ...headers });
  const req = ctx.req;
  if (req.complete) return;
  let drained = 0;
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT) req.socket.destroy();
  });
  req.resume();
}

type Received = "complete" | "too-large" | "aborted" | "write-failed";

/** Copy the request body to `out` with backpressure, stopping as soon as more than `limit` bytes arrived. */
function receive(req: IncomingMessage, out: WriteStream, limit: number): Promise<{ result: Received; bytes: number }> {
  return new Promise((resolve) => {
    let bytes = 0;
    let done = false;
    const finish = (result: Received) => {
      if (done) return;
      done = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("aborted", onAborted);
      req.off("error", onAborted);
      req.off("close", onClose);
      if (result !== "complete") out.destroy();
      req.resume(); // if it was paused for backpressure
      resolve({ result, bytes });
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) return finish("too-large");
      if (!out.write(chunk)) {
        req.pause();
        out.once("drain", () => { if (!done) req.resume(); });
      }
    };
    // The file is complete once its descriptor is closed (link it only then).
    const onEnd = () => { out.once("close", () => finish("complete")); out.end(); };
    const onAborted = () => finish("aborted");
    const onClose = () => { if (!req.complete) finish("aborted"); };
    out.on("error", () => finish("write-failed"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("aborted", onAborted);
    req.on("error", onAborted);
    req.on("close", onClose);
  });
}

export function uploadHandler(d: HttpDeps): HttpHandler {
  async function put(ctx: HttpContext, target: { id: string; name: string }): Promise<void> {
    const token = bearerToken(ctx.req.headers.authorization);
    if (!token) return refuse(ctx, 401, "an upload needs the Authorization header of its slot", { "WWW-Authenticate": "Bearer" });
    const v = verifySlot(d.secret, token, Date.now());
    if (!v.ok) return refuse(ctx, 403, v.reason === "expired" ? "this upload slot has expired: request a new one" : "this upload authorisation is not valid");
    const c: SlotClaims = v.claims;
    if (c.id !== target.id || c.name !== target.name) return refuse(ctx, 403, "this authorisation is for another upload slot");
    // §6: "MUST reject the file upload if the Content-Length does not match the size of the slot request".
    const declared = ctx.req.headers["content-length"];
    if (declared !== undefined) {
      const n = Number(declared);
      if (!Number.isSafeInteger(n) || n < 0) return refuse(ctx, 400, "bad Content-Length");
      if (n > c.size) return refuse(ctx, 413, `this slot is for ${c.size} bytes`);
      if (n < c.size) return refuse(ctx, 400, `Content-Length does not match the slot's size (${c.size} bytes)`);
    }
    // §6: "SHOULD reject the file if the Content-Type has been specified beforehand and does not match".
    const type = ctx.req.headers["content-type"];
    if (type && baseType(type) !== baseType(c.type)) return refuse(ctx, 415, `this slot is for ${baseType(c.type)}`);
    if (await d.store.get(c.id)) return refuse(ctx, 409, "this upload slot has been used");
    if (d.quota > 0 && (await d.store.usageOf(c.sub)).bytes + c.size > d.quota) return refuse(ctx, 413, "upload quota exceeded");

    const partial = d.store.partialPath(c.id);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(partial, "wx");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return refuse(ctx, 409, "an upload to this slot is in progress");
      throw err;
    }
    const { result, bytes } = await receive(ctx.req, handle.createWriteStream(), c.size);
    if (result !== "complete" || bytes !== c.size) {
      await fs.rm(partial, { force: true });
      d.log.info("upload refused", { id: c.id, user: c.sub, result, bytes, size: c.size });
      if (result === "too-large") return refuse(ctx, 413, `this slot is for ${c.size} bytes`);
      if (result === "write-failed") return ctx.text(500, "the file could not be stored", CORS);
      if (result === "complete") return ctx.text(400, `the upload has ${bytes} bytes, the slot ${c.size}`, CORS);
      return; // the client went away
    }
    const now = Date.now();
    const kept = d.expireAfter > 0 ? now + d.expireAfter * 1000 : null;
    const expires = c.until === undefined ? kept : Math.min(c.until, kept ?? Infinity);
    const meta: FileMeta = { owner: c.sub, name: c.name, size: c.size, type: c.type, created: now, expires };
    if (!(await d.store.commit(c.id, meta))) return ctx.text(409, "this upload slot has been used", CORS);
    d.log.info("file uploaded", { id: c.id, user: c.sub, size: c.size, type: c.type });
    ctx.text(201, "created", CORS);
  }

  async function get(ctx: HttpContext, target: { id: string; name: string }): Promise<void> {
    const meta = await d.store.get(target.id);
    const now = Date.now();
    if (!meta || meta.name !== target.name || (meta.expires !== null && meta.expires <= now)) return ctx.text(404, "not found", CORS);
    const file = d.store.path(target.id);
    let size: number;
    try {
      size = (await fs.stat(file)).size;
    } catch {
      return ctx.text(404, "not found", CORS);
    }
    const etag = `"${target.id}"`;
    const lastModified = new Date(meta.created).toUTCString();
    const maxAge = meta.expires === null ? YEAR : Math.max(0, Math.floor((meta.expires - now) / 1000));
    const headers: Record<string, string | number> = {
      ...CORS,
      "Content-Type": meta.type,
      "Content-Disposition": contentDisposition(meta.type, meta.name),
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": CSP,
      "Cross-Origin-Resource-Policy": "cross-origin",
      "Cache-Control": `public, max-age=${maxAge}, immutable`,
      ETag: etag,
      "Last-Modified": lastModified,
      "Accept-Ranges": "bytes",
    };
    const res = ctx.res!;
    if (ctx.req.headers["if-none-match"]?.split(",").some((t) => t.trim() === etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    // RFC 9110 §13.1.5: a Range applies only while If-Range still names this representation.
    const ifRange = ctx.req.headers["if-range"];
    const range = ifRange === undefined || ifRange === etag || ifRange === lastModified
      ? parseRange(ctx.req.headers.range, size) : { kind: "whole" as const };
    if (range.kind === "unsatisfiable") {
      res.writeHead(416, { ...headers, "Content-Range": `bytes */${size}`, "Content-Length": 0 });
      res.end();
      return;
    }
    const [start, end] = range.kind === "range" ? [range.start, range.end] : [0, size - 1];
    if (range.kind === "range") headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range.kind === "range" ? 206 : 200, { ...headers, "Content-Length": Math.max(0, end - start + 1) });
    if (ctx.req.method === "HEAD" || size === 0) {
      res.end();
      return;
    }
    const stream = createReadStream(file, { start, end });
    stream.on("error", () => res.destroy());
    res.on("close", () => stream.destroy());
    stream.pipe(res);
  }

  return async (ctx) => {
    if (ctx.req.method === "OPTIONS") {
      // §7: CORS for web clients, whose PUT carries Authorization and Content-Type.
      ctx.res!.writeHead(204, {
        ...CORS,
        "Access-Control-Allow-Methods": "GET, HEAD, PUT, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type, Range, If-Range",
        "Access-Control-Max-Age": "86400",
      });
      ctx.res!.end();
      return;
    }
    const target = parseTarget(ctx.path.slice(d.prefix.length));
    if (!target) return ctx.req.method === "PUT" ? refuse(ctx, 404, "not found") : ctx.text(404, "not found", CORS);
    if (ctx.req.method === "PUT") return put(ctx, target);
    return get(ctx, target);
  };
}
