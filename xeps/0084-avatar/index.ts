/**
 * XEP-0398 User Avatar to vCard-Based Avatars Conversion: XEP-0084 avatars (PEP data and metadata nodes) and
 * the vCard PHOTO with its XEP-0153 hash in presence are kept in step, so clients that only know one of the
 * two see the avatars set with the other. A new metadata item puts the image it names into the vCard (an
 * empty <metadata/> or a retraction removes it); a vCard stored with another photo is published to the data
 * and metadata nodes (its removal publishes an empty <metadata/>). The feature is announced on the account.
 *
 * Limits: the vCard keeps the vcard module's maxBytes (an avatar too large for it stays in PEP only), PEP
 * items keep pep's maxItemBytes. Contacts see a vCard avatar change with the user's next presence (the hash
 * goes into it); the server does not send presence on the user's behalf.
 */
import { KeyedQueue } from "../../src/keyed-queue.js";
import type { BareJid } from "../../src/jid.js";
import { defineModule } from "../../src/modules.js";
import { pepApi } from "../0163-pep/api.js";
import { vcardApi } from "../0054-vcard/api.js";
import { avatarItems, dataImage, imageId, noAvatar, NS_DATA, NS_METADATA, pepImage } from "./convert.js";

export const FEATURE = "urn:xmpp:pep-vcard-conversion:0";

export default defineModule({
  id: "avatar-conversion",
  xeps: [{ xep: 398, version: "0.2.1", status: "complete", note: "within the vcard module's size limit" }],
  requires: ["pep", "vcard"],
  disco: { accountFeatures: [FEATURE] },
  setup(api) {
    const pep = pepApi(api.server);
    const vcards = vcardApi(api.server);
    // One conversion at a time per account, in the order the changes came.
    const queue = new KeyedQueue();
    const run = (owner: BareJid, what: string, task: () => Promise<void>) => {
      queue.run(owner.bare, task).catch((err) => api.log.error(`avatar conversion failed: ${what}`, { owner: owner.bare, err }));
    };

    /** XEP-0084 -> vCard: the image the current metadata names, or none. */
    const toVcard = async (owner: BareJid): Promise<void> => {
      const node = await pep.node(owner, NS_METADATA);
      const lastId = node?.order[node.order.length - 1];
      const metadata = lastId === undefined ? null : (await pep.item(owner, NS_METADATA, lastId))?.payload ?? null;
      const info = metadata ? pepImage(metadata) : null;
      if (info === undefined) return; // only URLs or pointers: nothing the vCard can hold
      let photo = null;
      if (info) {
        const binval = dataImage((await pep.item(owner, NS_DATA, info.id))?.payload ?? null);
        if (!binval) return; // the data is not (or no longer) in the data node
        photo = { type: info.type, binval };
      }
      const r = await vcards.setPhoto(owner, photo);
      if (!r.ok) api.log.info("avatar too large for the vCard, kept in PEP only", { owner: owner.bare });
    };

    // A metadata item, or the data it points at arriving after it.
    api.hook("pep:event", ({ owner, event }) => {
      if (event.rec.node !== NS_METADATA && !(event.rec.node === NS_DATA && event.kind === "items")) return;
      run(owner, "PEP to vCard", () => toVcard(owner));
    });

    // vCard -> XEP-0084: data first, then the metadata that points at it (§4.1 before §4.2).
    api.hook("vcard:photo", ({ owner, photo }) => {
      run(owner, "vCard to PEP", async () => {
        if (!photo) {
          if (await pep.node(owner, NS_METADATA)) await pep.publish(owner, NS_METADATA, { payload: noAvatar() });
          return;
        }
        const id = imageId(photo.binval);
        const items = avatarItems(photo.binval, photo.type, id);
        // vCards are public (XEP-0054 §3.1): nodes this creates are open too.
        const data = await pep.publish(owner, NS_DATA, { id, payload: items.data }, { createWith: { access_model: "open" } });
        if (!data.ok) { api.log.info("vCard avatar not published to PEP", { owner: owner.bare, error: data.error.condition }); return; }
        await pep.publish(owner, NS_METADATA, { id, payload: items.metadata }, { createWith: { access_model: "open" } });
      });
    });
  },
});
