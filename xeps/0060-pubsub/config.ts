/**
 * XEP-0060 node configuration: the options this implementation supports (the pubsub#node_config FORM_TYPE,
 * §16.4.4), their validation, the configuration form (§8.2), the default configuration (§8.3), publish-options
 * preconditions (§7.1.5) and the node meta-data form (§5.4). Pure functions only.
 */
import type { Element } from "ltx";
import { buildForm, parseBoolean, type FieldDef } from "../0004-data-forms/form.js";
import { FORM_META_DATA, FORM_NODE_CONFIG, pubsubError } from "./ns.js";
import type { StanzaError } from "../../src/xml/stanza-error.js";

/** §4.5 access models; "authorize" (owner approval of each subscription) is not offered. */
export const ACCESS_MODELS = ["open", "presence", "roster", "whitelist"] as const;
export type AccessModel = (typeof ACCESS_MODELS)[number];
export const SEND_LAST = ["never", "on_sub", "on_sub_and_presence"] as const;
export type SendLast = (typeof SEND_LAST)[number];
export const PUBLISH_MODELS = ["publishers", "subscribers", "open"] as const;
export type PublishModel = (typeof PUBLISH_MODELS)[number];
export const NOTIFICATION_TYPES = ["headline", "normal"] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
/** pubsub#max_items: a number, or "max" for "no limit other than the server's" (§16.4.4). */
export type MaxItems = number | "max";

/** One node's configuration. Keys are the form field names without their "pubsub#" prefix. */
export interface NodeConfig {
  title: string;
  description: string;
  /** pubsub#type: the semantic type (usually the payload's namespace). */
  type: string;
  access_model: AccessModel;
  roster_groups_allowed: string[];
  publish_model: PublishModel;
  persist_items: boolean;
  max_items: MaxItems;
  send_last_published_item: SendLast;
  deliver_notifications: boolean;
  deliver_payloads: boolean;
  notify_config: boolean;
  notify_delete: boolean;
  notify_retract: boolean;
  notification_type: NotificationType;
}

export type ConfigKey = keyof NodeConfig;

/** What the service allows, for validating options. */
export interface ConfigLimits {
  /** The largest pubsub#max_items a node may have ("max" means this many). */
  maxItems: number;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: StanzaError };

interface OptionSpec<V> {
  type: FieldDef["type"];
  label: string;
  options?: readonly string[];
  parse(values: string[], limits: ConfigLimits): Parsed<V>;
  format(value: V): string[];
}

const bad = (field: string, why: string): { ok: false; error: StanzaError } =>
  ({ ok: false, error: pubsubError("not-acceptable", undefined, { text: `pubsub#${field}: ${why}` }) });

const text = (label: string): OptionSpec<string> => ({
  type: "text-single", label,
  parse: (v) => ({ ok: true, value: v[0] ?? "" }),
  format: (v) => (v === "" ? [] : [v]),
});

const bool = (field: string, label: string): OptionSpec<boolean> => ({
  type: "boolean", label,
  parse: (v) => {
    const b = parseBoolean(v[0]);
    return b === undefined ? bad(field, `"${v[0] ?? ""}" is not a boolean`) : { ok: true, value: b };
  },
  format: (v) => [v ? "1" : "0"],
});

function list<T extends string>(field: string, label: string, options: readonly T[]): OptionSpec<T> {
  return {
    type: "list-single", label, options,
    parse: (v) => (options.includes(v[0] as T) ? { ok: true, value: v[0] as T } : bad(field, `"${v[0] ?? ""}" is not one of ${options.join(", ")}`)),
    format: (v: T) => [v],
  };
}

