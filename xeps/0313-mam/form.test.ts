import test from "ava";
import parse from "ltx/lib/parse.js";
import { parseDateTime, parseQuery, queryForm, type MamQuery } from "./form.js";
import { parseRetention } from "./retention.js";

const NS = "urn:xmpp:mam:2";
const form = (fields: string, type = "submit") =>
  `<x xmlns='jabber:x:data' type='${type}'><field var='FORM_TYPE' type='hidden'><value>${NS}</value></field>${fields}</x>`;
const field = (name: string, ...values: string[]) => `<field var='${name}'>${values.map((v) => `<value>${v}</value>`).join("")}</field>`;
const query = (inner: string, attrs = "") => parse(`<query xmlns='${NS}'${attrs}>${inner}</query>`);

function ok(t: { true: (v: boolean, m?: string) => void }, inner: string, attrs = ""): MamQuery {
  const r = parseQuery(query(inner, attrs));
  t.true(r.ok, r.ok ? "" : `${r.error.condition}: ${r.error.text}`);
  if (!r.ok) throw new Error("unreachable");
  return r.value;
}

function fails(inner: string): string {
  const r = parseQuery(query(inner));
  return r.ok ? "ok" : r.error.condition;
}

test("XEP-0082 DateTime: Z and offsets, fractions, and dates that do not exist", (t) => {
  t.is(parseDateTime("2010-06-07T00:00:00Z"), Date.UTC(2010, 5, 7));
  t.is(parseDateTime("2010-07-07T13:23:54.5Z"), Date.UTC(2010, 6, 7, 13, 23, 54, 500));
  t.is(parseDateTime("2010-07-07T15:23:54+02:00"), Date.UTC(2010, 6, 7, 13, 23, 54));
  t.is(parseDateTime("2010-07-07T08:53:54-04:30"), Date.UTC(2010, 6, 7, 13, 23, 54));
  t.is(parseDateTime("2024-02-29T00:00:00Z"), Date.UTC(2024, 1, 29));
  t.is(parseDateTime("0001-01-01T00:00:00Z"), new Date("0001-01-01T00:00:00Z").getTime(), "years before 100 are not read as 19xx");
  for (const bad of ["2010-06-07", "2010-06-07T00:00:00", "2010-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2010-06-07T24:00:00Z",
    "2010-06-07T00:60:00Z", "2010-06-07 00:00:00Z", "2010-06-07T00:00:00+0200", "yesterday", ""]) {
    t.is(parseDateTime(bad), undefined, bad);
  }
});

test("§4.1: every field of the form, RSM and flip-page", (t) => {
  const q = ok(t, form(field("with", "Juliet@Capulet.LIT") + field("start", "2010-06-07T00:00:00Z") + field("end", "2010-07-07T13:23:54.0009Z") +
    field("after-id", "a1") + field("before-id", "b2") + field("ids", "x", "y") + field("{urn:xmpp:fulltext:0}fulltext", "thou art") +
    field("include-groupchat", "false")) + "<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>c3</after></set><flip-page/>", " queryid='f27'");
  t.is(q.queryid, "f27");
  t.is(q.with?.full, "juliet@capulet.lit");
  t.is(q.start, Date.UTC(2010, 5, 7));
  t.is(q.end, Date.UTC(2010, 6, 7, 13, 23, 54), "sub-millisecond end rounds down (inwards)");
  t.is(q.afterId, "a1");
  t.is(q.beforeId, "b2");
  t.deepEqual(q.ids, ["x", "y"]);
  t.is(q.fulltext, "thou art");
  t.false(q.includeGroupchat);
  t.is(q.max, 10);
  t.is(q.after, "c3");
  t.is(q.before, undefined);
  t.true(q.flip);
});

test("§4: a bare query has no filter; an empty <before/> asks for the last page (§4.2.3)", (t) => {
  t.deepEqual(ok(t, ""), { flip: false });
  const q = ok(t, "<set xmlns='http://jabber.org/protocol/rsm'><max>0</max><before/></set>");
  t.is(q.before, "");
  t.is(q.max, 0);
});

