/** Lexemes, tsvector and tsquery text of the PostgreSQL driver's full-text search (src/storage/postgres/text-search.ts). */
import test from "ava";
import { lexemes, scopeLexeme, tsqueryText, tsvectorText } from "../../src/storage/postgres/text-search.js";

test("lexemes are FTS5 unicode61 words: letters and digits, lower case, without diacritics", (t) => {
  t.deepEqual(lexemes("Hello, WORLD! e-mail bob@example.com 3.14 it's under_score"),
    ["hello", "world", "e", "mail", "bob", "example", "com", "3", "14", "it", "s", "under", "score"]);
  t.deepEqual(lexemes("Café ÉCOLE naïve he\u0301llo Straße"), ["cafe", "ecole", "naive", "hello", "straße"]);
  t.deepEqual(lexemes("a✓b 😀x $5"), ["a", "b", "x", "5"], "symbols separate words");
  t.deepEqual(lexemes("日本語のテキスト"), ["日本語のテキスト"], "a run of letters is one word, as in FTS5");
  t.deepEqual(lexemes("ガイド ｶ"), ["ガイド", "ｶ"], "marks other than accents stay with their letters; no compatibility folding");
  t.deepEqual(lexemes("हिन्दी Ωμέγα"), ["हिन्दी", "ωμεγα"]);
  t.deepEqual(lexemes("  -- !! "), []);
});

test("scope lexemes are distinct per store and owner, and no word can be one", (t) => {
  const a = scopeLexeme("mam/archive", "alice@example.com");
  t.regex(a, /^~[0-9a-f]{32}$/);
  t.is(scopeLexeme("mam/archive", "alice@example.com"), a);
  t.not(scopeLexeme("mam/archive", "bob@example.com"), a);
  t.not(scopeLexeme("muc/archive", "alice@example.com"), a);
  t.not(scopeLexeme("ab", "c"), scopeLexeme("a", "bc"));
  t.deepEqual(lexemes(a), [a.slice(1)], "~ is not a word character");
});

test("tsvector text: the scope, then each lexeme with its positions, quoted", (t) => {
  t.is(tsvectorText("~s", "Hello hello WORLD"), "'~s' 'hello':1,2 'world':3");
  t.is(tsvectorText("~s", ""), "'~s'");
  const long = tsvectorText("~s", `${"x".repeat(3000)} y`);
  t.is(long, "'~s' 'y':2", "a word too long for PostgreSQL is left out; positions stay");
  const many = tsvectorText("~s", "w ".repeat(1000));
  t.is(many.split(":")[1]!.split(",").length, 256, "at most 256 positions per lexeme");
});

test("tsquery text: every word required, quoted; phrases for words of several lexemes; * makes a prefix", (t) => {
  t.is(tsqueryText("~s", "hello World"), "'~s' & 'hello' & 'world'");
  t.is(tsqueryText("~s", "hel* e-mail"), "'~s' & 'hel':* & ('e' <-> 'mail')");
  t.is(tsqueryText("~s", "example.c*"), "'~s' & ('example' <-> 'c':*)");
  t.is(tsqueryText("~s", `'; DROP TABLE archive; -- NOT & | ! <->`), "'~s' & 'drop' & 'table' & 'archive' & 'not'");
  t.is(tsqueryText("~s", "\" - hello"), "'~s' & 'hello'", "a word without lexemes is left out");
  t.is(tsqueryText("~s", "\" -"), undefined, "nothing left: matches nothing");
  t.is(tsqueryText("~s", "   "), undefined);
  t.is(tsqueryText("~s", "x".repeat(3000)), undefined, "a word that cannot be indexed cannot be found");
  t.is(tsqueryText("~it's", "a"), "'~it''s' & 'a'", "quotes in a lexeme are doubled");
});