const SPECS: { [K in ConfigKey]: OptionSpec<NodeConfig[K]> } = {
  title: text("A friendly name for the node"),
  description: text("A description of the node"),
  type: text("The semantic type of the node's payloads"),
  access_model: {
    ...list("access_model", "Who may subscribe and retrieve items", ACCESS_MODELS),
    parse: (v) => (ACCESS_MODELS.includes(v[0] as AccessModel)
      ? { ok: true, value: v[0] as AccessModel }
      // §8.1.2: an access model the service does not support.
      : { ok: false, error: pubsubError("not-acceptable", "unsupported-access-model", { text: `access model "${v[0] ?? ""}" is not supported` }) }),
  },
  roster_groups_allowed: {
    type: "list-multi", label: "Roster groups allowed to subscribe and retrieve items",
    parse: (v) => ({ ok: true, value: [...new Set(v)].sort() }),
    format: (v) => v,
  },
  publish_model: list("publish_model", "Who may publish", PUBLISH_MODELS),
  persist_items: bool("persist_items", "Persist items to storage"),
  max_items: {
    type: "text-single", label: "Max # of items to persist. `max` for no specific limit other than a server imposed maximum.",
    parse: (v, limits) => {
      const s = (v[0] ?? "").trim();
      if (s === "max") return { ok: true, value: "max" };
      if (!/^[0-9]+$/.test(s)) return bad("max_items", `"${s}" is neither a number nor "max"`);
      const n = Number(s);
      if (n < 1) return bad("max_items", "at least 1");
      if (n > limits.maxItems) return bad("max_items", `at most ${limits.maxItems} on this server (or "max")`);
      return { ok: true, value: n };
    },
    format: (v) => [String(v)],
  },
  send_last_published_item: list("send_last_published_item", "When to send the last published item", SEND_LAST),
  deliver_notifications: bool("deliver_notifications", "Whether to deliver event notifications"),
  deliver_payloads: bool("deliver_payloads", "Whether to deliver payloads with event notifications"),
  notify_config: bool("notify_config", "Notify subscribers when the node configuration changes"),
  notify_delete: bool("notify_delete", "Notify subscribers when the node is deleted"),
  notify_retract: bool("notify_retract", "Notify subscribers when items are removed from the node"),
  notification_type: list("notification_type", "The message type of notifications", NOTIFICATION_TYPES),
};

export const CONFIG_KEYS = Object.keys(SPECS) as ConfigKey[];

/** XEP-0060's own defaults (§16.4.4 and §4.3), before a service applies its own. */
export const BASE_CONFIG: Readonly<NodeConfig> = Object.freeze({
  title: "",
  description: "",
  type: "",
  access_model: "open",
  roster_groups_allowed: [],
  publish_model: "publishers",
  persist_items: true,
  max_items: 1,
  send_last_published_item: "on_sub_and_presence",
  deliver_notifications: true,
  deliver_payloads: true,
  notify_config: false,
  notify_delete: true,
  notify_retract: true,
  notification_type: "headline",
});

/** The number of items a node keeps: "max" is the server's limit; a transient node keeps only the last one. */
export function effectiveMaxItems(config: NodeConfig, limits: ConfigLimits): number {
  if (!config.persist_items) return 1;
  return config.max_items === "max" ? limits.maxItems : Math.min(config.max_items, limits.maxItems);
}

/** A field var ("pubsub#max_items") as a config key, or undefined when it is not one we support. */
export function configKey(fieldVar: string): ConfigKey | undefined {
  if (!fieldVar.startsWith("pubsub#")) return undefined;
  const key = fieldVar.slice("pubsub#".length);
  return (CONFIG_KEYS as string[]).includes(key) ? (key as ConfigKey) : undefined;
}

/**
 * Read submitted option fields. `unknown: "reject"` for publish-options (§7.1.5: "MUST reject the publication
 * upon encountering unknown fields"); "ignore" for a configuration form, where a client may send back fields
 * of another server's form. pubsub#node_type is accepted when it says "leaf", the only type there is here.
 */
