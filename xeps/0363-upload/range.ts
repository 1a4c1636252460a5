/**
 * A Range request header (RFC 9110 §14.1.2, §14.2) for one file: a single byte range, which is what players and
 * download managers ask for. A header with several ranges, another unit or bad syntax is ignored (§14.2: a server
 * MAY ignore Range), and the whole file is sent.
 */
export type RangeDecision =
  | { kind: "whole" }
  | { kind: "range"; start: number; end: number }
  /** 416, with "Content-Range: bytes *\/size" (§15.5.17). */
  | { kind: "unsatisfiable" };

export function parseRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: "whole" };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "whole" };
  if (m[1] === "") {
    // A suffix range: the last N bytes (§14.1.2); a zero-length suffix selects nothing.
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n)) return { kind: "whole" };
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === "" ? Infinity : Number(m[2]);
  if (!Number.isSafeInteger(start) || (last !== Infinity && !Number.isSafeInteger(last))) return { kind: "whole" };
  if (last < start) return { kind: "whole" }; // invalid: ignored (§14.1.1)
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", start, end: Math.min(last, size - 1) };
}
