/**
 * The IM core's pure decisions: roster versioning (RFC 6121 §2.6), roster set checks (§2.3.3), presence
 * (§4: kinds, priority, broadcast targets, directed presence, probe answers) and message delivery (§8.5).
 */
import test from "ava";
import { xml } from "@xmpp/xml";
import { parse as parseXml, type Element } from "ltx";
import { jid } from "../../src/jid.js";
import type { ClientSession } from "../../src/session/types.js";
import { decideBareMessage, decideFullMessage } from "../../src/im/delivery.js";
import {
  answerProbe, broadcastPlan, directedUnavailableTargets, MAX_DIRECTED, noteDirected, presenceKind, presencePriority,
} from "../../src/im/presence-rules.js";
import { parseRosterSet } from "../../src/im/roster.js";
import { formatVersion, parseVersion, planRosterGet, preferFullRoster } from "../../src/im/roster-versioning.js";

// ---- roster versioning ----

test("§2.6.2: no 'ver' or ver='' gets the full roster", (t) => {
  const cur = { epoch: "ab12", ver: 7, floor: 0 };
  t.deepEqual(planRosterGet(undefined, cur), { kind: "full" });
  t.deepEqual(planRosterGet("", cur), { kind: "full" });
});

test("§2.6.3: the current version gets an empty result; an older known one gets pushes since it", (t) => {
  const cur = { epoch: "ab12", ver: 7, floor: 2 };
  t.deepEqual(planRosterGet("ab12-7", cur), { kind: "current" });
  t.deepEqual(planRosterGet("ab12-3", cur), { kind: "pushes", since: 3 });
  t.deepEqual(planRosterGet("ab12-2", cur), { kind: "pushes", since: 2 }, "the floor itself is still complete");
});

test("§2.6.3: a version the server cannot associate with its history gets the full roster", (t) => {
  const cur = { epoch: "ab12", ver: 7, floor: 2 };
  t.deepEqual(planRosterGet("ab12-1", cur), { kind: "full" }, "older than the pruned tombstones");
  t.deepEqual(planRosterGet("ab12-8", cur), { kind: "full" }, "from the future");
  t.deepEqual(planRosterGet("zz99-5", cur), { kind: "full" }, "another epoch (a deleted and re-created account)");
  t.deepEqual(planRosterGet("0", cur), { kind: "full" });
  t.deepEqual(planRosterGet("ver14", cur), { kind: "full" }, "not one of ours");
});

test("an untouched roster is version 0, current for a client that cached it", (t) => {
  const fresh = { epoch: "", ver: 0, floor: 0 };
  t.is(formatVersion("", 0), "0");
  t.deepEqual(planRosterGet("0", fresh), { kind: "current" });
  t.deepEqual(planRosterGet("ab12-3", fresh), { kind: "full" });
  t.deepEqual(parseVersion("ab12-3"), { epoch: "ab12", ver: 3 });
  t.is(parseVersion("AB-3"), null);
});

test("§2.6.3: the full roster is preferred when more entries changed than the roster holds", (t) => {
  t.true(preferFullRoster(5, 2));
  t.false(preferFullRoster(2, 2));
  t.false(preferFullRoster(1, 100));
});

// ---- roster set checks ----

const owner = jid("juliet@example.com");
/** A roster set's <query/>, parsed from markup as a client would send it. */
const q = (items: string) => parseXml(`<query xmlns='jabber:iq:roster'>${items}</query>`) as Element;

test("§2.3.3: the roster set error cases", (t) => {
  const cond = (items: string) => {
    const r = parseRosterSet(q(items), owner);
    return r.ok ? "ok" : r.error.condition;
  };
  t.is(cond("<item jid='nurse@example.com' name='Nurse'><group>Servants</group></item>"), "ok");
  t.is(cond("<item jid='a@example.com'/><item jid='b@example.com'/>"), "bad-request");
  t.is(cond(""), "bad-request");
  t.is(cond("<item/>"), "bad-request");
  t.is(cond("<item jid='a@example.com'><group>Servants</group><group>Servants</group></item>"), "bad-request");
  t.is(cond("<item jid='a@example.com'><group>Ⅸ</group><group>IX</group></item>"), "ok", "compared as OpaqueString: no compatibility mapping");
  t.is(cond("<item jid='a@example.com'><group></group></item>"), "not-acceptable");
  t.is(cond(`<item jid='a@example.com' name='${"é".repeat(600)}'/>`), "not-acceptable", "the limit counts UTF-8 bytes");
  t.is(cond("<item jid='juliet@example.com'/>"), "not-allowed");
  t.is(cond("<item jid='juliet@example.com' subscription='remove'/>"), "ok", "removing is a lookup like any other");
});

