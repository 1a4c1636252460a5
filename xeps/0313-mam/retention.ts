/**
 * How long archived messages are kept (XEP-0313 §3.1: a server MAY only keep messages until they reach a certain age;
 * what it removes MUST be the oldest, never a hole in the middle, which removal by age guarantees).
 */

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 };

/**
 * A retention setting in milliseconds, 0 meaning "keep forever": a number of days, or text such as "365d", "12w",
 * "1y", "48h" (a bare number is days), or "forever" / "none" / "0". Undefined when it is none of these.
 */
export function parseRetention(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value * UNIT_MS.d! : undefined;
  const text = value.trim().toLowerCase();
  if (text === "forever" || text === "none") return 0;
  const m = /^(\d+(?:\.\d+)?)\s*([hdwy]?)$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] || "d"]!;
}
