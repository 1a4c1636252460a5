/**
 * The scripted-conversation runner's pure parts: the structural XML matcher (conformance/runner/xml-match.ts),
 * the script parser (script.ts) and spec references (spec-ref.ts).
 */
import test from "ava";
import { parseScript, parseStanzas, ScriptSyntaxError } from "../../conformance/runner/script.js";
import { parseSpecRef, parseSpecRefs, specKey } from "../../conformance/runner/spec-ref.js";
import { matchSequence, matchStanza, ScriptError, type MatchContext } from "../../conformance/runner/xml-match.js";

const vars: Record<string, string> = { domain: "localhost", "Alice.full": "alice@localhost/home", "Alice.bare": "alice@localhost" };
const ctx = (exact = false): MatchContext => ({ exact, variable: (n) => vars[n] });
const one = (xml: string) => parseStanzas(xml)[0]!;
const match = (expected: string, received: string, exact = false, bindings = new Map<string, string>()) =>
  matchStanza(one(expected), one(received), ctx(exact), bindings);

test("attributes compare by value, in any order; attributes the script leaves out are allowed", (t) => {
  t.true(match(`<iq type='result' id='a1'/>`, `<iq id="a1" from="localhost" type="result"/>`).ok);
  const r = match(`<iq type='result' id='a1'/>`, `<iq type='error' id='a1'/>`);
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.path, "iq/@type");
    t.regex(r.reason, /expected "result", got "error"/);
  }
});

test("exactly: no other attribute, child or text", (t) => {
  t.false(match(`<iq type='result' id='a1'/>`, `<iq type='result' id='a1' from='localhost'/>`, true).ok);
  t.false(match(`<iq type='result' id='a1'/>`, `<iq type='result' id='a1'><ping xmlns='urn:xmpp:ping'/></iq>`, true).ok);
  t.false(match(`<message><body/></message>`, `<message><body>hi</body></message>`, true).ok);
  t.true(match(`<iq type='result' id='a1'><ping xmlns='urn:xmpp:ping'/></iq>`, `<iq id='a1' type='result'><ping xmlns='urn:xmpp:ping'/></iq>`, true).ok);
});

test("children: each expected one needs its own received child, in any order; extra ones are allowed", (t) => {
  const received = `<query xmlns='http://jabber.org/protocol/disco#info'><feature var='a'/><feature var='b'/><feature var='c'/></query>`;
  t.true(match(`<query xmlns='http://jabber.org/protocol/disco#info'><feature var='c'/><feature var='a'/></query>`, received).ok);
  // Two expected children cannot share one received child.
  t.false(match(`<query xmlns='http://jabber.org/protocol/disco#info'><feature var='a'/><feature var='a'/></query>`, received).ok);
  const r = match(`<query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:ping'/></query>`, received);
  t.false(r.ok);
  if (!r.ok) t.regex(r.reason, /feature/);
});

test("namespaces compare by meaning: default namespace, prefixes and the stream prefix", (t) => {
  t.true(match(`<x:query xmlns:x='jabber:iq:version'/>`, `<query xmlns='jabber:iq:version'/>`).ok);
  t.false(match(`<query xmlns='jabber:iq:version'/>`, `<query xmlns='jabber:iq:last'/>`).ok);
  t.true(match(`<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`,
    `<stream:error xmlns:stream='http://etherx.jabber.org/streams'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`).ok);
  // <message/> in jabber:client is not <message/> in another namespace.
  t.false(match(`<message/>`, `<message xmlns='urn:example'/>`).ok);
});

test("text: compared trimmed when the script gives some, ignored otherwise", (t) => {
  t.true(match(`<name>Palaver</name>`, `<name>  Palaver\n</name>`).ok);
  t.false(match(`<name>Palaver</name>`, `<name>Prosody</name>`).ok);
  t.true(match(`<name/>`, `<name>anything</name>`).ok);
});

test("markers: {any}, {int}, {datetime}, {tzo}, {none}, variables and embedded markers", (t) => {
  t.true(match(`<q seconds='{int}'/>`, `<q seconds='42'/>`).ok);
  t.false(match(`<q seconds='{int}'/>`, `<q seconds='4.2'/>`).ok);
  t.false(match(`<q seconds='{any}'/>`, `<q/>`).ok);
  t.true(match(`<t><utc>{datetime}</utc><tzo>{tzo}</tzo></t>`, `<t><utc>2024-05-01T10:00:00Z</utc><tzo>-05:30</tzo></t>`).ok);
  t.false(match(`<t><utc>{datetime}</utc></t>`, `<t><utc>yesterday</utc></t>`).ok);
  t.true(match(`<iq id='{none}'/>`, `<iq type='error'/>`).ok);
  t.false(match(`<iq id='{none}'/>`, `<iq id='x'/>`).ok);
  t.true(match(`<iq to='\${Alice.full}'/>`, `<iq to='alice@localhost/home'/>`).ok);
  t.true(match(`<jid>\${Alice.bare}/{any}</jid>`, `<jid>alice@localhost/palaver-xyz</jid>`).ok);
  t.false(match(`<jid>\${Alice.bare}/{any}</jid>`, `<jid>bob@localhost/palaver-xyz</jid>`).ok);
  // A variable's value is literal, even when it looks like a marker.
  vars.odd = "{int}";
  t.false(match(`<q v='\${odd}'/>`, `<q v='7'/>`).ok);
  t.true(match(`<q v='\${odd}'/>`, `<q v='{int}'/>`).ok);
  delete vars.odd;
  t.throws(() => match(`<iq to='\${Nobody.full}'/>`, `<iq to='x'/>`), { instanceOf: ScriptError });
  t.throws(() => match(`<iq to='a{none}'/>`, `<iq/>`), { instanceOf: ScriptError });
});

