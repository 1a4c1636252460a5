/**
 * XEP-0115 Entity Capabilities §5.1: the verification string of an entity's disco#info (identities,
 * features and XEP-0128 extension forms), hashed with SHA-1 and encoded in Base64.
 */
import { createHash } from "node:crypto";
import type { Element } from "ltx";

const NS_DATA = "jabber:x:data";

export interface CapsIdentity { category: string; type: string; lang?: string; name?: string }
export interface CapsField { var: string; values: string[] }
/** An XEP-0128 form: its FORM_TYPE and its other fields. */
export interface CapsForm { formType: string; fields: CapsField[] }

/** §5.1: every sort uses the "i;octet" collation (RFC 4790 §9.3), i.e. comparing UTF-8 bytes. */
export function octetCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function compareIdentities(a: CapsIdentity, b: CapsIdentity): number {
  return octetCompare(a.category, b.category) || octetCompare(a.type, b.type) || octetCompare(a.lang ?? "", b.lang ?? "");
}

/** §5.1 steps 1-7: the string S that is hashed. */
export function verificationString(identities: readonly CapsIdentity[], features: readonly string[], forms: readonly CapsForm[] = []): string {
  let s = "";
  // Steps 2-3: identities sorted by category, type and xml:lang, as category/type/lang/name, each slash kept.
  for (const i of [...identities].sort(compareIdentities)) s += `${i.category}/${i.type}/${i.lang ?? ""}/${i.name ?? ""}<`;
  // Steps 4-5.
  for (const f of [...features].sort(octetCompare)) s += `${f}<`;
  // Steps 6-7: forms sorted by FORM_TYPE; within each, fields by var, then values, FORM_TYPE itself left out.
  for (const form of [...forms].sort((a, b) => octetCompare(a.formType, b.formType))) {
    s += `${form.formType}<`;
    for (const field of [...form.fields].sort((a, b) => octetCompare(a.var, b.var))) {
      s += `${field.var}<`;
      for (const v of [...field.values].sort(octetCompare)) s += `${v}<`;
    }
  }
  return s;
}

/** §5.1 steps 8-9: SHA-1 of the UTF-8 string S, Base64 without whitespace. */
export function capsVer(identities: readonly CapsIdentity[], features: readonly string[], forms: readonly CapsForm[] = []): string {
  return createHash("sha1").update(verificationString(identities, features, forms), "utf8").digest("base64");
}

/**
 * Read XEP-0128 forms (<x xmlns='jabber:x:data'/>) for hashing. As §5.4 step 3.6 tells a verifier to, a form
 * without a FORM_TYPE field of type "hidden" is left out, so the server hashes what a client would.
 */
export function capsForms(elements: readonly Element[]): CapsForm[] {
  const forms: CapsForm[] = [];
  for (const x of elements) {
    if (x.getName() !== "x" || x.getNS() !== NS_DATA) continue;
    const fields = x.getChildren("field");
    const formTypeField = fields.find((f) => f.attrs.var === "FORM_TYPE");
    if (!formTypeField || formTypeField.attrs.type !== "hidden") continue;
    const formType = formTypeField.getChildText("value") ?? "";
    forms.push({
      formType,
      fields: fields
        .filter((f) => f !== formTypeField && typeof f.attrs.var === "string")
        .map((f) => ({ var: f.attrs.var as string, values: f.getChildren("value").map((v) => v.getText()) })),
    });
  }
  return forms;
}