test("§2.1.2.5 / §2.4.1: 'subscription' other than remove and 'ask'/'approved' are ignored; an empty name is no name", (t) => {
  const r = parseRosterSet(q("<item jid='Romeo@Example.NET' name='' subscription='both' ask='subscribe' approved='true'><group>Friends</group></item>"), owner);
  t.true(r.ok);
  if (!r.ok) return;
  t.deepEqual(r.request.op === "update" && { jid: r.request.jid.full, name: r.request.name, groups: r.request.groups }, { jid: "romeo@example.net", name: "", groups: ["Friends"] });
});

// ---- presence ----

function session(full: string, presence: Element | null, priority = 0): ClientSession {
  const j = jid(full);
  return {
    kind: "c2s", id: full, jid: j as any, bare: j.toBare() as any, host: j.domain, presence, priority, data: new Map(),
    log: null as any, ip: "127.0.0.1", secure: true, send() {}, close() {},
  };
}

test("§4.7.1: presence kinds", (t) => {
  t.is(presenceKind(undefined), "available");
  t.is(presenceKind("unavailable"), "unavailable");
  t.is(presenceKind("probe"), "probe");
  t.is(presenceKind("error"), "error");
  for (const s of ["subscribe", "subscribed", "unsubscribe", "unsubscribed"]) t.is(presenceKind(s), "subscription");
  t.is(presenceKind("available"), "invalid", "there is no type 'available'");
});

test("§4.7.2.3: priority from -128 to 127, 0 otherwise", (t) => {
  const p = (v: string | null) => presencePriority(v === null ? xml("presence") : xml("presence", {}, xml("priority", {}, v)));
  t.is(p(null), 0);
  t.is(p("5"), 5);
  t.is(p(" -128 "), -128);
  t.is(p("128"), 0);
  t.is(p("1.5"), 0);
  t.is(p("x"), 0);
});

test("§4.2.2 / §4.3.1: presence goes to from/both, probes to to/both", (t) => {
  const plan = broadcastPlan([
    { jid: "n@x", subscription: "none" }, { jid: "t@x", subscription: "to" },
    { jid: "f@x", subscription: "from", ask: "subscribe" }, { jid: "b@x", subscription: "both" },
    { jid: "p@x", subscription: "none", ask: "subscribe" },
  ]);
  t.deepEqual(plan.subscribers, ["f@x", "b@x"]);
  t.deepEqual(plan.probes, ["t@x", "b@x"]);
  t.deepEqual(plan.pendingOut, ["f@x", "p@x"], "§3.1.2: unanswered requests, to send again");
});

test("§4.6: directed presence is remembered until directed unavailable; the account itself is not directed presence", (t) => {
  const set = new Set<string>();
  const me = jid("juliet@example.com");
  noteDirected(set, me, jid("room@conference.example.com/juliet"), true);
  noteDirected(set, me, jid("romeo@example.net"), true);
  noteDirected(set, me, jid("juliet@example.com/other"), true);
  t.deepEqual([...set], ["room@conference.example.com/juliet", "romeo@example.net"]);
  noteDirected(set, me, jid("romeo@example.net"), false);
  t.deepEqual([...set], ["room@conference.example.com/juliet"]);
  for (let i = 0; i < MAX_DIRECTED + 10; i++) noteDirected(set, me, jid(`e${i}@example.org`), true);
  t.is(set.size, MAX_DIRECTED);
});

test("§4.6.3: unavailable to directed recipients the broadcast does not reach", (t) => {
  t.deepEqual(directedUnavailableTargets(["romeo@example.net", "room@c.example/j", "nurse@example.com"], new Set(["romeo@example.net"])),
    ["room@c.example/j", "nurse@example.com"]);
});

