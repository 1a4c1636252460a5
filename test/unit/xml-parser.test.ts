import test from "ava";
import type { Element } from "ltx";
import { StreamParser, type ParserLimits } from "../../src/xml/parser.js";

const LIMITS: ParserLimits = { maxStanzaBytes: 10_000, maxDepth: 16, maxAttributes: 16 };

function collect(input: Array<string | Buffer>, limits = LIMITS, mode: "stream" | "framed" = "stream") {
  const out = { open: null as null | { name: string; attrs: Record<string, string> }, elements: [] as [Element, string][], closed: false, error: null as null | { condition: string; text: string } };
  const p = new StreamParser({
    streamOpen: (name, attrs) => { out.open = { name, attrs }; },
    element: (el, ns) => { out.elements.push([el, ns]); },
    streamClose: () => { out.closed = true; },
    error: (condition, text) => { out.error = { condition, text }; },
  }, limits, mode);
  for (const chunk of input) p.write(chunk);
  return out;
}

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

test("stream header, stanzas and close", (t) => {
  const r = collect([HEADER + "<message to='a@b' id='1'><body>hi &amp; &lt;there&gt; &#x263A;</body></message> \n<stream:features/></stream:stream>"]);
  t.is(r.error, null);
  t.is(r.open?.name, "stream:stream");
  t.is(r.open?.attrs.to, "localhost");
  t.is(r.elements.length, 2);
  const [msg, ns] = r.elements[0]!;
  t.is(ns, "jabber:client");
  t.is(msg.getChildText("body"), "hi & <there> \u263A");
  t.is(r.elements[1]![1], "http://etherx.jabber.org/streams");
  t.true(r.closed);
});

test("input split at every byte gives the same result", (t) => {
  const doc = HEADER + "<iq type='get' id='x&apos;y'><query xmlns='urn:x'><a b=\"1>2\"/>t&#233;xt<![CDATA[<raw>]]></query></iq>";
  const bytes = Buffer.from(doc + "<message><body>\u00e9\u{1F600}</body></message>");
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
  const r = collect(chunks);
  t.is(r.error, null);
  t.is(r.elements.length, 2);
  const iq = r.elements[0]![0];
  t.is(iq.attrs.id, "x'y");
  const q = iq.getChild("query")!;
  t.is(q.getChild("a")!.attrs.b, "1>2");
  t.is(q.getText(), "t\u00e9xt<raw>");
  t.is(r.elements[1]![0].getChildText("body"), "\u00e9\u{1F600}");
});

for (const [name, body, condition] of [
  ["comment", "<!-- hi -->", "restricted-xml"],
  ["DTD", "<!DOCTYPE foo [<!ENTITY x 'y'>]>", "restricted-xml"],
  ["processing instruction", "<?php x ?>", "restricted-xml"],
  ["undeclared entity", "<message><body>&xxe;</body></message>", "restricted-xml"],
  ["mismatched tags", "<message><body></message>", "not-well-formed"],
  ["unquoted attribute", "<message to=a/>", "not-well-formed"],
  ["duplicate attribute", "<message to='a' to='b'/>", "not-well-formed"],
  ["lt in attribute", "<message to='a<b'/>", "not-well-formed"],
  ["control character", "<message><body>\u0001</body></message>", "not-well-formed"],
  ["bad char ref", "<message><body>&#0;</body></message>", "not-well-formed"],
  ["undeclared prefix", "<foo:message/>", "bad-namespace-prefix"],
  ["text at stream level", "hello", "bad-format"],
  ["bad element name", "<1message/>", "not-well-formed"],
] as const) {
  test(`refuses ${name}`, (t) => {
    const r = collect([HEADER, body]);
    t.is(r.error?.condition, condition);
    t.is(r.elements.length, 0);
  });
}

test("a DTD before the stream header is restricted", (t) => {
  const r = collect(["<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY lol 'lol'>]><stream:stream>"]);
  t.is(r.error?.condition, "restricted-xml");
  t.is(r.open, null);
});

test("invalid UTF-8 is not well-formed", (t) => {
  const r = collect([HEADER, Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e])]);
  t.is(r.error?.condition, "not-well-formed");
});

test("oversized stanza is refused while streaming, before it is complete", (t) => {
  const limits = { ...LIMITS, maxStanzaBytes: 2000 };
  const chunks = [HEADER, "<message><body>"];
  for (let i = 0; i < 100; i++) chunks.push("x".repeat(100));
  const r = collect(chunks, limits);
  t.is(r.error?.condition, "policy-violation");
});

test("oversized single tag (huge attribute) is refused", (t) => {
  const r = collect([HEADER, "<message to='", "a".repeat(20_000)], { ...LIMITS, maxStanzaBytes: 2000 });
  t.is(r.error?.condition, "policy-violation");
});

test("depth and attribute limits", (t) => {
  t.is(collect([HEADER, "<a>".repeat(40)]).error?.condition, "policy-violation");
  const attrs = Array.from({ length: 20 }, (_, i) => `a${i}='1'`).join(" ");
  t.is(collect([HEADER, `<message ${attrs}/>`]).error?.condition, "policy-violation");
});

test("whitespace keepalives between stanzas are ignored", (t) => {
  const r = collect([HEADER, " ", "\n", "<presence/>", "  \t"]);
  t.is(r.error, null);
  t.is(r.elements.length, 1);
});

test("the limit applies per stanza, not per stream", (t) => {
  const chunks = [HEADER];
  for (let i = 0; i < 50; i++) chunks.push(`<message><body>${"y".repeat(500)}</body></message>`);
  const r = collect(chunks, { ...LIMITS, maxStanzaBytes: 1000 });
  t.is(r.error, null);
  t.is(r.elements.length, 50);
});

test("framed mode emits each top-level element (RFC 7395)", (t) => {
  const r = collect(["<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>", "<message xmlns='jabber:client'><body>x</body></message>"], LIMITS, "framed");
  t.is(r.error, null);
  t.is(r.elements.length, 2);
  t.is(r.elements[0]![1], "urn:ietf:params:xml:ns:xmpp-framing");
});

test("nothing is parsed after an error", (t) => {
  const r = collect([HEADER, "<!-- x -->", "<message/>"]);
  t.is(r.error?.condition, "restricted-xml");
  t.is(r.elements.length, 0);
});
