/**
 * XEP-0352 Client State Indication: a client tells the server it is inactive (<inactive/>) or active again
 * (<active/>); while it is inactive, what can wait is held back (classify.ts) and sent when something urgent comes,
 * when the client is active again, or when too much is held.
 *
 * - §4: the <csi/> feature is offered after authentication; the nonzas get no reply, and a stream starts active.
 * - §5.1 (RFC 6120 §10.1 ordering): <active/> flushes synchronously, before the next element from the client is
 *   processed, so whatever the client asks next is answered after what was held.
 * - Held stanzas are not written: they go through the `stanza:hold` hook, and are written with
 *   `SessionControl.write` when released, so stream management counts and queues exactly what reaches the client.
 * - §5.2: a resumed stream (XEP-0198) starts active again. When a session's connection is lost, it becomes active
 *   and what was held is released into the session before stream management keeps it for resumption
 *   (`session:interrupted`, above its priority): the held stanzas join the queue that resumption retransmits.
 * - §6: the state is never revealed to other entities.
 */
import type { Element } from "ltx";
import { xml } from "@xmpp/xml";
import { z } from "zod";
import { defineModule } from "../../src/modules.js";
import type { SessionControl } from "../../src/session/control.js";
import { HeldStanzas } from "./buffer.js";
import { classifyForCsi } from "./classify.js";

export { classifyForCsi, type CsiClass } from "./classify.js";

export const NS_CSI = "urn:xmpp:csi:0";
/** session.data key. */
const STATE = "csi";
/** Above stream management's `session:interrupted` handler (0), which keeps the session. */
const INTERRUPTED_PRIORITY = 100;

interface Held { stanza: Element; serialized: string }

interface CsiState {
  readonly control: SessionControl;
  inactive: boolean;
  readonly held: HeldStanzas<Held>;
}

export default defineModule({
  id: "csi",
  xeps: [{ xep: 352, version: "1.0.0", status: "complete", note: "holds presence, chat states, PEP and unmentioned group chat while inactive" }],
  config: z.strictObject({
    /** Most stanzas held for an inactive client; one more releases them all. */
    maxHeld: z.number().int().min(1).default(100),
    /** Group chat messages with a body go out at once even without a mention. */
    urgentGroupchat: z.boolean().default(false),
  }),
  setup(api) {
    const { maxHeld, urgentGroupchat } = api.config;

    const release = (state: CsiState) => {
      for (const { stanza, serialized } of state.held.drain()) state.control.write(stanza, serialized);
    };

    api.streamFeature({ stage: "post-auth", offer: () => xml("csi", { xmlns: NS_CSI }) });

    api.nonza(NS_CSI, "inactive", (ctx) => {
      const control = ctx.control;
      if (!control) return; // §4: the state of a session; before binding there is none to change
      const state = control.session.data.get(STATE) as CsiState | undefined;
      if (state) state.inactive = true;
      else control.session.data.set(STATE, { control, inactive: true, held: new HeldStanzas<Held>() } satisfies CsiState);
    });

    api.nonza(NS_CSI, "active", (ctx) => {
      const state = ctx.session?.data.get(STATE) as CsiState | undefined;
      if (!state) return;
      state.inactive = false;
      release(state);
    });

    api.hook("stanza:hold", ({ session, stanza, serialized }) => {
      const state = session.data.get(STATE) as CsiState | undefined;
      if (!state?.inactive || !state.control.attached) return false;
      const decision = classifyForCsi(stanza, [session.bare.local ?? ""]);
      const urgent = decision.kind === "urgent" ||
        (urgentGroupchat && stanza.attrs.type === "groupchat" && stanza.getChild("body") !== undefined);
      if (urgent) {
        // Everything held first, then this one (written by the core as soon as this returns).
        release(state);
        return false;
      }
      state.held.add({ stanza, serialized: serialized ?? stanza.toString() }, decision.kind === "collapse" ? decision.key : undefined);
      if (state.held.size > maxHeld) release(state);
      return true;
    });

    api.hook("session:interrupted", ({ session }) => {
      const state = session.data.get(STATE) as CsiState | undefined;
      if (state) {
        state.inactive = false;
        release(state);
      }
      return false;
    }, INTERRUPTED_PRIORITY);

    // What is still held is state and room traffic the ended session can no longer use.
    api.hook("session:closed", ({ session }) => { session.data.delete(STATE); });
  },
});
