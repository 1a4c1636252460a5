/**
 * Reading a password for the CLI: on a terminal, prompted twice without echo (raw mode); otherwise the first
 * line of standard input, so scripts can pipe it (`echo secret | palaver adduser alice@example.org`).
 */
import type { Readable } from "node:stream";
import type { CliIO } from "./types.js";

export type PasswordResult = { ok: true; password: string } | { ok: false; error: string };

type RawCapable = Readable & { setRawMode?: (raw: boolean) => unknown };

/** The first line of a stream (without its line ending), or what there is before the end. */
export function readLine(stream: Readable): Promise<string | null> {
  return new Promise((resolvePromise, reject) => {
    let buf = "";
    const done = (line: string | null) => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      stream.pause();
      resolvePromise(line);
    };
    const onData = (chunk: Buffer | string) => {
      buf += typeof chunk === "string" ? chunk : chunk.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl !== -1) done(buf.slice(0, nl).replace(/\r$/, ""));
    };
    const onEnd = () => done(buf === "" ? null : buf.replace(/\r$/, ""));
    const onError = (e: Error) => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      reject(e);
    };
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", onError);
    stream.resume();
  });
}

/** One line typed on a raw-mode terminal, not echoed. null when the user pressed Ctrl-C or Ctrl-D. */
function readHidden(stdin: RawCapable): Promise<string | null> {
  return new Promise((resolvePromise) => {
    let value = "";
    let escape = false;
    const finish = (result: string | null) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.setRawMode?.(false);
      stdin.pause();
      resolvePromise(result);
    };
    const onEnd = () => finish(null);
    const onData = (chunk: Buffer | string) => {
      const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
      for (const ch of text) {
        if (escape) {
          // Skip an escape sequence (arrow keys and the like) up to its final letter or "~".
          if (/[A-Za-z~]/.test(ch)) escape = false;
          continue;
        }
        switch (ch) {
          case "\r": case "\n": finish(value); return;
          case "\u0003": finish(null); return; // Ctrl-C
          case "\u0004": if (value === "") { finish(null); return; } break; // Ctrl-D on an empty line
          case "\u007f": case "\b": value = Array.from(value).slice(0, -1).join(""); break;
          case "\u0015": value = ""; break; // Ctrl-U
          case "\u001b": escape = true; break;
          default: if (ch >= " ") value += ch;
        }
      }
    };
    stdin.setRawMode?.(true);
    stdin.on("data", onData);
    stdin.once("end", onEnd);
    stdin.resume();
  });
}

/**
 * Ask for a new password. On a terminal: `prompt`, then "Again" to confirm; on a pipe: the first line.
 * Prompts go to stderr, so stdout carries only results.
 */
export async function readNewPassword(io: CliIO, prompt: string): Promise<PasswordResult> {
  const stdin = io.stdin as RawCapable;
  if (io.isTTY && typeof stdin.setRawMode === "function") {
    io.stderr.write(prompt);
    const first = await readHidden(stdin);
    io.stderr.write("\n");
    if (first === null) return { ok: false, error: "cancelled" };
    if (first === "") return { ok: false, error: "the password is empty" };
    io.stderr.write("Again: ");
    const second = await readHidden(stdin);
    io.stderr.write("\n");
    if (second === null) return { ok: false, error: "cancelled" };
    if (second !== first) return { ok: false, error: "the passwords do not match" };
    return { ok: true, password: first };
  }
  const line = await readLine(io.stdin);
  if (line === null) return { ok: false, error: "no password on standard input (give it as the first line)" };
  if (line === "") return { ok: false, error: "the password is empty (the first line of standard input)" };
  return { ok: true, password: line };
}
