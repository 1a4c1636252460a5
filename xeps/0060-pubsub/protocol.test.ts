import test from "ava";
import { xml } from "@xmpp/xml";
import { BASE_CONFIG } from "./config.js";
import { eventElement, notificationMessage, publishRequest } from "./protocol.js";
import type { NodeRecord } from "./store.js";

const rec = (over: Partial<NodeRecord["config"]> = {}): NodeRecord => ({
  node: "n", config: { ...BASE_CONFIG, ...over }, creator: "a@x", created: 0, order: [], affiliations: {}, subscriptions: [],
});
const payload = xml("tune", { xmlns: "http://jabber.org/protocol/tune" }, xml("title", null, "t"));

test("a publish request with publish-options, for a service elsewhere (§7.1.1, §7.1.5)", (t) => {
  const el = publishRequest("urn:push", { id: "1", payload }, { "pubsub#access_model": "whitelist", "secret": "s3" });
  t.is(el.toString(),
    "<pubsub xmlns=\"http://jabber.org/protocol/pubsub\"><publish node=\"urn:push\"><item id=\"1\">" +
    "<tune xmlns=\"http://jabber.org/protocol/tune\"><title>t</title></tune></item></publish>" +
    "<publish-options><x xmlns=\"jabber:x:data\" type=\"submit\"><field var=\"FORM_TYPE\" type=\"hidden\">" +
    "<value>http://jabber.org/protocol/pubsub#publish-options</value></field>" +
    "<field var=\"pubsub#access_model\"><value>whitelist</value></field><field var=\"secret\"><value>s3</value></field></x></publish-options></pubsub>");
  t.is(publishRequest("n", { payload: null }).toString(), "<pubsub xmlns=\"http://jabber.org/protocol/pubsub\"><publish node=\"n\"><item/></publish></pubsub>");
});

test("notifications carry the payload unless the node is notification-only (§7.1.2.1-2)", (t) => {
  const items = [{ id: "i1", payload, publisher: "a@x/r", when: 0 }];
  t.truthy(eventElement({ kind: "items", rec: rec(), items }).getChild("items")!.getChild("item")!.getChild("tune"));
  const bare = eventElement({ kind: "items", rec: rec({ deliver_payloads: false }), items }).getChild("items")!.getChild("item")!;
  t.is(bare.attrs.id, "i1");
  t.deepEqual(bare.getChildElements(), []);
  t.is(eventElement({ kind: "retract", rec: rec(), ids: ["x"] }).toString(),
    "<event xmlns=\"http://jabber.org/protocol/pubsub#event\"><items node=\"n\"><retract id=\"x\"/></items></event>");
  t.is(eventElement({ kind: "delete", rec: rec(), redirect: "xmpp:a@x?;node=m" }).getChild("delete")!.getChild("redirect")!.attrs.uri, "xmpp:a@x?;node=m");
});

test("a delayed last item and a replyto address (XEP-0163 §4.3.1, §4.3.4)", (t) => {
  const m = notificationMessage(eventElement({ kind: "purge", rec: rec() }), {
    from: "a@x", to: "b@x/r", id: "n1", type: "headline", replyTo: "a@x/phone", delayed: { when: Date.UTC(2026, 0, 1), by: "a@x" },
  });
  t.is(m.attrs.type, "headline");
  t.is(m.getChild("addresses")!.getChild("address")!.attrs.type, "replyto");
  t.is(m.getChild("delay", "urn:xmpp:delay")!.attrs.stamp, "2026-01-01T00:00:00.000Z");
});