test("a form without FORM_TYPE is accepted (§4.1.6: clients need not fetch the form); empty values are no filter", (t) => {
  const q = ok(t, `<x xmlns='jabber:x:data' type='submit'>${field("with")}${field("start", "")}${field("{urn:xmpp:fulltext:0}fulltext", " ")}</x>`);
  t.deepEqual(q, { flip: false });
  t.deepEqual(ok(t, form(field("ids"))).ids, [], "an empty ids list selects nothing");
});

test("malformed forms, dates, JIDs and RSM are bad-request; unknown fields and index paging feature-not-implemented", (t) => {
  t.is(fails(form(field("start", "June 7th"))), "bad-request");
  t.is(fails(form(field("end", "2010-06-07T25:00:00Z"))), "bad-request");
  t.is(fails(form(field("with", "@capulet.lit"))), "bad-request");
  t.is(fails(form(field("with", "a@b", "c@d"))), "bad-request");
  t.is(fails(form(field("start", "2010-06-07T00:00:00Z") + field("start", "2010-06-08T00:00:00Z"))), "bad-request");
  t.is(fails(form(field("ids", "a", ""))), "bad-request");
  t.is(fails(form(field("include-groupchat", "maybe"))), "bad-request");
  t.is(fails(form("", "form")), "bad-request");
  t.is(fails(`<x xmlns='jabber:x:data' type='submit'>${field("FORM_TYPE", "urn:xmpp:mam:1")}</x>`), "bad-request");
  t.is(fails(`<x xmlns='jabber:x:data' type='submit'><field><value>v</value></field></x>`), "bad-request");
  t.is(fails("<set xmlns='http://jabber.org/protocol/rsm'><max>ten</max></set>"), "bad-request");
  t.is(fails("<set xmlns='http://jabber.org/protocol/rsm'><max>-1</max></set>"), "bad-request");
  t.is(fails("<set xmlns='http://jabber.org/protocol/rsm'><after/></set>"), "bad-request");
  t.is(fails(form(field("{http://example.com/}mood", "lonely"))), "feature-not-implemented");
  t.is(fails("<set xmlns='http://jabber.org/protocol/rsm'><index>3</index></set>"), "feature-not-implemented");
  t.is(parseQuery(query("", " node='urn:xmpp:mucsub:nodes:messages'")).ok, false, "XEP-0442 nodes");
});

test("§4.1.6: the form lists the mandatory fields, none required, ids open, and the full-text field", (t) => {
  const x = queryForm().getChild("x", "jabber:x:data")!;
  t.is(x.attrs.type, "form");
  const fields = Object.fromEntries(x.getChildren("field").map((f) => [f.attrs.var, f.attrs.type]));
  t.like(fields, {
    FORM_TYPE: "hidden", with: "jid-single", start: "text-single", end: "text-single", "before-id": "text-single",
    "after-id": "text-single", ids: "list-multi", "{urn:xmpp:fulltext:0}fulltext": "text-single",
  });
  t.true(x.getChildren("field").every((f) => !f.getChild("required")));
  const ids = x.getChildren("field").find((f) => f.attrs.var === "ids")!;
  t.truthy(ids.getChild("validate", "http://jabber.org/protocol/xdata-validate")?.getChild("open"));
  t.is(ids.getChildren("value").length, 0, "no list of ids");
  t.is(x.getChildren("field")[0]!.getChildText("value"), NS);
});

test("retention: days, units, forever", (t) => {
  const day = 86_400_000;
  t.is(parseRetention(365), 365 * day);
  t.is(parseRetention("365d"), 365 * day);
  t.is(parseRetention("365"), 365 * day);
  t.is(parseRetention("12w"), 84 * day);
  t.is(parseRetention("1y"), 365 * day);
  t.is(parseRetention("48h"), 2 * day);
  t.is(parseRetention(0), 0);
  t.is(parseRetention("forever"), 0);
  t.is(parseRetention("none"), 0);
  for (const bad of ["-1", "1 month", "d", "", "1m"]) t.is(parseRetention(bad), undefined, bad);
  t.is(parseRetention(-3), undefined);
});
