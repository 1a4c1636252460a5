/**
 * Who gets a PEP notification, and sending it (XEP-0163 §4): the account's own resources and the resources of
 * entities allowed by the node's access model, each only if it asked for the node with "+notify" in its caps
 * (§4.2, XEP-0060 §9.2); explicit subscribers (XEP-0060 §6.1) too. Notifications come from the account's bare
 * JID (§4.3.1 rule 1), carry the publishing resource as a replyto address for presence subscribers only (rule
 * 3), and are addressed to full JIDs when the service knows the subscriber's presence (rule 4). The last
 * published item goes to a resource when it becomes available or newly interested (§4.3.3-§4.3.4), stamped
 * with its publication time.
 */
import { randomBytes } from "node:crypto";
import type { Element } from "ltx";
import { KeyedQueue } from "../../src/keyed-queue.js";
import type { Jid } from "../../src/jid.js";
import type { Logger } from "../../src/log.js";
import type { RosterApi, RosterItemView } from "../../src/modules.js";
import { accessDecision } from "../0060-pubsub/access.js";
import { eventElement, notificationMessage } from "../0060-pubsub/protocol.js";
import { bareOf, type PubsubEvent, type PubsubService } from "../0060-pubsub/service.js";
import type { NodeRecord, SubscriptionRecord } from "../0060-pubsub/store.js";
import type { InterestTable } from "./interest.js";

export interface NotifierDeps {
  svc: PubsubService;
  table: InterestTable;
  roster: RosterApi;
  send(stanza: Element): void;
  log: Logger;
}

/** Who a notification goes to, and whether it may name the publishing resource (§4.3.1 rule 3). */
type Recipients = Map<string, { replyTo: boolean }>;

export class PepNotifier {
  /** Notifications of one account leave in the order its changes were made. */
  private readonly queue = new KeyedQueue();
  private readonly prefix = `pep-${randomBytes(4).toString("hex")}`;
  private seq = 0;

  constructor(private readonly d: NotifierDeps) {}

  /** Notification ids (XEP-0060 §12.4: unique, so that bounces can be traced back). */
  private nextId(): string {
    return `${this.prefix}-${(++this.seq).toString(36)}`;
  }

  /** Whether a stanza id is one of this notifier's notifications (a bounce of one, say). */
  isNotificationId(id: string | undefined): boolean {
    return id !== undefined && id.startsWith(`${this.prefix}-`);
  }

  /** The facts an access decision needs about `bare`, read from the owner's roster. */
  private judge(owner: string, rec: NodeRecord, bare: string, item: RosterItemView | undefined): { ok: boolean; subscribed: boolean } {
    if (bare === owner) return { ok: true, subscribed: true };
    const subscribed = item?.subscription === "from" || item?.subscription === "both";
    const decision = accessDecision(rec.config, { affiliation: this.d.svc.affiliation(owner, rec, bare), presenceSubscribed: subscribed, groups: item?.groups ?? [] });
    return { ok: decision.ok, subscribed };
  }

  /** XEP-0163 §4.3.2: one notification per interested available resource, or the subscribed JID itself. */
  async recipients(owner: string, rec: NodeRecord): Promise<Recipients> {
    const out: Recipients = new Map();
    const listening = this.d.table.interested(owner, rec.node);
    if (listening.length === 0 && rec.subscriptions.length === 0) return out;
    const roster = new Map((await this.d.roster.items(owner)).map((i) => [i.jid, i]));
    const verdicts = new Map<string, { ok: boolean; subscribed: boolean }>();
    const verdict = (bare: string) => {
      let v = verdicts.get(bare);
      if (!v) verdicts.set(bare, (v = this.judge(owner, rec, bare, roster.get(bare))));
      return v;
    };
    // Implicit subscriptions (XEP-0060 §9.1): whoever may see the node and listens to it; entities without a
    // presence subscription are here only for nodes they may access anyway (§9.1.3, open nodes).
    for (const full of listening) {
      const v = verdict(bareOf(full));
      if (v.ok) out.set(full, { replyTo: v.subscribed });
    }
    for (const sub of rec.subscriptions) {
      const bare = bareOf(sub.jid);
      const v = verdict(bare);
      if (!v.ok) continue;
      if (sub.jid !== bare) { out.set(sub.jid, { replyTo: v.subscribed }); continue; }
      const resources = this.d.table.interestedOf(owner, bare, rec.node);
      if (resources.length === 0) out.set(bare, { replyTo: v.subscribed });
      for (const full of resources) out.set(full, { replyTo: v.subscribed });
    }
    return out;
  }

  /** Send the notifications for what happened at `owner`'s service. */
  deliver(owner: string, events: readonly PubsubEvent[], actor: Jid): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.queue.run(owner, async () => {
      for (const event of events) {
        const { config } = event.rec;
        if (!config.deliver_notifications) continue;
        const payload = eventElement(event);
        for (const [to, r] of await this.recipients(owner, event.rec)) {
          this.d.send(notificationMessage(payload, {
            from: owner, to, id: this.nextId(), type: config.notification_type,
            replyTo: r.replyTo && actor.isFull() ? actor.full : undefined,
          }));
        }
      }
    }).catch((err) => this.d.log.error("cannot send PEP notifications", { owner, err }));
  }

  /**
   * XEP-0163 §4.3.3-§4.3.4: the last published item of each of `nodes` to the resource `full` that just became
   * available to the service (or just asked for them), for nodes it may see that send it on presence.
   */
  sendLast(owner: string, full: string, nodes: readonly string[]): Promise<void> {
    return this.queue.run(owner, async () => {
      const bare = bareOf(full);
      let item: RosterItemView | undefined | null = null;
      for (const node of nodes) {
        const rec = await this.d.svc.node(owner, node);
        if (!rec || !rec.config.deliver_notifications || rec.config.send_last_published_item !== "on_sub_and_presence") continue;
        if (item === null) item = bare === owner ? undefined : await this.d.roster.item(owner, bare);
        if (!this.judge(owner, rec, bare, item).ok) continue;
        await this.sendLastItem(owner, rec, full);
      }
    }).catch((err) => this.d.log.error("cannot send last published items", { owner, err }));
  }

  /** XEP-0060 §6.1.7: the last item to a new explicit subscription (on_sub and on_sub_and_presence). */
  subscribed(owner: string, rec: NodeRecord, sub: SubscriptionRecord): void {
    if (rec.config.send_last_published_item === "never" || !rec.config.deliver_notifications) return;
    void this.queue.run(owner, () => this.sendLastItem(owner, rec, sub.jid))
      .catch((err) => this.d.log.error("cannot send the last published item", { owner, err }));
  }

  private async sendLastItem(owner: string, rec: NodeRecord, to: string): Promise<void> {
    const last = await this.d.svc.lastItem(owner, rec);
    if (!last) return;
    const payload = eventElement({ kind: "items", rec, items: [last] });
    this.d.send(notificationMessage(payload, {
      from: owner, to, id: this.nextId(), type: rec.config.notification_type, delayed: { when: last.when, by: owner },
    }));
  }
}
