import type { Element } from "ltx";
import parse from "ltx/lib/parse.js";
import { z } from "zod";
import type { StanzaEvent } from "../../src/hooks.js";
import { defineModule } from "../../src/modules.js";
import type { ClientSession } from "../../src/session/types.js";
import { addDelay } from "../../src/xml/delay.js";
import { errorReply, StanzaError } from "../../src/xml/stanza-error.js";
import { KeyedQueue } from "../../src/keyed-queue.js";
import { offlineDecision } from "./storable.js";

const FEATURE = "msgoffline";
/** Messages read from storage per query while delivering (memory stays bounded for large queues). */
const PAGE = 100;
/** session.data key: this resource has been given the stored messages (XEP-0160 §2 step 5). */
const DELIVERED = "offline";

/**
 * XEP-0160 Best Practices for Handling Offline Messages, with XEP-0203 delay stamps.
 *
 * Storage is an `archive` store, one log per account: it keeps insertion order (delivery order must be
 * arrival order even when the clock steps back), counts an account's messages without reading them (the
 * limit check on every stored message), and pages through them. Items are never deleted one by one: every
 * operation on one account (store, deliver, delete) runs in order through a per-account queue, so when a
 * delivery has handed every stored message to the session, the account's whole log is exactly what was
 * delivered and is deleted at once.
 */
export default defineModule({
  id: "offline",
  xeps: [
    { xep: 160, version: "1.0.1", status: "complete", note: "stored messages go to the first resource that sends non-negative initial presence" },
    { xep: 203, version: "2.0", status: "complete", note: "stamps on messages delivered from offline storage" },
  ],
  config: z.strictObject({
    /** Messages kept per account; once full, senders get <service-unavailable/> (XEP-0160 §2 step 3). */
    maxPerUser: z.number().int().min(1).default(1000),
  }),
  disco: { features: [FEATURE] },
  storage: { messages: "archive" },
  setup(api) {
    const store = api.archive("messages");
    const queue = new KeyedQueue();
    const { maxPerUser } = api.config;

    /** Errors go back through the router: the sender's session may have changed since the message arrived. */
    const bounce = (event: StanzaEvent, error: StanzaError) => {
      const reply = errorReply(event.stanza, error);
      if (reply) api.send(reply);
    };

    /** A resource that may be given stored messages: still bound, available, non-negative priority. */
    const takes = (s: ClientSession) => api.sessions.get(s.jid.full) === s && s.presence !== null && s.priority >= 0;

    /**
     * Hand every stored message to the session, oldest first, each with a delay stamp from the server
     * (XEP-0160 §2, XEP-0203 §3), then delete them. Runs inside the account's queue. When the session goes
     * away midway, nothing is deleted: its next resource gets them again rather than losing any.
     */
    async function deliver(session: ClientSession): Promise<void> {
      const owner = session.bare.full;
      let after: string | undefined;
      let handed = 0;
      for (;;) {
        const page = await store.query(owner, { after, limit: PAGE });
        if (!page.ok || page.items.length === 0) break;
        if (!takes(session)) return;
        for (const item of page.items) {
          let stanza: Element;
          try {
            stanza = parse(item.value as string);
          } catch (err) {
            // Only a damaged database gets here; keeping the item would block the queue for good.
            api.log.error("stored offline message cannot be read; skipped", { owner, id: item.id, err });
            continue;
          }
          session.send(addDelay(stanza, item.when, session.host, "Offline Storage"));
        }
        handed += page.items.length;
        if (page.complete) break;
        after = page.items[page.items.length - 1]!.id;
      }
      if (handed > 0) {
        await store.delete(owner);
        api.log.debug("offline messages delivered", { jid: session.jid.full, count: handed });
      }
    }

    api.hook("message:offline", (event) => {
      switch (offlineDecision(event.stanza)) {
        case "discard": return true;
        case "refuse": return false; // the core answers <service-unavailable/> (RFC 6121 §8.5.2.2.1)
        case "store": break;
      }
      const owner = event.to.bare;
      // Tracked: stream management acknowledges the sender's message only once it is stored (or bounced).
      const stored = queue.run(owner, async () => {
        try {
          const count = await store.query(owner, { limit: 0 });
          if (count.ok && count.count >= maxPerUser) {
            // XEP-0160 §2 step 3: the queue is full; the sender learns the message was not delivered.
            api.log.info("offline storage full", { jid: owner, limit: maxPerUser });
            bounce(event, new StanzaError("service-unavailable", "the recipient's offline message storage is full"));
            return;
          }
          await store.append(owner, { with: event.from.bare, value: event.stanza.toString() });
        } catch (err) {
          api.log.error("cannot store offline message", { jid: owner, err });
          bounce(event, new StanzaError("internal-server-error", "the message could not be stored for later delivery"));
          return;
        }
        // Stored while a resource became available and was given the earlier messages (the delivery
        // decision was taken before): give it this one too rather than leave it for the next login.
        const late = api.sessions.resources(owner).find((s) => s.data.get(DELIVERED) === true && takes(s));
        if (late) await deliver(late);
      });
      api.durability.track(stored);
      stored.catch((err) => api.log.error("offline delivery failed", { jid: owner, err }));
      return true;
    });

    // XEP-0160 §2 step 5: when the user next sends available presence with a non-negative priority.
    api.hook("presence:initial", ({ session }) => {
      if (session.priority < 0) return false;
      session.data.set(DELIVERED, true);
      queue.run(session.bare.full, () => deliver(session))
        .catch((err) => api.log.error("offline delivery failed", { jid: session.jid.full, err }));
      return false;
    });

    api.hook("account:deleted", ({ jid }) => {
      queue.run(jid.bare, () => store.delete(jid.bare))
        .catch((err) => api.log.error("cannot remove offline messages", { jid: jid.bare, err }));
    });
  },
});