export function readOptions(fields: Map<string, string[]>, limits: ConfigLimits, unknown: "reject" | "ignore"): Parsed<Partial<NodeConfig>> {
  const out: Partial<NodeConfig> = {};
  for (const [name, values] of fields) {
    if (name === "pubsub#node_type") {
      if (values[0] === undefined || values[0] === "leaf") continue;
      return bad("node_type", "only leaf nodes are supported");
    }
    const key = configKey(name);
    if (!key) {
      if (unknown === "ignore") continue;
      return { ok: false, error: pubsubError("bad-request", undefined, { text: `unknown option "${name}"` }) };
    }
    const parsed = (SPECS[key] as OptionSpec<unknown>).parse(values, limits);
    if (!parsed.ok) return parsed;
    (out as Record<string, unknown>)[key] = parsed.value;
  }
  return { ok: true, value: out };
}

/** Option values compared as the form would show them (booleans as "1"/"0", groups as a sorted set). */
function same<K extends ConfigKey>(key: K, a: NodeConfig[K], b: NodeConfig[K]): boolean {
  const spec = SPECS[key] as OptionSpec<NodeConfig[K]>;
  const fa = spec.format(a);
  const fb = spec.format(b);
  if (key === "roster_groups_allowed") { fa.sort(); fb.sort(); }
  return fa.length === fb.length && fa.every((v, i) => v === fb[i]);
}

/**
 * §7.1.5: the publish-options fields that the existing node's configuration does not match (empty when every
 * precondition is met).
 */
export function unmetPreconditions(config: NodeConfig, preconditions: Partial<NodeConfig>): ConfigKey[] {
  const unmet: ConfigKey[] = [];
  for (const key of Object.keys(preconditions) as ConfigKey[]) {
    if (!same(key, config[key], preconditions[key] as never)) unmet.push(key);
  }
  return unmet;
}

/** The node_config fields for a configuration form (§8.2.1) or the default configuration (§8.3). */
export function configFields(config: NodeConfig): FieldDef[] {
  return CONFIG_KEYS.map((key) => {
    const spec = SPECS[key] as OptionSpec<unknown>;
    return {
      var: `pubsub#${key}`, type: spec.type, label: spec.label,
      options: spec.options?.map((value) => ({ value })),
      values: spec.format(config[key]),
    };
  });
}

export function configForm(config: NodeConfig, type: "form" | "result" = "form"): Element {
  return buildForm(type, FORM_NODE_CONFIG, configFields(config));
}

/** §5.4 node meta-data: the configuration as a result form, with who owns the node and since when. */
export function metaDataForm(config: NodeConfig, meta: { creator: string; created: number; owners: string[]; publishers: string[] }): Element {
  const fields: FieldDef[] = [
    { var: "pubsub#type", type: "text-single", values: config.type ? [config.type] : [] },
    { var: "pubsub#creator", type: "jid-single", values: [meta.creator] },
    { var: "pubsub#creation_date", type: "text-single", values: [new Date(meta.created).toISOString()] },
    { var: "pubsub#title", type: "text-single", values: config.title ? [config.title] : [] },
    { var: "pubsub#description", type: "text-single", values: config.description ? [config.description] : [] },
    { var: "pubsub#access_model", type: "list-single", values: [config.access_model] },
    { var: "pubsub#publish_model", type: "list-single", values: [config.publish_model] },
    { var: "pubsub#max_items", type: "text-single", values: [String(config.max_items)] },
    { var: "pubsub#persist_items", type: "boolean", values: [config.persist_items ? "1" : "0"] },
    { var: "pubsub#owner", type: "jid-multi", values: meta.owners },
    { var: "pubsub#publisher", type: "jid-multi", values: meta.publishers },
  ];
  return buildForm("result", FORM_META_DATA, fields);
}

/** A stored configuration read back, completed with defaults for options added since it was stored. */
export function storedConfig(value: unknown, defaults: NodeConfig): NodeConfig {
  const out: NodeConfig = { ...defaults, roster_groups_allowed: [...defaults.roster_groups_allowed] };
  if (value && typeof value === "object") {
    for (const key of CONFIG_KEYS) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) (out as unknown as Record<string, unknown>)[key] = v;
    }
  }
  return out;
}
