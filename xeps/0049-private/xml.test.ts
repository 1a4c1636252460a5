import test from "ava";
import type { Element } from "ltx";
import { parseXml } from "../../src/xml/element.js";
import { isReservedNamespace, standalone } from "./xml.js";

test("§2.3 reserved namespaces: jabber:*, http://jabber.org/*, vcard-temp; others are free", (t) => {
  for (const ns of ["jabber:client", "jabber:iq:private", "jabber:x:data", "http://jabber.org/protocol/disco#info", "vcard-temp"]) {
    t.true(isReservedNamespace(ns), ns);
  }
  for (const ns of ["storage:bookmarks", "exodus:prefs", "urn:xmpp:bookmarks:1", "vcard-temp:x:update", "https://jabber.org/x", "jabberwock:x"]) {
    t.false(isReservedNamespace(ns), ns);
  }
});

test("a stored child keeps its meaning alone: its namespace and the prefixes its ancestors declared", (t) => {
  const iq = parseXml("<iq xmlns:p='urn:p'><query xmlns='jabber:iq:private' xmlns:q='urn:q'>" +
    "<prefs xmlns='exodus:prefs'><p:a/></prefs><q:opts><x/></q:opts></query></iq>")!;
  const [prefs, opts] = iq.getChild("query")!.getChildElements();
  const a = parseXml(standalone(prefs!).toString())!;
  t.is(a.attrs.xmlns, "exodus:prefs");
  t.is(a.getChildElements()[0]!.getNS(), "urn:p");
  const b = parseXml(standalone(opts!).toString())!;
  t.is(b.getNS(), "urn:q");
  t.is(b.getChild("x")!.getNS(), "jabber:iq:private", "an unprefixed child still inherits what it did");
});
