import test from "ava";
import { xml } from "@xmpp/xml";
import { capsForms, capsVer, octetCompare, verificationString } from "./ver.js";

const FEATURES = [
  "http://jabber.org/protocol/disco#info",
  "http://jabber.org/protocol/disco#items",
  "http://jabber.org/protocol/muc",
  "http://jabber.org/protocol/caps",
];

test("§5.2 simple example: Exodus 0.9.1 hashes to QgayPKawpkPSDYmwT/WM94uAlu0=", (t) => {
  const identities = [{ category: "client", type: "pc", name: "Exodus 0.9.1" }];
  t.is(verificationString(identities, FEATURES),
    "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
    "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<");
  t.is(capsVer(identities, FEATURES), "QgayPKawpkPSDYmwT/WM94uAlu0=");
});

/**
 * The §5.3 disco#info result as the XEP's XML shows it. The names hold an ordinary space: the S string printed in
 * §5.3 writes it as &#160; (a no-break space), but the published hash is that of the XML as shown.
 */
const COMPLEX_FORM = xml("x", { xmlns: "jabber:x:data", type: "result" },
  xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, "urn:xmpp:dataforms:softwareinfo")),
  xml("field", { var: "ip_version", type: "text-multi" }, xml("value", null, "ipv4"), xml("value", null, "ipv6")),
  xml("field", { var: "os" }, xml("value", null, "Mac")),
  xml("field", { var: "os_version" }, xml("value", null, "10.5.1")),
  xml("field", { var: "software" }, xml("value", null, "Psi")),
  xml("field", { var: "software_version" }, xml("value", null, "0.11")),
);
const COMPLEX_IDENTITIES = [
  { category: "client", type: "pc", lang: "en", name: "Psi 0.11" },
  { category: "client", type: "pc", lang: "el", name: "\u03a8 0.11" },
];

test("§5.3 complex example: identities in two languages and a softwareinfo form hash to q07IKJEyjvHSyhy//CH0CxmKi8w=", (t) => {
  const forms = capsForms([COMPLEX_FORM]);
  t.deepEqual(forms.map((f) => f.formType), ["urn:xmpp:dataforms:softwareinfo"]);
  t.is(verificationString(COMPLEX_IDENTITIES, FEATURES, forms),
    "client/pc/el/\u03a8 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
    "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<" +
    "ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<");
  t.is(capsVer(COMPLEX_IDENTITIES, FEATURES, forms), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
});

test("the order identities, features, forms and values are given in does not change the hash", (t) => {
  const forms = capsForms([COMPLEX_FORM]);
  const reversed = forms.map((f) => ({ ...f, fields: [...f.fields].reverse().map((x) => ({ ...x, values: [...x.values].reverse() })) }));
  t.is(capsVer([...COMPLEX_IDENTITIES].reverse(), [...FEATURES].reverse(), reversed), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
});

test("forms are sorted by FORM_TYPE, and a form without a hidden FORM_TYPE is left out (§5.4 step 3.6)", (t) => {
  const form = (type: string, extra: string) => xml("x", { xmlns: "jabber:x:data", type: "result" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, type)),
    xml("field", { var: "f" }, xml("value", null, extra)));
  const noType = xml("x", { xmlns: "jabber:x:data", type: "result" }, xml("field", { var: "f" }, xml("value", null, "x")));
  const notHidden = xml("x", { xmlns: "jabber:x:data", type: "result" }, xml("field", { var: "FORM_TYPE" }, xml("value", null, "urn:c")));
  const forms = capsForms([form("urn:b", "2"), noType, form("urn:a", "1"), notHidden, xml("other", { xmlns: "urn:x" })]);
  t.is(verificationString([], [], forms), "urn:a<f<1<urn:b<f<2<");
});

test("i;octet collation compares UTF-8 bytes, not UTF-16 code units", (t) => {
  // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 ...) by octets, after it by UTF-16 units.
  t.true(octetCompare("\uff5e", "\u{1f600}") < 0);
  t.true("\uff5e" > "\u{1f600}");
  t.true(octetCompare("Z", "a") < 0);
  t.is(verificationString([], ["\u{1f600}", "\uff5e"]), "\uff5e<\u{1f600}<");
});
