/**
 * Strict UTF-8 (RFC 3629, the encoding XMPP streams use: RFC 6120 §11.6) decoding of a byte stream that arrives
 * in chunks: a character split between two chunks is decoded once it is complete, and anything that is not
 * well-formed UTF-8 (overlong forms, surrogates, code points above U+10FFFF, stray continuation bytes) is an
 * error as soon as it is seen, as with `new TextDecoder("utf-8", { fatal: true })` in streaming mode. A byte
 * order mark at the start of the stream is dropped, as TextDecoder does.
 *
 * Decoding is `Buffer#toString`, whose decoder replaces ill-formed sequences with U+FFFD; only text that holds
 * U+FFFD is checked again with `buffer.isUtf8`. Cheaper than TextDecoder, whose streaming mode goes through an ICU
 * converter opened for each stream (each parser, so twice per login).
 */
import { isUtf8 } from "node:buffer";

/** Bytes a sequence needs, from its first byte; 0 for a byte no sequence may start with. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Whether `second` may follow `lead` (RFC 3629 §4: the ranges that exclude overlongs, surrogates, > U+10FFFF). */
function validSecond(lead: number, second: number): boolean {
  if (lead === 0xe0) return second >= 0xa0 && second <= 0xbf;
  if (lead === 0xed) return second >= 0x80 && second <= 0x9f;
  if (lead === 0xf0) return second >= 0x90 && second <= 0xbf;
  if (lead === 0xf4) return second >= 0x80 && second <= 0x8f;
  return second >= 0x80 && second <= 0xbf;
}

export class Utf8Stream {
  /** The start of a character whose remaining bytes have not arrived yet (at most 3 bytes). */
  private partial: Buffer | null = null;
  private atStart = true;

  /** The text of `chunk` (with what was held back before it), or null when the bytes are not UTF-8. */
  decode(chunk: Uint8Array): string | null {
    // The common case: nothing held back, and the chunk ends with an ASCII byte, so no character is cut.
    const last = chunk.length === 0 ? 0 : chunk[chunk.length - 1]!;
    if (this.partial === null && !this.atStart && last < 0x80 && Buffer.isBuffer(chunk)) return checked(chunk);
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.partial !== null) {
      bytes = Buffer.concat([this.partial, bytes]);
      this.partial = null;
    }
    if (this.atStart) {
      // Wait for three bytes before deciding whether the stream starts with a byte order mark.
      if (bytes.length < 3 && bytes.length > 0 && isBomPrefix(bytes)) {
        this.partial = Buffer.from(bytes);
        return "";
      }
      if (bytes.length > 0) this.atStart = false;
      if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    const end = this.completeLength(bytes);
    if (end < 0) return null;
    if (end === bytes.length) return checked(bytes);
    this.partial = Buffer.from(bytes.subarray(end)); // a copy: the caller may reuse its buffer
    return checked(bytes.subarray(0, end));
  }

  /**
   * Where the last complete character ends: `bytes.length` when nothing is cut, the start of an unfinished
   * sequence otherwise, or -1 when the unfinished sequence can already be seen to be invalid.
   */
  private completeLength(bytes: Buffer): number {
    const n = bytes.length;
    let start = n - 1;
    // A sequence is at most 4 bytes, so its first byte is among the last 4.
    while (start >= 0 && start > n - 4 && (bytes[start]! & 0xc0) === 0x80) start--;
    if (start < 0) return n; // only continuation bytes: isUtf8 refuses them
    const need = sequenceLength(bytes[start]!);
    const have = n - start;
    if (need <= have || need === 0) return n; // complete, or invalid in a way isUtf8 reports
    // The bytes after `start` are continuation bytes; the second must also be in the lead's range.
    if (have >= 2 && !validSecond(bytes[start]!, bytes[start + 1]!)) return -1;
    return start;
  }
}

/**
 * Complete characters to text, or null when they are not UTF-8. Node's decoder replaces every ill-formed sequence
 * with U+FFFD (WHATWG), so the bytes need checking only when the text holds one (which well-formed input may too).
 */
function checked(bytes: Buffer): string | null {
  const text = bytes.toString();
  return text.indexOf("\uFFFD") === -1 || isUtf8(bytes) ? text : null;
}

function isBomPrefix(bytes: Buffer): boolean {
  return bytes[0] === 0xef && (bytes.length < 2 || bytes[1] === 0xbb);
}
