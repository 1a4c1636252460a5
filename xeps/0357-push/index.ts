import { randomBytes } from "node:crypto";
import { xml } from "@xmpp/xml";
import { z } from "zod";
import { publishRequest } from "../0060-pubsub/protocol.js";
import type { StanzaEvent } from "../../src/hooks.js";
import { defineModule } from "../../src/modules.js";
import type { ClientSession } from "../../src/session/types.js";
import { StanzaError } from "../../src/xml/stanza-error.js";
import { NS_PUSH, notification, pushNotice, selfPresence } from "./notice.js";
import { classifyReply, errorOf } from "./outcome.js";
import { Pusher } from "./pusher.js";
import { disables, fromJson, keyOf, parseDisable, parseEnable, toJson, type Registration } from "./registrations.js";

const NS_DELAY = "urn:xmpp:delay";
/** Ids of publishes, told apart from other IQ results to the host in `iq:host`. */
const ID_PREFIX = "push-";
/** session.data: keys of the registrations this session enabled; the rooms it is in, with its nickname. */
const KEYS = "push";
const ROOMS = "push:rooms";
/** Above stream management's `session:interrupted` handler, which keeps the session. */
const INTERRUPTED_PRIORITY = 10;
/** Above offline storage, which takes the message. */
const OFFLINE_PRIORITY = 100;
const PRUNE_INTERVAL_MS = 5 * 60_000;

const keysOf = (s: ClientSession): Set<string> | undefined => s.data.get(KEYS) as Set<string> | undefined;

/**
 * XEP-0357 Push Notifications: each device's app enables notifications for the account (§4) at its app server's
 * push service (JID and node, with publish options); the registrations are stored and survive restarts. When a
 * message arrives that the user cannot receive now, the server publishes a notification (§5) to the app server,
 * from the user's domain, through the router (to a component, or to a remote app server over s2s):
 * - the account has no session that takes the message (`message:offline`): every registration of the account;
 * - the message went to a session whose connection is lost but which stream management keeps for resumption
 *   (XEP-0198 hibernation): the registrations that session enabled. This covers group chat: the room sends to
 *   the occupant's full JID, the session is still an occupant (notice.ts for which room messages count).
 * The summary (§11.3) has message-count and last-message-sender; last-message-body only when configured (§8).
 * Rate limits and the handling of the app server's errors are in pusher.ts and outcome.ts.
 */
