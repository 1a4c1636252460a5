/**
 * XEP-0198 Stream Management: acknowledgements both ways, and resumption of a session whose connection was lost.
 *
 * - Feature (§2): <sm/> is offered with resource binding. <enable/> is accepted once a resource is bound (§3), once
 *   per session; with resume='true' the session gets an SM-ID and may be resumed for `max` seconds.
 * - Counting (§4): 'h' counts the stanzas the client sent that the core has handled (routed or answered), from the
 *   `stanza:in` hook; the server's own count and queue take every stanza written to the session from `stanza:out`,
 *   which fires when a stanza is actually written: what client state indication holds back is not counted until it
 *   goes out. Both counters wrap at 2^32 (counter.ts).
 * - Requests (managed.ts): batched, one outstanding <r/> at a time. An <a/> acknowledging more than was sent is a
 *   stream error with <handled-count-too-high/> (§6).
 * - Hibernation (§5, §8 "Stream Closure"): when the connection ends without the client closing its stream (lost, or
 *   silent past the idle timeout), a resumable session is kept detached: still registered and available, so
 *   messages keep coming to it and queue up. Presence is left as it was (§5: "the client SHOULD NOT resend presence
 *   stanzas ... since this state will have been retained by the server").
 * - Resumption (§5): on a new stream (any transport: TCP, Direct TLS, WebSocket, BOSH), authenticated as the same
 *   account and before binding, <resume previd h/> takes the session over; a previous stream still open is closed
 *   with <conflict/>. The server answers <resumed h/> and retransmits every stanza the client had not acknowledged,
 *   in order and each once, with a delay stamp on messages and presence; counters carry on.
 * - Failures: <failed/> with <item-not-found/> for an unknown or expired SM-ID (with 'h' when it expired here, §5),
 *   <unexpected-request/> out of order (§3, §6), <bad-request/> for a malformed request.
 * - When a session ends without being resumed (expiry, clean close, stream error), what the client never
 *   acknowledged is handled as for an unavailable resource (§4, unacked.ts): messages go to offline storage with
 *   the original delivery time, requests are answered with errors, state is dropped.
 */
import type { Element } from "ltx";
import { xml } from "@xmpp/xml";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { StanzaEvent } from "../../src/hooks.js";
import { parseJid } from "../../src/jid.js";
import { defineModule, type StreamContext } from "../../src/modules.js";
import type { ClientSession } from "../../src/session/types.js";
import { addDelay } from "../../src/xml/delay.js";
import { parseXml } from "../../src/xml/element.js";
import { errorReply, NS_STANZAS, StanzaError, type StanzaCondition } from "../../src/xml/stanza-error.js";
import { parseH } from "./counter.js";
import { ManagedSession, NS_SM, type SentStanza } from "./managed.js";
import { isOwnArchiveQuery, unackedDisposition } from "./unacked.js";

export { NS_SM } from "./managed.js";

/** session.data keys. */
const STATE = "sm";
const QUERIED_ARCHIVE = "sm:queried-archive";
/** Handlers of `session:interrupted` that must see the session before it is kept (client state indication) sit above. */
const INTERRUPTED_PRIORITY = 0;
/** Most expired SM-IDs remembered for <failed h=''/>. */
const MAX_REMEMBERED = 10_000;

interface Expired { owner: string; h: number; until: number }

const configSchema = z.strictObject({
  /** Seconds a session whose connection was lost waits to be resumed (the 'max' announced); 0: no resumption. */
  resumeTimeout: z.number().int().min(0).default(300),
  /**
   * Most stanzas kept unacknowledged per session. Beyond it a connected client's stream is closed with
   * <resource-constraint/> and a detached session ends; either way what it held goes to offline storage.
   */
  maxUnacked: z.number().int().min(1).default(1000),
  /** Ask for an acknowledgement once this many stanzas are unacknowledged... */
  requestAfter: z.number().int().min(1).default(5),
  /** ...or this many seconds after a stanza went out unacknowledged. */
  requestDelay: z.number().min(0).default(1),
  /** Seconds an expired SM-ID is remembered, so a late resumption learns the 'h' the server had reached. */
  rememberExpired: z.number().int().min(0).default(3600),
  /**
   * Also store offline the unacknowledged messages the account's archive holds when the client queried the archive
   * in that session (such a client catches up from the archive; storing them too delivers them twice).
   */
  storeArchivedOffline: z.boolean().default(false),
});

const truthy = (v: string | undefined) => v === "true" || v === "1";

function failed(condition: StanzaCondition, h?: number): Element {
  const attrs: Record<string, string> = { xmlns: NS_SM };
  if (h !== undefined) attrs.h = String(h);
  return xml("failed", attrs, xml(condition, { xmlns: NS_STANZAS }));
}

