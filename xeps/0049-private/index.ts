import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { parseXml } from "../../src/xml/element.js";
import { z } from "zod";
import type { Jid } from "../../src/jid.js";
import { defineModule } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { providePrivateApi, type PrivateNamespaceHandler } from "./api.js";
import { isReservedNamespace, standalone } from "./xml.js";

const NS = "jabber:iq:private";

/**
 * XEP-0049 Private XML Storage: each user keeps namespaced XML on the server that only the user's own
 * resources can read or change (§2.3, §4). Stored by namespace, one map entry each, so that what mirrors one
 * namespace elsewhere (XEP-0048 bookmarks and PEP) can take over exactly that entry.
 */
export default defineModule({
  id: "private",
  xeps: [{ xep: 49, version: "1.2", status: "complete" }],
  config: z.strictObject({
    /** Most one account may store, in bytes of XML, all namespaces together. */
    maxBytes: z.number().int().min(1024).default(128 * 1024),
  }),
  disco: { features: [NS] },
  // owner: the account's bare JID; key: a namespace; value: the serialised elements stored in it.
  storage: { xml: "map" },
  setup(api) {
    const store = api.map("xml");
    const { maxBytes } = api.config;

    const read = async (owner: string, ns: string): Promise<Element[]> => {
      const v = await store.get(owner, ns);
      return Array.isArray(v) ? (v as string[]).map((s) => parseXml(s)).filter((e): e is Element => e !== null) : [];
    };
    const write = (owner: string, ns: string, serialized: string[]): Promise<void> => store.set(owner, ns, serialized);

    // Namespaces another module answers for (see api.ts).
    const handlers = new Map<string, PrivateNamespaceHandler>();
    api.onUnload(providePrivateApi(api.server, {
      handle(ns, handler) {
        handlers.set(ns, handler);
        return () => { if (handlers.get(ns) === handler) handlers.delete(ns); };
      },
      stored: (owner, ns) => read(owner.bare, ns),
      drop: (owner, ns) => store.delete(owner.bare, ns),
    }));

    /** §2.3: only the account itself; "Forbidden" is the preferred condition. */
    const notOwner = (from: Jid, to: Jid) => (from.bare !== to.bare ? new StanzaError("forbidden", "private data is its owner's only") : null);

    /** The namespace of each child, or the error that refuses the request. */
    const namespaces = (children: Element[]): { ok: true; nss: string[] } | { ok: false; error: StanzaError } => {
      // §2.3: at least one child element, in its own namespace; otherwise not-acceptable ("Bad Format" in the
      // XEP's words, code 406, is not-acceptable in XEP-0086).
      if (children.length === 0) return { ok: false, error: new StanzaError("not-acceptable", "name the namespace, with a child element of <query/>") };
      const nss: string[] = [];
      for (const c of children) {
        const ns = c.getNS() ?? "";
        if (ns === "") return { ok: false, error: new StanzaError("not-acceptable", "each child of <query/> needs its own namespace") };
        if (isReservedNamespace(ns)) return { ok: false, error: new StanzaError("not-acceptable", `"${ns}" is a reserved namespace`) };
        nss.push(ns);
      }
      return { ok: true, nss };
    };

    api.iq("get", NS, "query", async ({ payload, from, to }) => {
      const refused = notOwner(from, to);
      if (refused) return refused;
      const children = payload.getChildElements();
      const checked = namespaces(children);
      if (!checked.ok) return checked.error;
      // §2.3: "A client MUST NOT query for more than one namespace in a single IQ get request."
      if (new Set(checked.nss).size > 1) return new StanzaError("bad-request", "one namespace per request");
      const ns = checked.nss[0]!;
      const handler = handlers.get(ns);
      const stored = handler ? await handler.get(to.toBare()) : await read(to.bare, ns);
      // Nothing stored: the element asked for comes back empty, as the request had it.
      return xml("query", { xmlns: NS }, stored.length > 0 ? stored : children.map(standalone));
    }, { to: "bare" });

    api.iq("set", NS, "query", async ({ payload, from, to }) => {
      const refused = notOwner(from, to);
      if (refused) return refused;
      const children = payload.getChildElements();
      const checked = namespaces(children);
      if (!checked.ok) return checked.error;
      // What replaces each namespace named here: all the children in it (a set MAY hold several, §2.3).
      const next = new Map<string, string[]>();
      children.forEach((c, i) => {
        const ns = checked.nss[i]!;
        next.set(ns, [...(next.get(ns) ?? []), standalone(c).toString()]);
      });
      const owner = to.bare;
      let total = 0;
      for (const [ns, v] of await store.all(owner)) if (!next.has(ns) && !handlers.has(ns) && Array.isArray(v)) for (const s of v) total += Buffer.byteLength(String(s));
      for (const [ns, v] of next) if (!handlers.has(ns)) for (const s of v) total += Buffer.byteLength(s);
      if (total > maxBytes) return new StanzaError("not-acceptable", `private storage is limited to ${maxBytes} bytes per account`);
      // A namespace another module answers for goes to it; what was stored here before under it is then stale.
      for (const [ns, serialized] of next) {
        const handler = handlers.get(ns);
        if (!handler) continue;
        const refused = await handler.set(to.toBare(), serialized.map((x) => parseXml(x)).filter((e): e is Element => e !== null));
        if (refused) return refused;
        await store.delete(owner, ns);
      }
      for (const [ns, serialized] of next) if (!handlers.has(ns)) await write(owner, ns, serialized);
      return null;
    }, { to: "bare" });

    // §2.3: to any other address than the user's own (the server's included).
    for (const type of ["get", "set"] as const) {
      api.iq(type, NS, "query", () => new StanzaError("forbidden", "private data is stored at your own address"), { to: "host" });
    }

    api.hook("account:deleted", ({ jid }) => {
      store.clear(jid.bare).catch((err) => api.log.error("cannot remove private data", { err }));
    });
  },
});
