import test from "ava";
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { capsVer } from "../0115-caps/ver.js";
import { CapsResolver, checkDiscoInfo, notifyNodes, readCaps, type ClientCaps } from "./caps.js";

const FEATURES = ["http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/tune", "http://jabber.org/protocol/tune+notify", "urn:xmpp:avatar:metadata+notify"];
const IDENTITY = { category: "client", type: "pc", name: "Test" };
const VER = capsVer([IDENTITY], FEATURES);
const query = (features = FEATURES, identities = [IDENTITY]) => xml("query", { xmlns: "http://jabber.org/protocol/disco#info" },
  identities.map((i) => xml("identity", i)), features.map((f) => xml("feature", { var: f })));
const caps = (over: Partial<ClientCaps> = {}): ClientCaps => ({ node: "https://test", ver: VER, hash: "sha-1", ...over });

test("the caps of a presence (XEP-0115 §4), and the nodes its +notify features name (XEP-0060 §9.2)", (t) => {
  const p = xml("presence", null, xml("c", { xmlns: "http://jabber.org/protocol/caps", hash: "sha-1", node: "https://test", ver: VER }));
  t.deepEqual(readCaps(p), { node: "https://test", ver: VER, hash: "sha-1" });
  t.is(readCaps(xml("presence")), undefined);
  t.deepEqual([...notifyNodes(FEATURES)], ["http://jabber.org/protocol/tune", "urn:xmpp:avatar:metadata"]);
  t.deepEqual([...notifyNodes(["+notify", "plain"])], []);
});

test("§5.4: a matching hash verifies; a tampered answer, duplicates or an unknown hash function do not", (t) => {
  t.deepEqual(checkDiscoInfo(query(), caps()), { features: FEATURES, wellFormed: true, verified: true });
  t.false(checkDiscoInfo(query([...FEATURES, "urn:xmpp:extra+notify"]), caps()).verified, "poisoning attempt");
  t.false(checkDiscoInfo(query([...FEATURES, FEATURES[0]!]), caps()).wellFormed, "duplicate feature (step 3.4)");
  t.false(checkDiscoInfo(query(FEATURES, [IDENTITY, IDENTITY]), caps()).wellFormed, "duplicate identity (step 3.3)");
  t.false(checkDiscoInfo(query(), caps({ hash: "md5" })).verified);
  const sha256 = caps({ hash: "sha-256", ver: "" });
  t.false(checkDiscoInfo(query(), sha256).verified);
});

/** A fake client population: each JID answers with the features given, and questions are counted. */
function population(answers: Record<string, string[] | null>) {
  const asked: string[] = [];
  const resolver = new CapsResolver(async (_from, to) => {
    asked.push(to);
    const f = answers[to];
    return f ? (query(f) as Element) : null;
  });
  return { resolver, asked };
}

test("verified answers are shared by everyone with the same ver, and asked once even when asked concurrently", async (t) => {
  const { resolver, asked } = population({ "a@x/1": FEATURES, "b@x/1": FEATURES });
  const [a, b] = await Promise.all([resolver.notifyOf("o@x", "a@x/1", caps()), resolver.notifyOf("o@x", "b@x/1", caps())]);
  t.deepEqual([...a], ["http://jabber.org/protocol/tune", "urn:xmpp:avatar:metadata"]);
  t.deepEqual(b, a);
  t.deepEqual(asked, ["a@x/1"]);
  t.deepEqual(resolver.cached(caps()), a);
});

test("an answer that does not verify serves only the client that gave it; the next client is asked itself (§5.4 step 3.8)", async (t) => {
  const liar = [...FEATURES, "urn:xmpp:evil+notify"];
  const { resolver, asked } = population({ "liar@x/1": liar, "honest@x/1": FEATURES });
  const [l, h] = await Promise.all([resolver.notifyOf("o@x", "liar@x/1", caps()), resolver.notifyOf("o@x", "honest@x/1", caps())]);
  t.true(l.has("urn:xmpp:evil"));
  t.false(h.has("urn:xmpp:evil"));
  t.deepEqual(asked, ["liar@x/1", "honest@x/1"]);
  t.deepEqual(resolver.cached(caps()), h, "the honest answer verified and is cached");
});

test("legacy caps (no hash) are asked per client and never cached; no answer means no interests", async (t) => {
  const { resolver, asked } = population({ "old@x/1": FEATURES, "mute@x/1": null });
  t.true((await resolver.notifyOf("o@x", "old@x/1", caps({ hash: undefined, ver: "1.0" }))).has("http://jabber.org/protocol/tune"));
  t.is(resolver.cached(caps({ hash: undefined, ver: "1.0" })), undefined);
  t.deepEqual([...(await resolver.notifyOf("o@x", "mute@x/1", caps({ ver: "other" })))], []);
  t.deepEqual(asked, ["old@x/1", "mute@x/1"]);
});
