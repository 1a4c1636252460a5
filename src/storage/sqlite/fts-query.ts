/**
 * FTS5 query text for archive search. User words become quoted phrases restricted to the `text` column, so no
 * operator or column name of the user's reaches FTS5; the owner's scope token restricts the search to one owner.
 */
import { createHash } from "node:crypto";
import { fulltextWords } from "../fulltext.js";

/** One token (letters and digits only) standing for a store and owner: 128 bits of SHA-256. */
export function scopeToken(store: string, owner: string): string {
  const hash = createHash("sha256").update(`${store.length}:${store}`).update(owner);
  return "s" + hash.digest("hex").slice(0, 32);
}

/** The MATCH expression for a search of one owner's items; undefined when the input has no words. */
export function matchExpression(scope: string, input: string): string | undefined {
  const words = fulltextWords(input);
  if (words.length === 0) return undefined;
  const phrases = words.map((w) => `"${w.word.replaceAll('"', '""')}"${w.prefix ? "*" : ""}`);
  return `scope : "${scope}" AND text : (${phrases.join(" ")})`;
}
