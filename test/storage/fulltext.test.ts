/** Search input to words (src/storage/fulltext.ts) and to the SQLite FTS5 expression (src/storage/sqlite/fts-query.ts). */
import test from "ava";
import { fulltextWords } from "../../src/storage/fulltext.js";
import { matchExpression, scopeToken } from "../../src/storage/sqlite/fts-query.js";

test("words are split on any whitespace; a trailing * marks a prefix", (t) => {
  t.deepEqual(fulltextWords("  hello\tworld\n"), [
    { word: "hello", prefix: false },
    { word: "world", prefix: false },
  ]);
  t.deepEqual(fulltextWords("hel* x**"), [
    { word: "hel", prefix: true },
    { word: "x", prefix: true },
  ]);
  t.deepEqual(fulltextWords("* ** ***"), [], "stars alone are no words");
  t.deepEqual(fulltextWords(""), []);
  t.deepEqual(fulltextWords("a*b"), [{ word: "a*b", prefix: false }], "only a trailing * counts");
});

test("the FTS5 expression quotes every word and searches the text column of one scope", (t) => {
  const scope = scopeToken("mam/archive", "alice@example.com");
  t.is(
    matchExpression(scope, 'say "hi" NOT (x) hel*'),
    `scope : "${scope}" AND text : ("say" """hi""" "NOT" "(x)" "hel"*)`,
  );
  t.is(matchExpression(scope, "   "), undefined);
});

test("scope tokens are single FTS5 tokens, distinct per store and owner", (t) => {
  const a = scopeToken("mam/archive", "alice@example.com");
  t.regex(a, /^s[0-9a-f]{32}$/);
  t.is(scopeToken("mam/archive", "alice@example.com"), a, "stable");
  t.not(scopeToken("mam/archive", "bob@example.com"), a);
  t.not(scopeToken("muc/archive", "alice@example.com"), a);
  t.not(scopeToken("ab", "c"), scopeToken("a", "bc"), "the store/owner boundary is unambiguous");
});
