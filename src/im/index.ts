/**
 * The IM core (RFC 6121): rosters, presence subscriptions and presence, as a built-in module definition the
 * server always loads before the configured modules. Being a module, its IQ handlers live in the same IQ table
 * as every module's, its stream features are offered the same way, and all its registrations are undone on
 * shutdown; unlike a module it is not in the catalog, so no configuration can leave it out.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import type { HookBus, StanzaEvent } from "../hooks.js";
import type { Jid } from "../jid.js";
import type { Logger } from "../log.js";
import { defineModule, type ModuleDef, type RosterApi, type ServerInfo, type SessionView } from "../modules.js";
import type { AccountStore, Storage } from "../storage/types.js";
import type { StanzaError } from "../xml/stanza-error.js";
import { NS_ROSTER, type ImContext } from "./context.js";
import { KeyedQueue } from "../keyed-queue.js";
import { inboundBare, inboundFull, outboundPresence, sessionEnded } from "./presence.js";
import { rosterGet, rosterSet, rosterToFullJid } from "./roster.js";
import { RosterStore, rosterView } from "./roster-store.js";
import { endRelationship } from "./subscriptions.js";

/** RFC 6121 §2.6.1 and §3.4 stream features (informative, offered after authentication). */
export const NS_ROSTERVER = "urn:xmpp:features:rosterver";
export const NS_PREAPPROVAL = "urn:xmpp:features:pre-approval";

/** When each account last went unavailable (§4.3.2 rule 3). */
export const LAST_UNAVAILABLE_STORE = "core/presence-last-unavailable";

/** The IM core's handlers run last, like the core's delivery rules, so modules (blocking, carbons) act first. */
const LOWEST = -1000;

export interface ImDeps {
  hooks: HookBus;
  log: Logger;
  server: ServerInfo;
  sessions: SessionView;
  accounts: AccountStore;
  storage: Storage;
  /** Route a stanza the server generates (origin null). */
  route(stanza: Element, from: Jid, to: Jid): void;
  bounce(event: StanzaEvent, error: StanzaError): void;
}

export interface Im {
  /** Load it (ModuleRegistry.load) before the configured modules. */
  readonly module: ModuleDef;
  /** Read access to rosters for modules (ModuleApi.roster). */
  readonly roster: RosterApi;
}

export function createIm(deps: ImDeps): Im {
  const store = new RosterStore(deps.storage);
  const ctx: ImContext = {
    hooks: deps.hooks,
    log: deps.log.child({ module: "im" }),
    server: deps.server,
    sessions: deps.sessions,
    accounts: deps.accounts,
    store,
    lastUnavailable: deps.storage.keyval(LAST_UNAVAILABLE_STORE),
    queue: new KeyedQueue(),
    route: deps.route,
    bounce: deps.bounce,
  };
  const module = defineModule({
    id: "im",
    xeps: [],
    setup(api) {
      api.streamFeature({ stage: "post-auth", offer: () => xml("ver", { xmlns: NS_ROSTERVER }) });
      api.streamFeature({ stage: "post-auth", offer: () => xml("sub", { xmlns: NS_PREAPPROVAL }) });
      api.iq("get", NS_ROSTER, "query", (iq) => rosterGet(ctx, iq), { to: "bare" });
      api.iq("set", NS_ROSTER, "query", (iq) => rosterSet(ctx, iq), { to: "bare" });
      api.iq("get", NS_ROSTER, "query", rosterToFullJid, { to: "full" });
      api.iq("set", NS_ROSTER, "query", rosterToFullJid, { to: "full" });
      api.hook("stanza:pre", (event) => outboundPresence(ctx, event), LOWEST);
      api.hook("presence:bare", (event) => inboundBare(ctx, event), LOWEST);
      api.hook("presence:full", (event) => inboundFull(ctx, event), LOWEST);
      // Lowest, so modules that read the session's last presence when it ends (last activity) still see it.
      api.hook("session:closed", ({ session }) => sessionEnded(ctx, session), LOWEST);
      api.hook("account:deleted", ({ jid }) => accountDeleted(ctx, jid));
    },
  });
  return { module, roster: rosterView(store) };
}

/** `account:deleted`: contacts are told the relationship is over, then the roster and requests go. */
function accountDeleted(ctx: ImContext, jid: Jid): void {
  const owner = jid.toBare();
  ctx.queue.run(owner.bare, async () => {
    const [items, pending] = await Promise.all([ctx.store.items(owner.bare), ctx.store.pendingRequests(owner.bare)]);
    const waiting = new Set(pending.map((p) => p.contact));
    for (const item of items) {
      endRelationship(ctx, owner, item.jid, item, waiting.delete(item.jid));
    }
    for (const contact of waiting) endRelationship(ctx, owner, contact, undefined, true);
    await ctx.store.clear(owner.bare);
    await ctx.lastUnavailable.delete(owner.bare);
  }).catch((err) => ctx.log.error("cannot remove the roster of a deleted account", { owner: owner.bare, err }));
}
