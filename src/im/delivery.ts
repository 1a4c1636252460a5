/**
 * Where a message for a local account goes (RFC 6121 §8.5), as pure decisions, and the core's default delivery
 * handlers that apply them (registered at the lowest priority, so modules such as carbons, blocking or offline
 * storage act first). Presence is the IM core's (presence.ts), which also keeps `session.presence` and
 * `session.priority` that these rules read.
 */
import type { Element } from "ltx";
import type { HookBus, StanzaEvent } from "../hooks.js";
import type { ClientSession } from "../session/types.js";
import type { SessionRegistry } from "../session/registry.js";
import type { Router } from "../router.js";
import type { AccountStore } from "../storage/types.js";
import { StanzaError } from "../xml/stanza-error.js";
import { isAvailable } from "./presence-rules.js";

export { isAvailable, presencePriority } from "./presence-rules.js";

export type MessageType = "normal" | "chat" | "groupchat" | "headline" | "error";

export function messageType(stanza: Element): MessageType {
  const t = stanza.attrs.type;
  return t === "chat" || t === "groupchat" || t === "headline" || t === "error" ? t : "normal";
}

export type BareDecision =
  | { action: "deliver"; to: readonly ClientSession[] }
  | { action: "offline" }
  | { action: "bounce" }
  | { action: "drop" };

/** RFC 6121 §8.5.2.1 (account with available resources) and §8.5.2.2 (none): a message to a bare JID. */
export function decideBareMessage(type: MessageType, resources: readonly ClientSession[]): BareDecision {
  if (type === "error") return { action: "drop" };
  if (type === "groupchat") return { action: "bounce" };
  const eligible = resources.filter((s) => isAvailable(s) && s.priority >= 0);
  if (eligible.length === 0) return type === "headline" ? { action: "drop" } : { action: "offline" };
  if (type === "headline") return { action: "deliver", to: eligible };
  // normal and chat: the highest-priority resource(s) (§8.5.2.1.1).
  const top = Math.max(...eligible.map((s) => s.priority));
  return { action: "deliver", to: eligible.filter((s) => s.priority === top) };
}

export type FullDecision = { action: "deliver"; to: ClientSession } | { action: "as-bare" } | { action: "bounce" } | { action: "drop" };

/**
 * RFC 6121 §8.5.3: a message to a full JID goes to that resource if it is connected (§8.5.3.1); when it is
 * not (§8.5.3.2.1), only a chat message is handled as if sent to the bare JID; normal and groupchat messages
 * are answered with an error (option E of Table 1, which §8.1 prefers when the sender may learn of it),
 * headlines and errors ignored.
 */
export function decideFullMessage(type: MessageType, session: ClientSession | undefined): FullDecision {
  if (session) return { action: "deliver", to: session };
  if (type === "chat") return { action: "as-bare" };
  if (type === "normal" || type === "groupchat") return { action: "bounce" };
  return { action: "drop" };
}

export interface DeliveryDeps {
  hooks: HookBus;
  sessions: SessionRegistry;
  router: Router;
  accounts: AccountStore;
}

const LOWEST = -1000;

/** Install the core's default delivery handlers. Returns a function that removes them. */
export function installDelivery({ hooks, sessions, router, accounts }: DeliveryDeps): () => void {
  const deliverBare = (event: StanzaEvent): boolean => {
    const type = messageType(event.stanza);
    const resources = sessions.resources(event.to.bare);
    const decision = decideBareMessage(type, resources);
    switch (decision.action) {
      case "deliver":
        for (const s of decision.to) s.send(event.stanza);
        return true;
      case "bounce":
        router.bounce(event, new StanzaError("service-unavailable"));
        return true;
      case "drop":
        return true;
      case "offline":
        if (resources.length > 0) return offline(event);
        // Nobody is online: find out whether the account exists at all (RFC 6121 §8.5.2.2.1).
        accounts.get(event.to.domain, event.to.local).then(
          (exists) => { if (exists) offline(event); else router.bounce(event, new StanzaError("service-unavailable")); },
          () => router.bounce(event, new StanzaError("internal-server-error")),
        );
        return true;
    }
  };

  const offline = (event: StanzaEvent): boolean => {
    if (!hooks.fire("message:offline", event)) router.bounce(event, new StanzaError("service-unavailable"));
    return true;
  };

  const removers = [
    hooks.on("message:bare", deliverBare, LOWEST),
    hooks.on("message:full", (event) => {
      const decision = decideFullMessage(messageType(event.stanza), sessions.get(event.to.full));
      if (decision.action === "deliver") decision.to.send(event.stanza);
      else if (decision.action === "as-bare") return deliverBare(event);
      else if (decision.action === "bounce") router.bounce(event, new StanzaError("service-unavailable"));
      return true;
    }, LOWEST),
    hooks.on("iq:full", (event) => {
      const session = sessions.get(event.to.full);
      if (session) session.send(event.stanza);
      else if (event.stanza.attrs.type === "get" || event.stanza.attrs.type === "set") router.bounce(event, new StanzaError("service-unavailable"));
      return true;
    }, LOWEST),
  ];
  return () => removers.forEach((r) => r());
}
