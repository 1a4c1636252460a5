/**
 * Strict base64 (RFC 4648 §4) for SASL: the canonical alphabet and padding, no whitespace, no stray bits.
 * SCRAM requires the canonical form (RFC 5802 §2.1 "Base64"); RFC 6120 §6.4.2 makes anything else an
 * `incorrect-encoding` failure. Node's own decoder is lenient (it skips invalid characters), so check first.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The decoded bytes, or null when `s` is not canonical base64. The empty string decodes to no bytes. */
export function decodeBase64(s: string): Buffer | null {
  if (!BASE64.test(s)) return null;
  const bytes = Buffer.from(s, "base64");
  // Unused bits of the last character must be zero, otherwise two encodings would map to the same bytes.
  return bytes.toString("base64") === s ? bytes : null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Well-formed UTF-8 to a string, or null (overlong forms, surrogates and truncated sequences are rejected). */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}
