/**
 * Read a request body into memory, never more than a limit: a Content-Length over it is refused before anything
 * is read, and a body that grows past it (chunked, or a lying length) is cut off at the limit.
 */
import type { IncomingMessage } from "node:http";

export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; status: 413 | 400; reason: string };

export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = req.headers["content-length"];
  if (declared !== undefined) {
    const n = Number(declared);
    if (!Number.isSafeInteger(n) || n < 0) return Promise.resolve({ ok: false, status: 400, reason: "bad Content-Length" });
    if (n > limit) {
      req.resume(); // let Node discard it; the response closes the connection
      return Promise.resolve({ ok: false, status: 413, reason: `body larger than ${limit} bytes` });
    }
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.resume();
        return finish({ ok: false, status: 413, reason: `body larger than ${limit} bytes` });
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    const onError = () => finish({ ok: false, status: 400, reason: "request aborted" });
    const onAborted = onError;
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}
