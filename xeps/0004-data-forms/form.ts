/**
 * XEP-0004 Data Forms as the modules use them (MUC configuration, pubsub options, push publish-options):
 * reading a submitted form (§3.2, one value list per field var) and writing forms with a hidden FORM_TYPE
 * (XEP-0068 §3). A library shared by modules, not a module itself.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
export const NS_DATA = "jabber:x:data";

export type FieldType = "boolean" | "fixed" | "hidden" | "jid-multi" | "jid-single" | "list-multi" | "list-single" | "text-multi" | "text-private" | "text-single";

export interface FieldDef {
  var?: string;
  type?: FieldType;
  label?: string;
  values?: readonly string[];
  options?: readonly { value: string; label?: string }[];
}

export interface SubmittedForm {
  /** The <x/> 'type': "submit", "cancel", "form" or "result". */
  type: string;
  formType: string | undefined;
  /** Fields other than FORM_TYPE, by var, with their values in order. */
  fields: Map<string, string[]>;
  /** A var given twice (XEP-0004 §3.2: vars are unique within a form). */
  duplicate: string | undefined;
}

/** The first <x xmlns='jabber:x:data'/> child of `parent`. */
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
    if (name === "FORM_TYPE") { formType = values[0]?.trim(); continue; }
    if (fields.has(name)) duplicate ??= name;
    fields.set(name, values);
  }
  return { type: x.attrs.type ?? "", formType, fields, duplicate };
}

/** XEP-0004 §3.3 boolean: "0"/"false" and "1"/"true"; undefined for anything else. */
export function parseBoolean(value: string | undefined): boolean | undefined {
  switch (value?.trim()) {
    case "1": case "true": return true;
    case "0": case "false": return false;
    default: return undefined;
  }
}

export function buildForm(type: "form" | "submit" | "result", formType: string, fields: readonly FieldDef[], extra?: { title?: string; instructions?: string }): Element {
  return xml("x", { xmlns: NS_DATA, type },
    extra?.title ? xml("title", null, extra.title) : null,
    extra?.instructions ? xml("instructions", null, extra.instructions) : null,
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, formType)),
    fields.map((f) => xml("field", { var: f.var, type: f.type, label: f.label },
      (f.values ?? []).map((v) => xml("value", null, v)),
      (f.options ?? []).map((o) => xml("option", { label: o.label }, xml("value", null, o.value))),
    )),
  );
}
