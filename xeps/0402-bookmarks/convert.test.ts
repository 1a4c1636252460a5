import test from "ava";
import { xml } from "@xmpp/xml";
import { parseXml } from "../../src/xml/element.js";
import { changes, fromItem, fromLegacy, toLegacy, toPayload, type Bookmark } from "./convert.js";

const legacy = parseXml(`<storage xmlns='storage:bookmarks'>
  <conference jid='Council@Conference.Underhill.org' name='Council of Oberon' autojoin='1'><nick>Puck</nick></conference>
  <conference jid='orchard@chat.example' autojoin='false'><password>pw</password></conference>
  <conference name='no jid'/>
  <url name='Example' url='https://example.org/'/>
</storage>`)!;

test("XEP-0048 storage to bookmarks: JIDs prepared, booleans read, entries without a room JID left out, URLs apart", (t) => {
  const { bookmarks, urls } = fromLegacy(legacy);
  t.deepEqual(bookmarks, [
    { jid: "council@conference.underhill.org", name: "Council of Oberon", autojoin: true, nick: "Puck", password: undefined },
    { jid: "orchard@chat.example", name: undefined, autojoin: false, nick: undefined, password: "pw" },
  ]);
  t.deepEqual(urls.map((u) => u.attrs.url), ["https://example.org/"]);
});

test("bookmarks to XEP-0402 payloads and back, extensions carried over (XEP-0402 §2)", (t) => {
  const b: Bookmark = { jid: "room@muc.example", name: "Room", autojoin: true, nick: "me" };
  const ext = xml("extensions", null, xml("state", { xmlns: "urn:example:state", minimized: "true" }));
  const payload = toPayload(b, ext);
  t.is(payload.toString(), "<conference xmlns=\"urn:xmpp:bookmarks:1\" name=\"Room\" autojoin=\"true\"><nick>me</nick>" +
    "<extensions><state xmlns=\"urn:example:state\" minimized=\"true\"/></extensions></conference>");
  t.deepEqual(fromItem("room@muc.example", payload), { ...b, password: undefined });
  t.is(fromItem("x", xml("storage", { xmlns: "storage:bookmarks" })), undefined);
});

test("bookmarks collated into one XEP-0048 storage, jid from the item id (XEP-0402 §5.3.1), and read back the same", (t) => {
  const bookmarks: Bookmark[] = [{ jid: "a@muc.example", autojoin: true, nick: "n" }, { jid: "b@muc.example", name: "B", autojoin: false, password: "p" }];
  const storage = toLegacy(bookmarks, fromLegacy(legacy).urls);
  t.is(storage.getChildren("conference").map((c) => `${c.attrs.jid}:${c.attrs.autojoin}`).join(" "), "a@muc.example:true b@muc.example:false");
  t.is(storage.getChildren("url").length, 1);
  t.deepEqual(fromLegacy(parseXml(storage.toString())!).bookmarks, bookmarks.map((b) => ({ name: undefined, nick: undefined, password: undefined, ...b })));
});

test("a replacement list publishes only what is new or changed and retracts what is gone (XEP-0402 §5.3.2)", (t) => {
  const current: Bookmark[] = [
    { jid: "keep@m", autojoin: true },
    { jid: "rename@m", name: "Old", autojoin: false },
    { jid: "gone@m", autojoin: true },
  ];
  const wanted: Bookmark[] = [
    { jid: "keep@m", autojoin: true },
    { jid: "rename@m", name: "New", autojoin: false },
    { jid: "new@m", autojoin: false, nick: "n" },
  ];
  const c = changes(current, wanted);
  t.deepEqual(c.publish.map((b) => b.jid), ["rename@m", "new@m"]);
  t.deepEqual(c.retract, ["gone@m"]);
  t.deepEqual(changes(current, current), { publish: [], retract: [] });
});
