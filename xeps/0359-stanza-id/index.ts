import type { StanzaEvent } from "../../src/hooks.js";
import { defineModule } from "../../src/modules.js";
import { NS_SID, shouldStamp, stampStanzaId, stripStanzaIds } from "./stamp.js";

export { NS_SID, newStanzaId, shouldStamp, stampStanzaId, stripStanzaIds } from "./stamp.js";

/**
 * Where ids are stamped: on `message:bare` / `message:full` after policy modules (blocking, privacy) had
 * their say and before carbons (-990), offline storage and the core's delivery (-1000), so every copy of
 * the message (delivered, carbon-copied, stored offline) carries the same id. An archive module that must
 * know the id hooks below this priority and reads it, or calls `stampStanzaId` itself.
 */
export const STAMP_PRIORITY = -950;

/**
 * XEP-0359 Unique and Stable Stanza IDs: every account is an id-assigning entity (§3 rule 7: for one-to-one
 * messages, the account). Messages routed to a local account get `<stanza-id by='<account>'/>`; ids a
 * sender forged in the name of the recipient's or of its own account are removed (§3 rule 2).
 */
export default defineModule({
  id: "stanza-id",
  xeps: [{ xep: 359, version: "0.7.0", status: "complete", note: "ids on the chat and normal messages an account keeps" }],
  disco: { accountFeatures: [NS_SID] },
  setup(api) {
    const inbound = ({ stanza, to }: StanzaEvent): boolean => {
      // Ids from the storage's scheme: an archive module keeps this id, and its index grows cheaply by it.
      if (shouldStamp(stanza)) stampStanzaId(stanza, to.bare, api.newArchiveId());
      else stripStanzaIds(stanza, to.bare);
      return false;
    };
    api.hook("message:bare", inbound, STAMP_PRIORITY);
    api.hook("message:full", inbound, STAMP_PRIORITY);

    // §3 rule 2 for what a user sends: its own account assigns ids (to sent messages, in its archive), so an
    // id in that account's name that the client wrote itself is forged.
    api.hook("stanza:pre", ({ origin, stanza }) => {
      if (origin?.kind === "c2s" && stanza.name === "message") stripStanzaIds(stanza, origin.bare.full);
      return false;
    }, STAMP_PRIORITY);
  },
});
