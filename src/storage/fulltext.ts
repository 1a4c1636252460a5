/**
 * Full-text search input (XEP-0431 style `fulltext` field) turned into a safe word query: every whitespace-separated
 * word must occur in the item's text, matched as a whole word, case- and diacritic-insensitively; a word ending in
 * `*` matches as a prefix. User input never reaches the search engine's own query syntax.
 */

export interface FulltextWord {
  word: string;
  prefix: boolean;
}

/** The words of a search string; empty when there is nothing to search for (the query then matches nothing). */
export function fulltextWords(input: string): FulltextWord[] {
  const words: FulltextWord[] = [];
  for (const raw of input.split(/\s+/u)) {
    const prefix = raw.length > 1 && raw.endsWith("*");
    const word = prefix ? raw.replace(/\*+$/u, "") : raw;
    if (word.length > 0 && word !== "*") words.push({ word, prefix });
  }
  return words;
}
