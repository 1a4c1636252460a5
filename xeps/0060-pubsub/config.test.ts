import test from "ava";
import { BASE_CONFIG, configFields, effectiveMaxItems, readOptions, unmetPreconditions, type NodeConfig } from "./config.js";
import { readForm } from "../0004-data-forms/form.js";
import { xml } from "@xmpp/xml";

const limits = { maxItems: 256 };
const fields = (o: Record<string, string | string[]>) => new Map(Object.entries(o).map(([k, v]) => [k, typeof v === "string" ? [v] : v]));
const errorText = (r: ReturnType<typeof readOptions>) => (r.ok ? "" : `${r.error.condition} ${r.error.text ?? ""}`);

test("publish-options are read as typed values: booleans in both spellings, max_items as a number or 'max' (XEP-0060 §7.1.5, §16.4.4)", (t) => {
  const r = readOptions(fields({ "pubsub#persist_items": "true", "pubsub#access_model": "whitelist", "pubsub#max_items": "max", "pubsub#send_last_published_item": "never" }), limits, "reject");
  t.deepEqual(r, { ok: true, value: { persist_items: true, access_model: "whitelist", max_items: "max", send_last_published_item: "never" } });
  const n = readOptions(fields({ "pubsub#deliver_payloads": "0", "pubsub#max_items": "10", "pubsub#node_type": "leaf" }), limits, "reject");
  t.deepEqual(n, { ok: true, value: { deliver_payloads: false, max_items: 10 } });
});

test("publish-options refuse unknown fields and bad values; a configuration form ignores unknown fields", (t) => {
  t.regex(errorText(readOptions(fields({ "pubsub#item_expire": "60" }), limits, "reject")), /^bad-request unknown option/);
  t.true(readOptions(fields({ "pubsub#item_expire": "60" }), limits, "ignore").ok);
  t.regex(errorText(readOptions(fields({ "pubsub#persist_items": "yes" }), limits, "reject")), /not-acceptable .*not a boolean/);
  t.regex(errorText(readOptions(fields({ "pubsub#max_items": "1000" }), limits, "reject")), /at most 256/);
  t.regex(errorText(readOptions(fields({ "pubsub#max_items": "0" }), limits, "reject")), /at least 1/);
  const access = readOptions(fields({ "pubsub#access_model": "authorize" }), limits, "reject");
  t.false(access.ok);
  if (!access.ok) t.is(access.error.appCondition?.name, "unsupported-access-model");
  t.false(readOptions(fields({ "pubsub#node_type": "collection" }), limits, "reject").ok);
});

test("preconditions: met when equal as the form shows them, listed when not (§7.1.5 rules 1-2)", (t) => {
  const node: NodeConfig = { ...BASE_CONFIG, access_model: "whitelist", persist_items: true, max_items: "max", roster_groups_allowed: ["b", "a"] };
  t.deepEqual(unmetPreconditions(node, { access_model: "whitelist", persist_items: true, max_items: "max" }), []);
  t.deepEqual(unmetPreconditions(node, { roster_groups_allowed: ["a", "b"] }), [], "groups compare as a set");
  t.deepEqual(unmetPreconditions(node, { access_model: "open", max_items: 256, persist_items: true }), ["access_model", "max_items"], "'max' is not a number");
  t.deepEqual(unmetPreconditions(node, {}), []);
});

test("items a node keeps: max_items, 'max' as the server's limit, one for a transient node", (t) => {
  t.is(effectiveMaxItems({ ...BASE_CONFIG, max_items: 10 }, limits), 10);
  t.is(effectiveMaxItems({ ...BASE_CONFIG, max_items: "max" }, limits), 256);
  t.is(effectiveMaxItems({ ...BASE_CONFIG, max_items: 10, persist_items: false }, limits), 1);
});

test("the configuration form reads back into the same configuration (§8.2)", (t) => {
  const config: NodeConfig = { ...BASE_CONFIG, title: "Blog", access_model: "roster", roster_groups_allowed: ["Friends"], max_items: 20, notify_retract: false };
  const form = xml("x", { xmlns: "jabber:x:data", type: "submit" }, configFields(config).map((f) => xml("field", { var: f.var }, (f.values ?? []).map((v) => xml("value", null, v)))));
  const read = readOptions(readForm(form).fields, limits, "ignore");
  t.true(read.ok);
  if (read.ok) t.deepEqual({ ...BASE_CONFIG, ...read.value }, config);
});