test("captures bind a value for later steps, and a second capture of the same name must agree", (t) => {
  const r = match(`<jid>\${Alice.bare}/{capture:res}</jid>`, `<jid>alice@localhost/phone</jid>`);
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.bindings.get("res"), "phone");
  t.true(match(`<iq to='\${Alice.bare}/\${res}'/>`, `<iq to='alice@localhost/phone'/>`, false, r.bindings).ok);
  t.false(match(`<x a='{capture:res}'/>`, `<x a='desk'/>`, false, r.bindings).ok);
  t.true(match(`<x a='{capture:res}'/>`, `<x a='phone'/>`, false, r.bindings).ok);
});

test("scs:absent: the child must not be there", (t) => {
  const features = `<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`;
  t.true(match(`<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls' scs:absent='true'/></stream:features>`, features).ok);
  const r = match(`<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind' scs:absent='true'/></stream:features>`, features);
  t.false(r.ok);
  if (!r.ok) t.regex(r.reason, /must not be/);
});

test("sequences: in order, or in any order", (t) => {
  const exp = parseStanzas(`<a xmlns='urn:x'/><b xmlns='urn:x'/>`);
  const rec = parseStanzas(`<b xmlns='urn:x'/><a xmlns='urn:x'/>`);
  t.false(matchSequence(exp, rec, ctx(), false).ok);
  t.true(matchSequence(exp, rec, ctx(), true).ok);
});

const SCRIPT = `# A title
# proves: XEP-0199 §4.2, RFC 6120 §8.3.3.19 (MUC)
# modules: ping

[Client] Alice
\tjid: alice@localhost/home
\tpassword: secret
\tvia: starttls

Alice connects
Alice sends: <iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>
Alice receives exactly in any order:
\t<iq type='result' id='p'/>

\t<message/>
Alice receives nothing
Alice disconnects
`;

test("the script format: header, clients, steps with inline or indented XML", (t) => {
  const s = parseScript(SCRIPT, "conformance/scripts/sample.scs");
  t.is(s.name, "sample");
  t.is(s.title, "A title");
  t.deepEqual(s.proves.map((p) => [p.spec, p.section, p.scope]), [["XEP-0199", "4.2", null], ["RFC 6120", "8.3.3.19", "MUC"]]);
  t.deepEqual(s.modules, ["ping"]);
  t.deepEqual(s.clients.map((c) => [c.name, c.jid, c.via, c.account]), [["Alice", "alice@localhost/home", "starttls", "created"]]);
  t.deepEqual(s.steps.map((x) => x.kind), ["connect", "send", "receive", "nothing", "disconnect"]);
  const receive = s.steps[2]!;
  t.true(receive.kind === "receive" && receive.exact && receive.anyOrder && receive.count === 2);
  t.is(s.steps[3]!.line, 16);
});

test("script mistakes are reported with file and line", (t) => {
  const bad = (text: string, line: number, pattern: RegExp) => {
    const err = t.throws(() => parseScript(text, "x.scs"), { instanceOf: ScriptSyntaxError });
    t.is(err?.line, line, err?.message);
    t.regex(err?.message ?? "", pattern);
  };
  bad(SCRIPT.replace("Alice disconnects", "Bob disconnects"), 17, /not one/);
  bad(SCRIPT.replace("Alice receives nothing", "Alice dances"), 16, /unknown step/);
  bad(SCRIPT.replace("<iq type='get' id='p'>", "<iq type='get' id='p'"), 11, /not well-formed/);
  bad(SCRIPT.replace("# proves: XEP-0199 §4.2, RFC 6120 §8.3.3.19 (MUC)\n", ""), 1, /proves/);
  bad(SCRIPT.replace("XEP-0199 §4.2", "Ping §4.2"), 2, /not a spec reference/);
  bad(SCRIPT.replace("\tvia: starttls", "\tvia: carrier-pigeon"), 8, /via/);
  bad(SCRIPT.replace("\tpassword: secret\n", ""), 5, /no password/);
});

test("spec references are normalised", (t) => {
  t.is(specKey("rfc6120"), "RFC 6120");
  t.is(specKey("XEP-199"), "XEP-0199");
  t.is(specKey("Ping"), null);
  const r = parseSpecRef("XEP-0313 §6.1 (MUC)");
  t.true(r.ok && r.ref.spec === "XEP-0313" && r.ref.section === "6.1" && r.ref.scope === "MUC");
  t.deepEqual(parseSpecRefs("XEP-0368").map((x) => x.section), [null]);
  t.throws(() => parseSpecRefs("XEP-0368, nonsense"));
});