test("§4.3.2: probe answers", (t) => {
  const avail = session("juliet@example.com/balcony", xml("presence"));
  const connected = session("juliet@example.com/chamber", null);
  const noDirected = () => new Set<string>();
  const base = { requester: jid("romeo@example.net"), target: jid("juliet@example.com"), directed: noDirected };

  t.deepEqual(answerProbe({ ...base, subscribed: false, resources: [avail] }), { kind: "unsubscribed" }, "rule 1");
  t.deepEqual(answerProbe({ ...base, subscribed: true, resources: [connected] }), { kind: "unavailable" }, "rule 3");
  t.deepEqual(answerProbe({ ...base, subscribed: true, resources: [] }), { kind: "unavailable" });
  t.deepEqual(answerProbe({ ...base, subscribed: true, resources: [avail, connected] }), { kind: "presence", from: [avail], mere: false }, "rule 4");
  t.deepEqual(answerProbe({ ...base, requester: jid("juliet@example.com/x"), subscribed: false, resources: [avail] }),
    { kind: "presence", from: [avail], mere: false }, "an account may probe itself");

  // A probe to a full JID: only that resource, only the fact (§4.3.2).
  const full = { ...base, target: jid("juliet@example.com/balcony") };
  t.deepEqual(answerProbe({ ...full, subscribed: true, resources: [avail, connected] }), { kind: "presence", from: [avail], mere: true });
  t.deepEqual(answerProbe({ ...full, target: jid("juliet@example.com/chamber"), subscribed: true, resources: [avail, connected] }), { kind: "unavailable" });

  // §4.6.6: not subscribed, but got directed presence.
  const directed = (s: ClientSession) => new Set(s === avail ? ["romeo@example.net/orchard"] : []);
  const fromRomeo = { ...full, requester: jid("romeo@example.net/orchard"), subscribed: false, directed };
  t.deepEqual(answerProbe({ ...fromRomeo, resources: [avail] }), { kind: "presence", from: [avail], mere: true });
  t.deepEqual(answerProbe({ ...fromRomeo, requester: jid("tybalt@example.org/x"), resources: [avail] }), { kind: "unsubscribed" });
  t.deepEqual(answerProbe({ ...fromRomeo, target: jid("juliet@example.com"), resources: [avail, connected] }), { kind: "presence", from: [avail], mere: true });
});

// ---- message delivery (§8.5) ----

test("§8.5.2.1.1: a message to the bare JID goes to the highest non-negative priority; negative ones never get it", (t) => {
  const a = session("u@x/a", xml("presence"), 5);
  const b = session("u@x/b", xml("presence"), 1);
  const n = session("u@x/n", xml("presence"), -1);
  const c = session("u@x/c", null);
  t.deepEqual(decideBareMessage("chat", [a, b, n, c]), { action: "deliver", to: [a] });
  t.deepEqual(decideBareMessage("headline", [a, b, n, c]), { action: "deliver", to: [a, b] }, "headline: all non-negative");
  t.deepEqual(decideBareMessage("normal", [n, c]), { action: "offline" }, "only negative: as if none (§8.5.2.1.1 last paragraph)");
  t.deepEqual(decideBareMessage("headline", [n]), { action: "drop" });
  t.deepEqual(decideBareMessage("groupchat", [a]), { action: "bounce" });
  t.deepEqual(decideBareMessage("error", [a]), { action: "drop" });
});

test("§8.5.3.2.1: a message to a full JID that is not connected", (t) => {
  t.deepEqual(decideFullMessage("chat", undefined), { action: "as-bare" });
  t.deepEqual(decideFullMessage("normal", undefined), { action: "bounce" });
  t.deepEqual(decideFullMessage("groupchat", undefined), { action: "bounce" });
  t.deepEqual(decideFullMessage("headline", undefined), { action: "drop" });
  t.deepEqual(decideFullMessage("error", undefined), { action: "drop" });
  const s = session("u@x/a", null);
  t.deepEqual(decideFullMessage("normal", s), { action: "deliver", to: s }, "§8.5.3.1: a connected resource gets it");
});
