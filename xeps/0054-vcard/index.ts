import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { parseXml } from "../../src/xml/element.js";
import { z } from "zod";
import { defineModule } from "../../src/modules.js";
import type { Json } from "../../src/storage/types.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { provideVcardApi, type DirectoryEntry } from "./api.js";
import { directoryFields, type DirectoryFields } from "./directory.js";
import { applyAvatarUpdate, binvalHash, photoHash, photoOf, withPhoto } from "./photo.js";

const NS = "vcard-temp";

/** What is stored per account: the vCard as sent, and the hash of its photo ("" without one). */
interface StoredVcard { xml: string; photo: string }

const emptyVcard = () => xml("vCard", { xmlns: NS });

/**
 * XEP-0054 vcard-temp: each user stores one vCard on the server, which anyone may read (§3.1-3.3), plus the
 * server's own vCard from the configuration. XEP-0153: the server puts the stored avatar's hash in the
 * presence its users send, so contacts see avatar changes whatever client the user runs.
 */
export default defineModule({
  id: "vcard",
  xeps: [
    { xep: 54, version: "1.3.0", status: "complete" },
    { xep: 153, version: "1.1.1", status: "complete", note: "the server writes the stored avatar's hash into its users' presence" },
  ],
  config: z.strictObject({
    /** Largest vCard a user may store, in bytes of XML (avatars included). */
    maxBytes: z.number().int().min(1024).default(64 * 1024),
    /** The server's own vCard (an IQ to the domain): FN defaults to the domain name. */
    server: z.strictObject({
      fn: z.string().optional(),
      url: z.string().optional(),
      email: z.string().optional(),
      org: z.string().optional(),
      desc: z.string().optional(),
    }).default({}),
  }),
  disco: { features: [NS] },
  storage: { vcards: "keyval", directory: "map" },
  setup(api) {
    const vcards = api.keyval("vcards");
    // owner: the host; key: the account's bare JID; value: its DirectoryFields.
    const directory = api.map("directory");
    const { maxBytes, server } = api.config;

    /**
     * Avatar hashes of the accounts that are online ("" = no avatar), read when a session binds. Presence is
     * annotated from here synchronously; an account missing here is left as its client sent it.
     */
    const hashes = new Map<string, string>();

    const load = async (bare: string): Promise<StoredVcard | undefined> => (await vcards.get(bare)) as StoredVcard | undefined;

    api.onUnload(provideVcardApi(api.server, {
      async directory(host) {
        const out: DirectoryEntry[] = [];
        for (const [jid, fields] of await directory.all(host)) out.push({ ...(fields as unknown as DirectoryFields), jid });
        return out;
      },
      async photo(owner) {
        const stored = await load(owner.bare);
        const vcard = stored ? parseXml(stored.xml) : null;
        return vcard ? photoOf(vcard) : null;
      },
      // For avatars published elsewhere (XEP-0398: XEP-0084 avatars kept in step with the vCard).
      async setPhoto(owner, photo) {
        const stored = await load(owner.bare);
        const hash = photo ? binvalHash(photo.binval) : "";
        if ((stored?.photo ?? "") === hash) return { ok: true, changed: false };
        const vcard = withPhoto((stored ? parseXml(stored.xml) : null) ?? emptyVcard(), photo);
        const serialized = vcard.toString();
        if (Buffer.byteLength(serialized, "utf8") > maxBytes) return { ok: false, error: "too-large" };
        if (vcard.getChildElements().length === 0) {
          await vcards.delete(owner.bare);
          await directory.delete(owner.domain, owner.bare);
        } else {
          await vcards.set(owner.bare, { xml: serialized, photo: hash });
          await directory.set(owner.domain, owner.bare, directoryFields(vcard) as unknown as Json);
        }
        if (hashes.has(owner.bare)) hashes.set(owner.bare, hash);
        return { ok: true, changed: true };
      },
    }));

    // §3.3: the server answers for the account, never forwarding to a resource. No vCard and no account
    // get the same service-unavailable (against directory harvesting); the account itself gets an empty
    // vCard (§3.1 allows either).
    api.iq("get", NS, "vCard", async ({ from, to }) => {
      const stored = await load(to.bare);
      const vcard = stored ? parseXml(stored.xml) : null;
      if (vcard) return vcard;
      return from.bare === to.bare ? emptyVcard() : new StanzaError("service-unavailable");
    }, { to: "bare" });

    // §3.2: a user sets only their own vCard, whole; an empty one removes it.
    api.iq("set", NS, "vCard", async ({ payload, from, to }) => {
      if (from.bare !== to.bare) return new StanzaError("forbidden", "you can only change your own vCard");
      const serialized = payload.toString();
      // RFC 6120 §8.3.3.12: not-acceptable is the condition for a request too large for the server's rules.
      if (Buffer.byteLength(serialized, "utf8") > maxBytes) return new StanzaError("not-acceptable", `a vCard may not exceed ${maxBytes} bytes`);
      const photo = photoHash(payload);
      if (!photo.ok) return new StanzaError("bad-request", photo.error);
      const owner = to.bare;
      const before = (await load(owner))?.photo ?? "";
      // Presence sent right after this IQ must already carry the new hash (XEP-0153 §4.2 rule 1).
      const previous = hashes.get(owner);
      hashes.set(owner, photo.hash ?? "");
      try {
        if (payload.getChildElements().length === 0) {
          await vcards.delete(owner);
          await directory.delete(to.domain, owner);
        } else {
          await vcards.set(owner, { xml: serialized, photo: photo.hash ?? "" });
          await directory.set(to.domain, owner, directoryFields(payload) as unknown as Json);
        }
      } catch (err) {
        if (previous === undefined) hashes.delete(owner);
        else hashes.set(owner, previous);
        throw err;
      }
      if ((photo.hash ?? "") !== before) api.fire("vcard:photo", { owner: to.toBare(), photo: photoOf(payload) });
      return null;
    }, { to: "bare" });

    // The server's own vCard (XEP-0054 §3.3 note), from the configuration; it is not changed in-band.
    api.iq("get", NS, "vCard", ({ host }) => xml("vCard", { xmlns: NS },
      xml("FN", null, server.fn ?? host),
      server.org ? xml("ORG", null, xml("ORGNAME", null, server.org)) : null,
      server.url ? xml("URL", null, server.url) : null,
      server.email ? xml("EMAIL", null, xml("INTERNET"), xml("PREF"), xml("USERID", null, server.email)) : null,
      server.desc ? xml("DESC", null, server.desc) : null,
    ), { to: "host" });
    api.iq("set", NS, "vCard", () => new StanzaError("not-allowed", "the server's vCard is set in its configuration"), { to: "host" });

    api.hook("session:bound", ({ session }) => {
      const bare = session.bare.full;
      if (hashes.has(bare)) return;
      load(bare).then((stored) => {
        // A vCard set meanwhile has already put the newer hash; an account gone offline needs none.
        if (!hashes.has(bare) && api.sessions.resources(bare).length > 0) hashes.set(bare, stored?.photo ?? "");
      }, (err) => api.log.error("cannot read vCard", { err }));
    });

    api.hook("session:closed", ({ session }) => {
      if (api.sessions.resources(session.bare.full).length === 0) hashes.delete(session.bare.full);
    });

    // XEP-0153 §3.1/§4.1: available presence a user sends (broadcast or directed) carries the avatar hash.
    api.hook("stanza:pre", ({ origin, stanza, from }) => {
      if (stanza.name !== "presence" || stanza.attrs.type !== undefined || origin?.kind !== "c2s" || from.bare !== origin.bare.full) return false;
      const hash = hashes.get(from.bare);
      if (hash !== undefined) applyAvatarUpdate(stanza, hash);
      return false;
    });

    api.hook("account:deleted", ({ jid }) => {
      hashes.delete(jid.bare);
      Promise.all([vcards.delete(jid.bare), directory.delete(jid.domain, jid.bare)])
        .catch((err) => api.log.error("cannot remove vCard", { err }));
    });
  },
});
