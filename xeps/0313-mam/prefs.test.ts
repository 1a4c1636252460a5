import test from "ava";
import parse from "ltx/lib/parse.js";
import { jid } from "../../src/jid.js";
import type { Json } from "../../src/storage/types.js";
import { defaultPrefs, normalisePrefs, parsePrefs, prefsElement, prefsFromJson, PrefsMatcher, prefsToJson } from "./prefs.js";

const NS = "urn:xmpp:mam:2";

test("XEP-0441 §2: a set is parsed with prepared JIDs, duplicates dropped, and a JID in both lists kept in never only", (t) => {
  const r = parsePrefs(parse(`<prefs xmlns='${NS}' default='roster'><always><jid>Romeo@Montague.LIT</jid>` +
    `<jid>romeo@montague.lit</jid><jid>juliet@capulet.lit/balcony</jid><jid>tybalt@capulet.lit</jid></always>` +
    `<never><jid>montague@montague.lit</jid><jid>tybalt@capulet.lit</jid></never></prefs>`));
  t.true(r.ok);
  if (!r.ok) return;
  t.deepEqual(r.prefs, {
    default: "roster",
    always: ["romeo@montague.lit", "juliet@capulet.lit/balcony"],
    never: ["montague@montague.lit", "tybalt@capulet.lit"],
  });
});

test("XEP-0441 §3.1: missing lists are empty; the default is required and must be one of the three", (t) => {
  const r = parsePrefs(parse(`<prefs xmlns='${NS}' default='never'/>`));
  t.deepEqual(r.ok && r.prefs, { default: "never", always: [], never: [] });
  for (const bad of [`<prefs xmlns='${NS}'/>`, `<prefs xmlns='${NS}' default='sometimes'/>`]) {
    const e = parsePrefs(parse(bad));
    t.false(e.ok);
    if (!e.ok) t.is(e.error.condition, "bad-request");
  }
  const malformed = parsePrefs(parse(`<prefs xmlns='${NS}' default='always'><never><jid>@bad@</jid></never></prefs>`));
  t.false(malformed.ok);
  if (!malformed.ok) t.is(malformed.error.condition, "jid-malformed");
});

test("XEP-0441 §2: the reply always has both lists, even empty", (t) => {
  t.is(prefsElement(defaultPrefs("always")).toString(), `<prefs xmlns="${NS}" default="always"><always/><never/></prefs>`);
  t.is(prefsElement(normalisePrefs("never", ["a@b"], ["c@d/e"])).toString(),
    `<prefs xmlns="${NS}" default="never"><always><jid>a@b</jid></always><never><jid>c@d/e</jid></never></prefs>`);
});

test("stored preferences round trip; anything else is refused", (t) => {
  const p = normalisePrefs("roster", ["a@b"], ["c@d/e"]);
  t.deepEqual(prefsFromJson(JSON.parse(JSON.stringify(prefsToJson(p)))), p);
  const others: Json[] = [null, "always", [], { default: "maybe", always: [], never: [] }, { default: "never", always: [1], never: [] }, { default: "never" }];
  for (const v of others) {
    t.is(prefsFromJson(v), undefined, JSON.stringify(v));
  }
});

test("XEP-0441 §3.2: a bare entry matches every resource, a full entry only itself", (t) => {
  const m = new PrefsMatcher(normalisePrefs("always", ["juliet@capulet.lit/balcony"], ["juliet@capulet.lit", "nurse@capulet.lit/kitchen"]));
  t.is(m.listed(jid("juliet@capulet.lit/balcony")), "always");
  t.is(m.listed(jid("juliet@capulet.lit/chamber")), "never");
  t.is(m.listed(jid("juliet@capulet.lit")), "never");
  t.is(m.listed(jid("nurse@capulet.lit/kitchen")), "never");
  t.is(m.listed(jid("nurse@capulet.lit/garden")), undefined);
  t.is(m.listed(jid("nurse@capulet.lit")), undefined);
});
