/**
 * Push registrations (XEP-0357 §4 enabling, §6 disabling): one per app server JID and node for an account, with
 * the publish options the app client gave (§4: a form with FORM_TYPE pubsub#publish-options, typically a secret),
 * kept in a map store per account so they survive restarts.
 */
import type { Element } from "ltx";
import { formIn, readForm } from "../0004-data-forms/form.js";
import { FORM_PUBLISH_OPTIONS } from "../0060-pubsub/ns.js";
import { parseJid } from "../../src/jid.js";
import type { Json } from "../../src/storage/types.js";
import { StanzaError } from "../../src/xml/stanza-error.js";

export interface Registration {
  /** The app server's XMPP Push Service, as a normalised JID. */
  jid: string;
  /** The node it provisioned ("" when the client gave none). */
  node: string;
  /** Publish options to send with each publish (§5): field var -> values. */
  options: Record<string, string[]>;
  /** ms since the epoch. */
  enabled: number;
}

/** The map key of a registration: the JID and node pair (§4: enabled once per pair). */
export const keyOf = (r: Pick<Registration, "jid" | "node">): string => JSON.stringify([r.jid, r.node]);

export function fromJson(v: Json | undefined): Registration | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const { jid, node, options, enabled } = v;
  if (typeof jid !== "string" || typeof node !== "string" || typeof enabled !== "number") return null;
  if (typeof options !== "object" || options === null || Array.isArray(options)) return null;
  const opts: Record<string, string[]> = {};
  for (const [k, vals] of Object.entries(options)) if (Array.isArray(vals)) opts[k] = vals.filter((x): x is string => typeof x === "string");
  return { jid, node, options: opts, enabled };
}

export const toJson = (r: Registration): Json => ({ jid: r.jid, node: r.node, options: r.options, enabled: r.enabled });

/** §4: <enable jid node?> with an optional publish-options form. */
export function parseEnable(el: Element, now: number): { ok: true; reg: Registration } | { ok: false; error: StanzaError } {
  const jid = parseJid(el.attrs.jid ?? "");
  if (!jid.ok) return { ok: false, error: new StanzaError("bad-request", "<enable/> needs the jid of the push service") };
  const options: Record<string, string[]> = {};
  const x = formIn(el);
  if (x) {
    const form = readForm(x);
    if (form.type !== "submit" || form.formType !== FORM_PUBLISH_OPTIONS) {
      return { ok: false, error: new StanzaError("bad-request", `publish options are a submitted form of type ${FORM_PUBLISH_OPTIONS}`) };
    }
    for (const [k, v] of form.fields) options[k] = v;
  }
  return { ok: true, reg: { jid: jid.jid.full, node: el.attrs.node ?? "", options, enabled: now } };
}

/** §6: <disable jid node?>: which registrations it removes (all of the JID's when no node is given). */
export function parseDisable(el: Element): { ok: true; jid: string; node: string | undefined } | { ok: false; error: StanzaError } {
  const jid = parseJid(el.attrs.jid ?? "");
  if (!jid.ok) return { ok: false, error: new StanzaError("bad-request", "<disable/> needs the jid of the push service") };
  return { ok: true, jid: jid.jid.full, node: el.attrs.node };
}

export const disables = (d: { jid: string; node: string | undefined }, r: Registration): boolean =>
  r.jid === d.jid && (d.node === undefined || r.node === d.node);
