import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { z } from "zod";
import { defineModule, type IqContext } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { vcardApi } from "../0054-vcard/api.js";
import { normalizeQuery, search, type Entry, type Query } from "./match.js";

const NS = "jabber:iq:search";
const NS_DATA = "jabber:x:data";

/** §3 and the registered FORM_TYPE (§7.2): the four standard fields, plus two of our own ("x-" prefixed). */
const FORM_FIELDS: { var: string; label: string; key: keyof Query }[] = [
  { var: "first", label: "Given Name", key: "first" },
  { var: "last", label: "Family Name", key: "last" },
  { var: "nick", label: "Nickname", key: "nick" },
  { var: "email", label: "Email Address", key: "email" },
  { var: "x-username", label: "Username", key: "username" },
  { var: "x-fn", label: "Full Name", key: "fn" },
];
const LEGACY_FIELDS = ["first", "last", "nick", "email"] as const;

/**
 * XEP-0055 Jabber Search: a directory of each host's users, answered by the host itself (its disco#info lists
 * jabber:iq:search). A separate search.<host> service would need its own DNS name and certificate for no gain:
 * the directory is of the host's own accounts, and the XEP lets any entity be the "information repository".
 *
 * An entry is an account (found by its username) with what its vCard publishes (the vcard module's directory).
 * `visibility: local` lets the host's own users search (others are forbidden); `off` turns the directory off
 * (no feature, service-unavailable).
 */
export default defineModule({
  id: "search",
  xeps: [{ xep: 55, version: "1.3", status: "complete", note: "a directory of each host's users, with the data form of §3" }],
  requires: ["vcard"],
  config: z.strictObject({
    visibility: z.enum(["off", "local"]).default("local"),
    /** Most results one search returns (§1: the XEP has no paging; the rest are left out, and the form says so). */
    maxResults: z.number().int().min(1).max(1000).default(50),
    instructions: z.string().default("Fill in one or more fields to search for users of this server."),
  }),
  disco: {
    featuresFor: (_host, config) => (config.visibility === "off" ? [] : [NS]),
  },
  setup(api) {
    if (api.config.visibility === "off") return;
    const vcards = vcardApi(api.server);
    const { maxResults, instructions } = api.config;

    const allowed = ({ from, host }: IqContext) =>
      from.local !== "" && from.domain === host ? null : new StanzaError("forbidden", "only users of this server may search its directory");

    /** Every account of the host, with its vCard's fields when it published one. */
    const entries = async (host: string): Promise<Entry[]> => {
      const [accounts, directory] = await Promise.all([api.accounts.list(host), vcards.directory(host)]);
      const byJid = new Map(directory.map((d) => [d.jid, d]));
      return accounts.map((a) => ({ emails: [], ...byJid.get(a.bare), jid: a.bare, username: a.local }));
    };

    // §2 / §3: the fields, both as the legacy elements and as a data form.
    api.iq("get", NS, "query", (ctx) => {
      const refused = allowed(ctx);
      if (refused) return refused;
      return xml("query", { xmlns: NS },
        xml("instructions", null, instructions),
        LEGACY_FIELDS.map((f) => xml(f)),
        xml("x", { xmlns: NS_DATA, type: "form" },
          xml("title", null, `User directory of ${ctx.host}`),
          xml("instructions", null, instructions),
          xml("field", { type: "hidden", var: "FORM_TYPE" }, xml("value", null, NS)),
          FORM_FIELDS.map((f) => xml("field", { type: "text-single", var: f.var, label: f.label })),
        ),
      );
    }, { to: "host" });

    api.iq("set", NS, "query", async (ctx) => {
      const refused = allowed(ctx);
      if (refused) return refused;
      const form = ctx.payload.getChild("x", NS_DATA);
      const parsed = form ? formQuery(form) : { ok: true as const, query: legacyQuery(ctx.payload) };
      if (!parsed.ok) return parsed.error;
      const query = normalizeQuery(parsed.query);
      if (!query) return new StanzaError("not-acceptable", "fill in at least one field");
      const { results, truncated } = search(await entries(ctx.host), query, maxResults);
      return form ? formResult(results, truncated) : legacyResult(results);
    }, { to: "host" });

    function legacyQuery(payload: Element): Query {
      const q: Query = {};
      for (const f of LEGACY_FIELDS) {
        const v = payload.getChildText(f);
        if (v !== null) q[f] = v;
      }
      return q;
    }

    /** XEP-0004 §3.1 submit form; a FORM_TYPE, when given, must be this one. */
    function formQuery(x: Element): { ok: true; query: Query } | { ok: false; error: StanzaError } {
      if (x.attrs.type !== "submit") return { ok: false, error: new StanzaError("bad-request", "submit the search form (type 'submit')") };
      const q: Query = {};
      for (const field of x.getChildren("field")) {
        const value = field.getChildText("value") ?? "";
        if (field.attrs.var === "FORM_TYPE") {
          if (value !== NS) return { ok: false, error: new StanzaError("bad-request", `FORM_TYPE must be ${NS}`) };
          continue;
        }
        const known = FORM_FIELDS.find((f) => f.var === field.attrs.var);
        if (known) q[known.key] = value;
      }
      return { ok: true, query: q };
    }

    /** §2: one <item/> per match, with the four fields (the schema makes each one required, so empty when unknown). */
    function legacyResult(results: Entry[]): Element {
      return xml("query", { xmlns: NS }, results.map((e) => xml("item", { jid: e.jid },
        xml("first", null, e.first ?? ""),
        xml("last", null, e.last ?? ""),
        xml("nick", null, e.nick ?? e.username),
        xml("email", null, e.emails[0] ?? ""),
      )));
    }

    /**
     * §3: an XEP-0004 result form, <reported/> then one <item/> per match. XEP-0004 §3.4 allows no other field
     * in such a form, so unlike the example in XEP-0055 §3 it carries no FORM_TYPE.
     */
    function formResult(results: Entry[], truncated: boolean): Element {
      const values = (e: Entry): Record<string, string> => ({
        "jid": e.jid, "first": e.first ?? "", "last": e.last ?? "", "nick": e.nick ?? e.username, "email": e.emails[0] ?? "",
        "x-username": e.username, "x-fn": e.fn ?? "",
      });
      const reported = [{ var: "jid", label: "Jabber ID", type: "jid-single" }, ...FORM_FIELDS.map((f) => ({ var: f.var, label: f.label, type: "text-single" }))];
      return xml("query", { xmlns: NS },
        xml("x", { xmlns: NS_DATA, type: "result" },
          truncated ? xml("instructions", null, `Only the first ${maxResults} matches are shown; add fields to narrow the search.`) : null,
          xml("reported", null, reported.map((f) => xml("field", f))),
          results.map((e) => {
            const v = values(e);
            return xml("item", null, reported.map((f) => xml("field", { var: f.var }, xml("value", null, v[f.var]!))));
          }),
        ),
      );
    }
  },
});
