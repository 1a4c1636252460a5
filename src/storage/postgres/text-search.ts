/**
 * Full-text search on PostgreSQL (tsvector + tsquery, GIN index), with the matching rules of the SQLite driver's FTS5
 * `unicode61 remove_diacritics 2` tokenizer (src/storage/fulltext.ts): a word is a run of letters, digits and
 * private-use characters; case and diacritics are ignored; no stemming, no stop words ("not", "the" are words).
 *
 * Words are made here, not by a text search configuration of the server: PostgreSQL's parser keeps e-mail addresses,
 * URLs and hyphenated words whole and its dictionaries stem or drop words, and `unaccent` is an extension the database
 * user may not be allowed to create. So the tsvector is built from our own lexemes (with their positions, for phrases)
 * and the tsquery from the same lexemes of the user's words, each quoted: no search syntax of the user's reaches
 * PostgreSQL. For Latin script the words are FTS5's. Elsewhere two differences, both for the better: accents of the
 * combining diacritical marks blocks are removed in every script (FTS5 keeps Greek tonos), and other combining marks
 * (Devanagari vowel signs, say) are part of their word, where FTS5 splits words at them.
 *
 * Like the SQLite driver's scope token, each item's tsvector holds one lexeme naming its store and owner, and every
 * search requires it, so a search intersects the owner's entries inside the GIN index. It contains a character no
 * word lexeme has, so no text can collide with it.
 */
import { createHash } from "node:crypto";
import { fulltextWords } from "../fulltext.js";

/** Longest lexeme PostgreSQL accepts (bytes); longer words are not indexed, and searching for one finds nothing. */
const MAX_LEXEME_BYTES = 2047;
/** Highest word position PostgreSQL keeps (later ones are clamped to it, so phrases there are approximate). */
const MAX_POSITION = 16383;
/** Positions PostgreSQL keeps per lexeme. */
const MAX_POSITIONS = 256;
/** A tsvector may not exceed 1 MiB: stop adding new lexemes well before (a text that long is mostly repetition). */
const MAX_TSVECTOR_BYTES = 900_000;

const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
/** The combining diacritical marks blocks (accents, cedillas, ...), as NFD separates them from their letters. */
const DIACRITICS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+/gu;

/**
 * The lexemes of a text, in order: lower case, diacritics removed (other marks, such as the Japanese voicing mark,
 * recomposed with their letters), split at everything that is not a letter, digit or mark.
 */
export function lexemes(text: string): string[] {
  return text.toLowerCase().normalize("NFD").replace(DIACRITICS, "").normalize("NFC").match(WORD) ?? [];
}

/** The lexeme for one store and owner: "~" and 128 bits of SHA-256. */
export function scopeLexeme(store: string, owner: string): string {
  const hash = createHash("sha256").update(`${store.length}:${store}`).update(owner);
  return "~" + hash.digest("hex").slice(0, 32);
}

/** A lexeme as a quoted tsvector / tsquery literal. */
function quote(lexeme: string): string {
  return `'${lexeme.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** tsvector input for an item's text, with its scope lexeme (no positions) and each word's positions. */
export function tsvectorText(scope: string, text: string): string {
  const positions = new Map<string, number[]>();
  let bytes = 0;
  let position = 0;
  for (const lexeme of lexemes(text)) {
    position = Math.min(position + 1, MAX_POSITION);
    let list = positions.get(lexeme);
    if (list === undefined) {
      const size = Buffer.byteLength(lexeme);
      if (size > MAX_LEXEME_BYTES || bytes + size + 8 > MAX_TSVECTOR_BYTES) continue;
      bytes += size + 8;
      list = [];
      positions.set(lexeme, list);
    }
    if (list.length < MAX_POSITIONS && list.at(-1) !== position && bytes + 2 <= MAX_TSVECTOR_BYTES) {
      list.push(position);
      bytes += 2;
    }
  }
  const parts = [quote(scope)];
  for (const [lexeme, list] of positions) parts.push(`${quote(lexeme)}:${list.join(",")}`);
  return parts.join(" ");
}

/**
 * tsquery input for a search of one owner's items: the scope, and every word (a word of several lexemes, such as
 * "e-mail", is a phrase of them; a trailing `*` makes its last lexeme a prefix). undefined when the input has no
 * word, or has one that cannot be indexed: then nothing matches. Words without any lexeme ("-") are left out, as
 * FTS5 leaves out an empty phrase.
 */
export function tsqueryText(scope: string, input: string): string | undefined {
  const terms: string[] = [];
  for (const word of fulltextWords(input)) {
    const parts = lexemes(word.word);
    if (parts.length === 0) continue;
    if (parts.some((p) => Buffer.byteLength(p) > MAX_LEXEME_BYTES)) return undefined;
    const quoted = parts.map(quote);
    if (word.prefix) quoted[quoted.length - 1] += ":*";
    terms.push(quoted.length === 1 ? quoted[0]! : `(${quoted.join(" <-> ")})`);
  }
  if (terms.length === 0) return undefined;
  return [quote(scope), ...terms].join(" & ");
}
