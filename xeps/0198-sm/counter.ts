/**
 * XEP-0198 §4 sequence numbers: 'h' is an xs:unsignedInt that starts at zero and, after 2^32 - 1, wraps back to zero
 * ("SHALL be reset from 2^32-1 back to zero (rather than being incremented to 2^32)"). All arithmetic on it is
 * modulo 2^32.
 */

const UINT32 = 2 ** 32;

/** The counter after one more stanza. */
export function increment(h: number): number {
  return (h + 1) % UINT32;
}

/** `h + n` modulo 2^32. */
export function advance(h: number, n: number): number {
  return (h + n) % UINT32;
}

/** How many stanzas lie after `from` up to and including `to`, modulo 2^32 (0 when they are equal). */
export function distance(from: number, to: number): number {
  return (((to - from) % UINT32) + UINT32) % UINT32;
}

/** An 'h' attribute: a decimal xs:unsignedInt (0 to 2^32 - 1), or null when it is missing or not one. */
export function parseH(value: string | undefined): number | null {
  if (value === undefined || !/^\+?[0-9]{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n < UINT32 ? n : null;
}
