/**
 * Names and types of uploaded files: which file names a slot may carry (they end up in URLs and in
 * Content-Disposition, never in a file system path: files are stored by their random id), which content types the
 * service accepts, and how a file is served so that what someone uploaded cannot act as a page of this origin.
 */

/** Why a requested file name is refused, or null when it is fine. */
export function filenameProblem(name: string): string | null {
  if (name.length === 0) return "the file name is empty";
  if (Buffer.byteLength(name) > 255) return "the file name is longer than 255 bytes";
  if (name === "." || name === "..") return "the file name is a path component";
  if (/[/\\\u0000-\u001f\u007f]/.test(name)) return "the file name contains a slash, a backslash or a control character";
  return null;
}

const TOKEN = "[a-z0-9!#$&^_.+-]+";
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);

/**
 * A requested content type in canonical form: "type/subtype" in lower case, with a charset parameter kept when
 * there is a valid one (other parameters dropped); none given means application/octet-stream (§6 MAY). Null when
 * it is not a media type at all.
 */
export function normaliseType(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === "") return "application/octet-stream";
  const [base, ...params] = raw.split(";");
  const m = MEDIA_TYPE.exec(base!.trim().toLowerCase());
  if (!m) return null;
  const charset = params.map((p) => /^\s*charset\s*=\s*"?([A-Za-z0-9._:-]+)"?\s*$/i.exec(p)?.[1]).find((c) => c !== undefined);
  return charset ? `${m[1]}/${m[2]}; charset=${charset.toLowerCase()}` : `${m[1]}/${m[2]}`;
}

/** The "type/subtype" of a content type, without parameters. */
export const baseType = (type: string): string => type.split(";")[0]!.trim().toLowerCase();

/** Whether `type` matches a pattern: "image/png", "image/*" or "*" (or "*\/*"). */
export function typeMatches(pattern: string, type: string): boolean {
  const p = pattern.trim().toLowerCase();
  const t = baseType(type);
  if (p === "*" || p === "*/*") return true;
  if (p.endsWith("/*")) return t.startsWith(p.slice(0, -1));
  return p === t;
}

/** Whether the service takes files of this type: not denied, and allowed (an empty allow list allows all). */
export function typeAccepted(type: string, allow: readonly string[], deny: readonly string[]): boolean {
  if (deny.some((p) => typeMatches(p, type))) return false;
  return allow.length === 0 || allow.some((p) => typeMatches(p, type));
}

/**
 * Types a browser shows in the page itself without running anything uploaded: pictures (not SVG, which is a
 * document that can hold scripts), audio, video and plain text. Everything else is served as a download.
 */
export function servedInline(type: string): boolean {
  const t = baseType(type);
  if (/^image\/(png|jpeg|gif|webp|avif|bmp|heic|heif)$/.test(t)) return true;
  return t.startsWith("audio/") || t.startsWith("video/") || t === "text/plain";
}

/**
 * Content-Disposition (RFC 6266 §4) for a download: inline for the types above, attachment otherwise; the name as
 * an ASCII fallback and in full as RFC 8187 UTF-8.
 */
export function contentDisposition(type: string, name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${servedInline(type) ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