export default defineModule({
  id: "sm",
  xeps: [{ xep: 198, version: "1.6.3", status: "complete", note: "acks both ways, resumption across transports; no SASL2/BIND2 inlining" }],
  config: configSchema,
  setup(api) {
    const config = api.config;
    const policy = { requestAfter: config.requestAfter, requestDelayMs: config.requestDelay * 1000 };
    /** Resumable sessions by SM-ID, detached or not. */
    const resumable = new Map<string, ManagedSession>();
    /** SM-IDs of sessions that ended, for <failed h=''/> (§5); oldest first. */
    const expired = new Map<string, Expired>();

    const stateOf = (session: ClientSession | null | undefined): ManagedSession | undefined =>
      session?.data.get(STATE) as ManagedSession | undefined;

    api.streamFeature({ stage: "post-auth", offer: () => xml("sm", { xmlns: NS_SM }) });

    // §3: enabling, once a resource is bound and at most once.
    api.nonza(NS_SM, "enable", (ctx, el) => {
      const control = ctx.control;
      if (!control) return ctx.send(failed("unexpected-request"));
      if (stateOf(control.session)) {
        ctx.send(failed("unexpected-request"));
        return ctx.close("policy-violation", "stream management is already enabled on this session");
      }
      const wantsResume = truthy(el.attrs.resume) && config.resumeTimeout > 0;
      const asked = Number(el.attrs.max);
      const max = Number.isInteger(asked) && asked > 0 ? Math.min(asked, config.resumeTimeout) : config.resumeTimeout;
      const id = wantsResume ? randomBytes(18).toString("base64url") : null;
      const state = new ManagedSession(control, id, max, policy);
      control.session.data.set(STATE, state);
      if (id) resumable.set(id, state);
      // Both counters start now (§4 note): nothing written before <enabled/> is counted.
      ctx.send(xml("enabled", id ? { xmlns: NS_SM, id, resume: "true", max: String(max) } : { xmlns: NS_SM }));
      control.session.log.debug("stream management enabled", { resumable: id !== null, max });
    });

    // §4: answer a request with the count of handled stanzas, counted now and sent once what they caused is stored
    // (archive and offline writes are batched: DESIGN "Storage" acknowledges only what is durable). Usually at once.
    api.nonza(NS_SM, "r", (ctx) => {
      const state = stateOf(ctx.session);
      if (!state) return ctx.close("unsupported-stanza-type", "stream management is not enabled");
      const a = xml("a", { xmlns: NS_SM, h: String(state.inbound) });
      api.durability.after(() => ctx.send(a));
    });

    api.nonza(NS_SM, "a", (ctx, el) => {
      const state = stateOf(ctx.session);
      if (!state) return ctx.close("unsupported-stanza-type", "stream management is not enabled");
      const h = parseH(el.attrs.h);
      if (h === null) return ctx.close("bad-format", "'h' must be an unsignedInt");
      const result = state.queue.ack(h);
      if (!result.ok) return tooHigh(ctx, h, result.sent);
      state.acknowledged();
    });

    /** §6: the client acknowledged stanzas it was never sent. */
    function tooHigh(ctx: StreamContext, h: number, sent: number): void {
      ctx.close("undefined-condition", `You acknowledged ${h} stanzas, but I only sent you ${sent} so far.`,
        xml("handled-count-too-high", { xmlns: NS_SM, h: String(h), "send-count": String(sent) }));
    }

    // §5: resumption, on a new stream authenticated as the same account, before binding.
    api.nonza(NS_SM, "resume", (ctx, el) => {
      if (ctx.session) return ctx.send(failed("unexpected-request"));
      const account = ctx.account;
      if (!account) return ctx.send(failed("not-authorized"));
      const previd = el.attrs.previd;
      const h = parseH(el.attrs.h);
      if (!previd || h === null) return ctx.send(failed("bad-request"));
      const state = resumable.get(previd);
      if (!state || state.session.bare.full !== account.full || state.control.ended) {
        // An SM-ID of another account is as unknown as one never issued.
        const gone = expired.get(previd);
        const known = gone && gone.owner === account.full && gone.until > Date.now();
        return ctx.send(failed("item-not-found", known ? gone.h : undefined));
      }
      const result = state.queue.ack(h);
      if (!result.ok) {
        // The client's view of the session is broken beyond repair: end it (its queue goes to offline storage).
        tooHigh(ctx, h, result.sent);
        state.session.close(undefined, "resumption with an impossible 'h'");
        return;
      }
      if (!ctx.adopt(state.control)) return ctx.send(failed("item-not-found"));
      state.resumed();
      ctx.send(xml("resumed", { xmlns: NS_SM, h: String(state.inbound), previd }));
      // "MUST re-send to the peer any stanzas that are still marked as unhandled", in order, without counting them again.
      const pending = state.queue.pending();
      for (const item of pending) state.control.writeRaw(retransmission(item, state.session.host));
      if (pending.length > 0) state.request();
      state.session.log.info("session resumed", { jid: state.session.jid.full, retransmitted: pending.length });
    });

    api.hook("stanza:in", ({ session, stanza }) => {
      stateOf(session)?.received();
      if (stanza.name === "iq" && isOwnArchiveQuery(stanza, session.bare.full)) session.data.set(QUERIED_ARCHIVE, true);
    });

    api.hook("stanza:out", ({ session, serialized }) => {
      if (session.kind !== "c2s") return;
      const state = stateOf(session);
      if (!state) return;
      if (state.sent(serialized) <= config.maxUnacked) return;
      session.log.info("too many unacknowledged stanzas", { jid: session.jid.full, limit: config.maxUnacked });
      if (state.control.attached) session.close("resource-constraint", "too many unacknowledged stanzas");
      else session.close(undefined, "too many stanzas waiting for resumption");
    });

    // Keep a resumable session whose connection is gone (§5, §8).
    api.hook("session:interrupted", ({ session, reason }) => {
      const state = stateOf(session);
      if (!state?.id) return false;
      state.hibernate(() => session.close(undefined, "not resumed in time"));
      session.log.info("session waiting for resumption", { jid: session.jid.full, reason, max: state.max, unacked: state.queue.length });
      return true;
    }, INTERRUPTED_PRIORITY);

    api.hook("session:closed", ({ session }) => {
      const state = stateOf(session);
      if (!state) return;
      state.dispose();
      session.data.delete(STATE);
      if (state.id) {
        resumable.delete(state.id);
        remember(state.id, { owner: session.bare.full, h: state.inbound, until: Date.now() + config.rememberExpired * 1000 });
      }
      const unacked = state.queue.drain();
      if (unacked.length > 0) rehome(session, unacked);
    });

    function remember(id: string, entry: Expired): void {
      if (config.rememberExpired === 0) return;
      expired.set(id, entry);
      const now = Date.now();
      for (const [key, e] of expired) {
        if (expired.size <= MAX_REMEMBERED && e.until > now) break;
        expired.delete(key);
      }
    }

    /** §4: unacknowledged stanzas of a session that will not be resumed, as if sent to an unavailable resource. */
    function rehome(session: ClientSession, unacked: SentStanza[]): void {
      const owner = session.bare.full;
      const syncs = session.data.get(QUERIED_ARCHIVE) === true && !config.storeArchivedOffline;
      let stored = 0;
      for (const item of unacked) {
        const stanza = parseXml(item.serialized);
        if (!stanza) {
          session.log.error("unacknowledged stanza cannot be read back", { jid: session.jid.full });
          continue;
        }
        const from = parseJid(stanza.attrs.from ?? "");
        if (!from.ok) continue;
        const event: StanzaEvent = { origin: null, stanza, from: from.jid, to: session.bare };
        switch (unackedDisposition(stanza, owner, syncs)) {
          case "offline":
            // XEP-0198 §4: "servers SHOULD add a delay element with the original (failed) delivery timestamp".
            addDelay(stanza, item.at, session.host, "Offline Storage");
            stored++;
            if (!api.fire("message:offline", event)) bounce(event);
            break;
          case "bounce":
            bounce(event);
            break;
          case "archived":
          case "drop":
            break;
        }
      }
      session.log.info("unacknowledged stanzas handled", { jid: session.jid.full, count: unacked.length, toOffline: stored });
    }

    function bounce(event: StanzaEvent): void {
      const reply = errorReply(event.stanza, new StanzaError("service-unavailable"));
      if (reply) api.send(reply);
    }

    // Sessions still waiting for resumption end with the server, so their queues reach offline storage.
    api.onUnload(() => {
      for (const state of [...resumable.values()]) {
        if (!state.control.attached) state.session.close(undefined, "server shutting down");
        state.dispose();
      }
    });
  },
});

/** A stanza sent again after resumption, with the time it was first sent on messages and presence (XEP-0203). */
function retransmission(item: SentStanza, host: string): string {
  if (!item.serialized.startsWith("<message") && !item.serialized.startsWith("<presence")) return item.serialized;
  const el = parseXml(item.serialized);
  return el ? addDelay(el, item.at, host).toString() : item.serialized;
}
