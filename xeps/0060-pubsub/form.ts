/**
 * The little of XEP-0004 Data Forms that pubsub needs: reading a submitted form's fields (§3.2) and writing
 * form, submit and result forms with a hidden FORM_TYPE (XEP-0068).
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { NS_DATA } from "./ns.js";

export type FieldType = "boolean" | "fixed" | "hidden" | "jid-multi" | "jid-single" | "list-multi" | "list-single" | "text-multi" | "text-private" | "text-single";

export interface FieldDef {
  var: string;
  type?: FieldType;
  label?: string;
  values: readonly string[];
  options?: readonly { value: string; label?: string }[];
}

export interface SubmittedForm {
  /** The <x/> type attribute: "submit", "cancel", "form" or "result". */
  type: string;
  /** The hidden FORM_TYPE field's value, when there is one. */
  formType: string | undefined;
  /** Every other field, by var, with its values in order (a field given twice is an error, see `duplicate`). */
  fields: Map<string, string[]>;
  /** A field var that occurs more than once (XEP-0004 §3.2: each var is unique in a form), if any. */
  duplicate: string | undefined;
}

/** The first <x xmlns='jabber:x:data'/> child of `parent`, if any. */
export function formIn(parent: Element | undefined): Element | undefined {
  return parent?.getChildElements().find((c) => c.getName() === "x" && c.getNS() === NS_DATA);
}

export function readForm(x: Element): SubmittedForm {
  const fields = new Map<string, string[]>();
  let formType: string | undefined;
  let duplicate: string | undefined;
  for (const f of x.getChildren("field")) {
    const name = f.attrs.var;
    if (typeof name !== "string") continue;
    const values = f.getChildren("value").map((v) => v.getText());
    if (name === "FORM_TYPE") { formType = values[0]; continue; }
    if (fields.has(name)) duplicate ??= name;
    fields.set(name, values);
  }
  return { type: x.attrs.type ?? "", formType, fields, duplicate };
}

/** XEP-0004 §3.3 boolean: "0"/"false" and "1"/"true"; anything else is not a boolean. */
export function parseBoolean(value: string | undefined): boolean | undefined {
  switch (value?.trim()) {
    case "1": case "true": return true;
    case "0": case "false": return false;
    default: return undefined;
  }
}

export function buildForm(type: "form" | "submit" | "result", formType: string, fields: readonly FieldDef[]): Element {
  return xml("x", { xmlns: NS_DATA, type },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, formType)),
    fields.map((f) => xml("field", { var: f.var, type: f.type, label: f.label },
      (f.options ?? []).map((o) => xml("option", { label: o.label }, xml("value", null, o.value))),
      f.values.map((v) => xml("value", null, v)),
    )),
  );
}
