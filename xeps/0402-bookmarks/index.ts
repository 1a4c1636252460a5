/**
 * XEP-0402 PEP Native Bookmarks with "urn:xmpp:bookmarks:1#compat" (§5.3): bookmarks are kept once, in the
 * account's urn:xmpp:bookmarks:1 PEP node (one item per room), and XEP-0048 clients that use private storage
 * (XEP-0049, namespace storage:bookmarks) read and write the same bookmarks: a get collates the items into one
 * <storage/> (§5.3.1), a set publishes what it adds or changes and retracts what it leaves out, unchanged items
 * untouched (§5.3.2). Bookmarks stored in private storage before this module ran move to PEP the first time
 * the account connects. XEP-0048 URL bookmarks, which XEP-0402 does not carry, are kept aside for XEP-0048 clients.
 */
import { KeyedQueue } from "../../src/keyed-queue.js";
import type { BareJid } from "../../src/jid.js";
import { defineModule } from "../../src/modules.js";
import { parseXml } from "../../src/xml/element.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import type { Element } from "ltx";
import { privateApi } from "../0049-private/api.js";
import { pepApi, type NodeConfig } from "../0163-pep/api.js";
import { changes, fromItem, fromLegacy, NS_BOOKMARKS, NS_LEGACY, toLegacy, toPayload, type Bookmark } from "./convert.js";

/** XEP-0402 §3.3: how clients configure the node (publish-options); the server creates it the same way. */
const NODE_CONFIG: Partial<NodeConfig> = { persist_items: true, max_items: "max", send_last_published_item: "never", access_model: "whitelist" };

export default defineModule({
  id: "bookmarks",
  xeps: [
    { xep: 402, version: "1.2.0", status: "complete", note: "with #compat: unified with XEP-0048 bookmarks in private storage" },
    { xep: 48, version: "1.2", status: "partial", note: "in XEP-0049 private storage, unified with XEP-0402; not the PEP storage:bookmarks node of #compat-pep" },
  ],
  requires: ["pep", "private"],
  disco: { accountFeatures: [`${NS_BOOKMARKS}#compat`] },
  // owner: the account's bare JID; value: its XEP-0048 <url/> bookmarks, serialised.
  storage: { urls: "keyval" },
  setup(api) {
    const pep = pepApi(api.server);
    const priv = privateApi(api.server);
    const urlStore = api.keyval("urls");
    const queue = new KeyedQueue();
    /** Accounts whose old private-storage bookmarks have been looked for since start. */
    const migrated = new Set<string>();

    const readUrls = async (owner: BareJid): Promise<Element[]> => {
      const v = await urlStore.get(owner.bare);
      return Array.isArray(v) ? (v as string[]).map((s) => parseXml(s)).filter((e): e is Element => e !== null) : [];
    };
    const writeUrls = (owner: BareJid, urls: Element[]) =>
      (urls.length > 0 ? urlStore.set(owner.bare, urls.map((u) => u.toString())) : urlStore.delete(owner.bare));

    /** The bookmarks in PEP now, with the payloads they have (for their extensions). */
    const current = async (owner: BareJid) => {
      const payloads = new Map<string, Element | null>();
      const bookmarks: Bookmark[] = [];
      for (const item of (await pep.items(owner, NS_BOOKMARKS)) ?? []) {
        const b = fromItem(item.id, item.payload);
        if (!b) continue;
        bookmarks.push(b);
        payloads.set(item.id, item.payload);
      }
      return { bookmarks, payloads };
    };

    /**
     * Publish and retract so that PEP holds `wanted` (replace: the list is complete), or add the rooms of `wanted`
     * PEP does not have yet (merge: what PEP has is newer). §5.3.2: changes are notified, unchanged items are not.
     */
    const apply = async (owner: BareJid, wanted: Bookmark[], mode: "replace" | "merge"): Promise<StanzaError | null> => {
      const now = await current(owner);
      const known = new Set(now.bookmarks.map((b) => b.jid));
      const plan = changes(now.bookmarks, mode === "replace" ? wanted : [...now.bookmarks, ...wanted.filter((w) => !known.has(w.jid))]);
      for (const b of plan.publish) {
        const extensions = now.payloads.get(b.jid)?.getChild("extensions") ?? undefined;
        // The node must be private (whitelist) before bookmarks go into it, whoever created it (XEP-0402 §3.3).
        const r = await pep.publish(owner, NS_BOOKMARKS, { id: b.jid, payload: toPayload(b, extensions) },
          { preconditions: { access_model: "whitelist" }, createWith: NODE_CONFIG });
        if (!r.ok) return new StanzaError(r.error.condition, `the bookmarks node: ${r.error.text ?? r.error.condition}`, r.error.type, r.error.appCondition);
      }
      for (const id of plan.retract) {
        const r = await pep.retract(owner, NS_BOOKMARKS, id, true);
        if (!r.ok) return r.error;
      }
      return null;
    };

    /** Bookmarks left in private storage from before: moved into PEP (merged), then removed there. */
    const migrate = async (owner: BareJid): Promise<void> => {
      if (migrated.has(owner.bare)) return;
      const legacy = (await priv.stored(owner, NS_LEGACY)).find((e) => e.getName() === "storage");
      if (legacy) {
        const { bookmarks, urls } = fromLegacy(legacy);
        const refused = await apply(owner, bookmarks, "merge");
        if (refused) { api.log.warn("cannot move private-storage bookmarks to PEP", { owner: owner.bare, error: refused.condition }); return; }
        if (urls.length > 0) await writeUrls(owner, [...(await readUrls(owner)), ...urls]);
        await priv.drop(owner, NS_LEGACY);
      }
      migrated.add(owner.bare);
    };

    api.onUnload(priv.handle(NS_LEGACY, {
      get: (owner) => queue.run(owner.bare, async () => {
        await migrate(owner);
        const [{ bookmarks }, urls] = await Promise.all([current(owner), readUrls(owner)]);
        return bookmarks.length + urls.length > 0 ? [toLegacy(bookmarks, urls)] : [];
      }),
      set: (owner, elements) => queue.run(owner.bare, async () => {
        await migrate(owner);
        const storage = elements.find((e) => e.getName() === "storage");
        const { bookmarks, urls } = storage ? fromLegacy(storage) : { bookmarks: [], urls: [] };
        const refused = await apply(owner, bookmarks, "replace");
        if (refused) return refused;
        await writeUrls(owner, urls);
        return null;
      }),
    }));

    api.hook("session:bound", ({ session }) => {
      const owner = session.bare;
      if (migrated.has(owner.bare)) return;
      queue.run(owner.bare, () => migrate(owner)).catch((err) => api.log.error("cannot move bookmarks to PEP", { err }));
    });

    api.hook("account:deleted", ({ jid }) => {
      migrated.delete(jid.bare);
      urlStore.delete(jid.bare).catch((err) => api.log.error("cannot remove URL bookmarks", { err }));
    });
  },
});