export default defineModule({
  id: "push",
  xeps: [{
    xep: 357, version: "0.4.1", status: "complete",
    note: "notifies for offline accounts and for sessions waiting for XEP-0198 resumption (group chat included); no §7 remote disabling by affiliation change (errors disable instead)",
  }],
  config: z.strictObject({
    /** Put the message text in notifications (it then passes through the app's push service). */
    includeBody: z.boolean().default(false),
    /** Put the sender's address in notifications. */
    includeSender: z.boolean().default(true),
    /** Group chat messages that wake a device: all with a body, only those mentioning the user, or none. */
    groupchat: z.enum(["all", "mentions", "none"]).default("all"),
    /** Registrations per account; enabling one more replaces the oldest. */
    maxPerAccount: z.number().int().min(1).default(10),
    /** Seconds between two notifications to one device; events in between are folded into the next one. */
    minInterval: z.number().min(0).default(5),
    /** Seconds to wait for the app server's answer before sending again. */
    timeout: z.number().int().min(1).default(60),
    /** Transient errors (or timeouts) in a row after which a registration is disabled. */
    maxErrors: z.number().int().min(1).default(5),
  }),
  disco: { accountFeatures: [NS_PUSH] },
  storage: { registrations: "map" },
  setup(api) {
    const c = api.config;
    const store = api.map("registrations");

    async function registrationsOf(owner: string): Promise<Registration[]> {
      const out: Registration[] = [];
      for (const v of (await store.all(owner)).values()) {
        const r = fromJson(v);
        if (r) out.push(r);
      }
      return out;
    }

    /** Remove registrations from the store, the pusher and the sessions that enabled them. */
    async function remove(owner: string, regs: readonly Registration[]): Promise<void> {
      for (const r of regs) {
        const key = keyOf(r);
        await store.delete(owner, key);
        pusher.forget(owner, r);
        for (const s of api.sessions.resources(owner)) keysOf(s)?.delete(key);
      }
    }

    const pusher = new Pusher({
      publish(owner, reg, summary, id) {
        const pubsub = publishRequest(reg.node, { payload: notification(summary.count, summary.notice, c) }, reg.options);
        if (!reg.node) delete pubsub.getChild("publish")!.attrs.node;
        const domain = owner.slice(owner.indexOf("@") + 1);
        api.send(xml("iq", { type: "set", from: domain, to: reg.jid, id }, pubsub));
      },
      disable(owner, reg, reason) {
        api.log.info("push registration disabled", { jid: owner, service: reg.jid, node: reg.node, reason });
        remove(owner, [reg]).catch((err) => api.log.error("cannot remove a push registration", { jid: owner, err }));
      },
      now: Date.now,
      schedule(fn, ms) {
        const t = setTimeout(fn, ms);
        t.unref();
        return () => clearTimeout(t);
      },
      newId: () => `${ID_PREFIX}${randomBytes(12).toString("base64url")}`,
      minIntervalMs: c.minInterval * 1000,
      timeoutMs: c.timeout * 1000,
      maxErrors: c.maxErrors,
    });
    const prune = setInterval(() => pusher.prune(), PRUNE_INTERVAL_MS);
    prune.unref();
    api.onUnload(() => { clearInterval(prune); pusher.close(); });

    // §4: enabling, by the account itself, at its bare JID.
    api.iq("set", NS_PUSH, "enable", async ({ payload, from, to, origin }) => {
      if (from.bare !== to.bare) return new StanzaError("forbidden", "only the account itself enables its notifications");
      const parsed = parseEnable(payload, Date.now());
      if (!parsed.ok) return parsed.error;
      const owner = to.bare;
      const reg = parsed.reg;
      const key = keyOf(reg);
      const existing = await registrationsOf(owner);
      if (!existing.some((r) => keyOf(r) === key) && existing.length >= c.maxPerAccount) {
        const oldest = [...existing].sort((a, b) => a.enabled - b.enabled).slice(0, existing.length - c.maxPerAccount + 1);
        await remove(owner, oldest);
      }
      // §4: "If the combination of JID and node has already been enabled, then the server SHOULD use the last
      // received request for any publish options."
      await store.set(owner, key, toJson(reg));
      if (origin?.kind === "c2s") {
        const keys = keysOf(origin) ?? new Set<string>();
        keys.add(key);
        origin.data.set(KEYS, keys);
      }
      api.log.debug("push enabled", { jid: owner, service: reg.jid, node: reg.node });
      return null;
    }, { to: "bare" });

    // §6: disabling one node, or every node of a service.
    api.iq("set", NS_PUSH, "disable", async ({ payload, from, to }) => {
      if (from.bare !== to.bare) return new StanzaError("forbidden", "only the account itself disables its notifications");
      const parsed = parseDisable(payload);
      if (!parsed.ok) return parsed.error;
      const owner = to.bare;
      await remove(owner, (await registrationsOf(owner)).filter((r) => disables(parsed, r)));
      return null;
    }, { to: "bare" });

    // §5.1: the app server's answers to our publishes.
    api.hook("iq:host", ({ stanza, from }) => {
      const id = stanza.attrs.id;
      const type = stanza.attrs.type;
      if (typeof id !== "string" || !id.startsWith(ID_PREFIX) || (type !== "result" && type !== "error")) return false;
      const outcome = classifyReply(stanza);
      if (pusher.answer(id, from.full, outcome) && outcome !== "ok") {
        api.log.info("push notification failed", { service: from.full, outcome, ...errorOf(stanza) });
      }
      return true;
    });

    const notify = (owner: string, notice: ReturnType<typeof pushNotice>, only?: Set<string>) => {
      if (!notice) return;
      registrationsOf(owner)
        .then((regs) => pusher.notify(owner, only ? regs.filter((r) => only.has(keyOf(r))) : regs, notice))
        .catch((err) => api.log.error("cannot read push registrations", { jid: owner, err }));
    };

    /**
     * Messages stream management puts into offline storage when a session it kept ends unresumed (stamped with a
     * delay by this server): that session's device was notified while they queued up.
     */
    const rehomed = (event: StanzaEvent) =>
      event.origin === null && event.stanza.getChildren("delay", NS_DELAY).some((d) => api.server.isLocalHost(d.attrs.from ?? ""));

    api.hook("message:offline", (event) => {
      if (rehomed(event)) return false;
      const owner = event.to.bare;
      notify(owner, pushNotice(event.stanza, { groupchat: c.groupchat, user: owner, nickIn: () => undefined }));
      return false;
    }, OFFLINE_PRIORITY);

    // Sessions whose connection was lost: marked before stream management decides to keep them; a kept one is
    // detached until its client is heard from again on a resumed stream (or it ends).
    const interrupted = new WeakSet<ClientSession>();
    const detached = (s: ClientSession): boolean => {
      // The core's session is its own SessionControl (session/control.ts), which knows exactly.
      const attached = (s as { attached?: unknown }).attached;
      return typeof attached === "boolean" ? !attached : interrupted.has(s);
    };
    api.hook("session:interrupted", ({ session }) => { interrupted.add(session); return false; }, INTERRUPTED_PRIORITY);
    api.hook("session:closed", ({ session }) => { interrupted.delete(session); });
    api.hook("session:bound", ({ session }) => { pusher.resetCount(session.bare.full); });
    api.hook("stanza:in", ({ session }) => {
      interrupted.delete(session);
      pusher.resetCount(session.bare.full);
    });

    api.hook("stanza:out", ({ session, stanza }) => {
      if (session.kind !== "c2s") return false;
      const keys = keysOf(session);
      if (!keys || keys.size === 0) return false;
      if (stanza.name === "presence") {
        // The nickname in each room, from the room's self-presence (for mentions and to skip our own echoes).
        const self = selfPresence(stanza);
        if (self) {
          const rooms = (session.data.get(ROOMS) as Map<string, string> | undefined) ?? new Map<string, string>();
          if (self.nick === null) rooms.delete(self.room);
          else rooms.set(self.room, self.nick);
          session.data.set(ROOMS, rooms);
        }
        return false;
      }
      if (stanza.name !== "message" || !detached(session)) return false;
      const owner = session.bare.full;
      const rooms = session.data.get(ROOMS) as Map<string, string> | undefined;
      notify(owner, pushNotice(stanza, { groupchat: c.groupchat, user: owner, nickIn: (room) => rooms?.get(room) }), keys);
      return false;
    });

    api.hook("account:deleted", ({ jid }) => {
      registrationsOf(jid.bare)
        .then(async (regs) => { for (const r of regs) pusher.forget(jid.bare, r); await store.clear(jid.bare); })
        .catch((err) => api.log.error("cannot remove push registrations", { jid: jid.bare, err }));
    });
  },
});
