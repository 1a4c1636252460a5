/** Status code selection (XEP-0045 §15.2 registry; status-codes.ts). */
import test from "ava";
import { configChangeCodes, presenceStatusCodes, type PresenceCodeContext, type PresenceEvent } from "./status-codes.js";
import { roomConfigSchema } from "./room-config.js";

const base: PresenceCodeContext = { event: "join", self: false, nonAnonymous: false, logging: false, created: false, nickModified: false };
const codes = (c: Partial<PresenceCodeContext>) => presenceStatusCodes({ ...base, ...c });

test("entering: the newcomer is told 110, and 100/170/201/210 when they apply; the others nothing", (t) => {
  t.deepEqual(codes({ self: true }), [110]);
  t.deepEqual(codes({ self: true, nonAnonymous: true, logging: true, created: true, nickModified: true }), [100, 110, 170, 201, 210]);
  t.deepEqual(codes({ self: false, nonAnonymous: true, logging: true, created: true, nickModified: true }), []);
});

test("nickname change: 303 on the old nickname for everyone (with 110 for the occupant); 210 when the service changed it", (t) => {
  t.deepEqual(codes({ event: "nick-old", self: true }), [110, 303]);
  t.deepEqual(codes({ event: "nick-old" }), [303]);
  t.deepEqual(codes({ event: "nick-new", self: true }), [110]);
  t.deepEqual(codes({ event: "nick-new", self: true, nickModified: true }), [110, 210]);
  t.deepEqual(codes({ event: "nick-new" }), []);
});

const removals: [PresenceEvent, number][] = [["kick", 307], ["ban", 301], ["removed-affiliation", 321], ["removed-members-only", 322], ["shutdown", 332], ["removed-error", 333]];
for (const [event, code] of removals) {
  test(`removal "${event}": ${code} for everyone, with 110 for the removed occupant`, (t) => {
    t.deepEqual(codes({ event, self: true }), [110, code]);
    t.deepEqual(codes({ event }), [code]);
  });
}

test("updates and leaving carry only 110 to the occupant; §7.2.23 not in the room: 110, 307, 333", (t) => {
  t.deepEqual(codes({ event: "update", self: true, logging: true }), [110]);
  t.deepEqual(codes({ event: "update" }), []);
  t.deepEqual(codes({ event: "leave", self: true }), [110]);
  t.deepEqual(codes({ event: "not-in-room", self: true }), [110, 307, 333]);
});

test("§10.2.1 configuration change notifications", (t) => {
  const c = roomConfigSchema.parse({});
  t.deepEqual(configChangeCodes(c, c), [], "nothing changed: no message");
  t.deepEqual(configChangeCodes(c, { ...c, logging: true }), [170]);
  t.deepEqual(configChangeCodes({ ...c, logging: true }, c), [171]);
  t.deepEqual(configChangeCodes(c, { ...c, whois: "anyone" }), [172]);
  t.deepEqual(configChangeCodes({ ...c, whois: "anyone" }, c), [173]);
  t.deepEqual(configChangeCodes(c, { ...c, name: "New" }), [104]);
  t.deepEqual(configChangeCodes(c, { ...c, logging: true, whois: "anyone", moderated: true }), [170, 172, 104]);
  t.deepEqual(configChangeCodes(c, { ...c, presenceBroadcast: ["moderator"] }), [104], "list options compare by value");
});
