import test from "ava";
import { findMechanism, mechanisms, offeredMechanisms } from "../../src/sasl/index.js";
import { context, fixedBinding } from "./sasl-helpers.js";

const ALL = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"];

test("mechanisms in preference order, found by exact name", (t) => {
  t.deepEqual(mechanisms().map((m) => m.name), ALL);
  for (const name of ALL) t.is(findMechanism(name)?.name, name);
  t.is(findMechanism("scram-sha-1"), undefined);
  t.is(findMechanism("DIGEST-MD5"), undefined);
});

test("what a stream offers depends on TLS, channel binding and the listener", (t) => {
  const bound = context({}, { secure: true, channelBinding: fixedBinding({ "tls-server-end-point": Buffer.alloc(32) }) });
  t.deepEqual(offeredMechanisms(bound, false), ALL);
  const tlsWithoutBinding = context({}, { secure: true, channelBinding: fixedBinding({}) });
  t.deepEqual(offeredMechanisms(tlsWithoutBinding, false), ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]);
  t.deepEqual(offeredMechanisms(context({}, { secure: false }), false), []);
  t.deepEqual(offeredMechanisms(context({}, { secure: false }), true), ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]);
});
