/**
 * Federation: the `route:remote` handler that sends stanzas to other domains, and the owner of every
 * server-to-server stream. Outgoing stanzas take, per domain pair, the stream already carrying that pair (an
 * outgoing link, or a bidirectional stream the peer opened, XEP-0288), else wait in a new link's queue while it
 * connects and authenticates; they go out in the order they came. A link that fails bounces its queue with
 * remote-server-not-found, or remote-server-timeout once `connectTimeout` has passed (RFC 6120 §8.3.3.17/18).
 * Incoming streams are accepted here; stanzas they carry enter the router with their S2sSession as origin, so the
 * IM core, carbons, archives and MUC treat them like any other.
 */
import type { Element } from "ltx";
import type net from "node:net";
import type { Config } from "../config/schema.js";
import type { HookBus, StanzaEvent } from "../hooks.js";
import { parseJid, prepDomain, type Jid } from "../jid.js";
import type { Logger } from "../log.js";
import type { ServerInfo } from "../modules.js";
import type { Router } from "../router.js";
import { s2sMechanisms } from "../sasl/index.js";
import type { ServerSession } from "../session/types.js";
import { StanzaError } from "../xml/stanza-error.js";
import type { Channel, Mechanism, S2sContext, VerifyOutcome, VerifyRequest } from "./context.js";
import { DialbackKeys } from "./dialback-key.js";
import { S2sInbound } from "./inbound.js";
import { S2sLink, type FailCondition } from "./outbound.js";
import { S2sResolver } from "./resolve.js";
import type { S2sTls } from "./trust.js";
import { S2sTransport } from "./transport.js";

/** Low, so a module that wants to intercept stanzas to some remote domain (a gateway) can run first. */
export const S2S_ROUTE_PRIORITY = -1000;

export interface S2sDeps {
  config: Config;
  hooks: HookBus;
  router: Router;
  server: ServerInfo;
  tls: S2sTls;
  log: Logger;
}

export interface S2sStatus {
  links: Array<{ local: string; remote: string; ready: boolean; mechanism: string | null; queued: number; directTls: boolean | null }>;
  inbound: Array<{ id: string; remotes: string[]; mechanisms: Record<string, string | undefined> }>;
}

const pairKey = (local: string, remote: string) => `${local} ${remote}`;

export class S2sManager {
  private readonly ctx: S2sContext;
  private readonly resolver: S2sResolver;
  private readonly links = new Map<string, S2sLink>();
  private readonly inbound = new Set<S2sInbound>();
  private readonly perIp = new Map<string, number>();
  /** Bidirectional streams opened by peers, usable to send to them, per pair. */
  private readonly bidi = new Map<string, Channel>();
  /** The channel a pair has been using, kept while it lives so stanzas of one pair never take two paths. */
  private readonly sticky = new Map<string, Channel>();
  private readonly undo: Array<() => void> = [];
  private sweeper: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly enabled: boolean;

  constructor(private readonly deps: S2sDeps) {
    const { config, hooks, log } = deps;
    const s2s = config.s2s;
    this.enabled = s2s.enabled ?? config.listeners.some((l) => l.kind === "s2s" || l.kind === "s2s-tls");
    const routes = new Map<string, typeof s2s.routes[string]>();
    for (const [domain, route] of Object.entries(s2s.routes)) {
      const d = prepDomain(domain);
      routes.set(d.ok ? d.value : domain, route);
    }
    this.resolver = new S2sResolver(routes, { servers: s2s.dnsServers, timeoutMs: s2s.dnsTimeout * 1000 });
    this.ctx = {
      log: log.child({ component: "s2s" }),
      limits: config.limits,
      policy: { requireEncryption: s2s.requireEncryption, requireValidCertificates: s2s.requireValidCertificates, dialback: s2s.dialback, bidi: s2s.bidi },
      tls: deps.tls,
      keys: new DialbackKeys(s2s.dialbackSecret),
      router: deps.router,
      sasl: s2sMechanisms(),
      isServed: (d) => this.isServed(d),
      defaultHost: () => deps.server.hosts[0]!,
      verifyDialback: (r) => this.verifyDialback(r),
      authenticated: (ch, local, remote, mechanism, direction, bidi) => this.onAuthenticated(ch, local, remote, mechanism, direction, bidi),
      deliver: (origin, stanza, from, to) => this.deliver(origin, stanza, from, to),
      sendRemote: (stanza) => this.sendRemote(stanza),
      streamEnded: (s) => this.streamEnded(s),
    };
    if (!this.enabled) return;
    this.undo.push(hooks.on("route:remote", (event) => this.route(event), S2S_ROUTE_PRIORITY));
    const shortest = Math.min(config.limits.negotiationTimeout, s2s.idleTimeout) * 1000;
    this.sweeper = setInterval(() => this.sweep(), Math.max(250, Math.min(5000, shortest / 4)));
    this.sweeper.unref();
  }

  /** Domains this server answers for: its hosts, and those modules serve (MUC, external components). */
  isServed(domain: string): boolean {
    return this.deps.server.isLocalHost(domain) || this.deps.server.isServedDomain(domain);
  }

  /** The dialback key machinery (exposed for tests of the protocol). */
  get keys(): DialbackKeys { return this.ctx.keys; }

  // ---- inbound ----

  /** A connection on an s2s or s2s-tls listener. */
  accept(socket: net.Socket, serverTls: () => import("node:tls").TlsOptions): void {
    const transport = new S2sTransport(socket, serverTls);
    if (!this.enabled || this.stopped) { transport.destroy(); return; }
    const count = this.perIp.get(transport.ip) ?? 0;
    if (count >= this.deps.config.limits.maxConnectionsPerIp) {
      this.ctx.log.warn("too many server-to-server connections from one address", { ip: transport.ip });
      transport.destroy();
      return;
    }
    this.perIp.set(transport.ip, count + 1);
    this.inbound.add(new S2sInbound(this.ctx, transport));
  }

  private streamEnded(stream: { readonly id: string }): void {
    for (const s of this.inbound) {
      if (s.id !== stream.id) continue;
      this.inbound.delete(s);
      const n = (this.perIp.get(s.ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(s.ip);
      else this.perIp.set(s.ip, n);
      this.forget(s);
      return;
    }
  }

  private forget(channel: Channel): void {
    for (const [k, c] of this.bidi) if (c === channel) this.bidi.delete(k);
    for (const [k, c] of this.sticky) if (c === channel) this.sticky.delete(k);
  }

  private onAuthenticated(channel: Channel, local: string, remote: string, mechanism: Mechanism, direction: "in" | "out", bidi: boolean): void {
    if (direction === "in" && bidi) this.bidi.set(pairKey(local, remote), channel);
    this.deps.hooks.fire("s2s:authenticated", { local, remote, mechanism, direction, bidi });
  }

  private deliver(origin: ServerSession, stanza: Element, from: Jid, to: Jid): void {
    this.deps.router.route(origin, stanza, from, to);
  }

  // ---- outbound ----

  /** `route:remote`: a stanza for a domain this server does not serve. */
  private route(event: StanzaEvent): boolean {
    const local = event.from.domain;
    const remote = event.to.domain;
    // Never federate with ourselves, nor send as a domain we cannot authenticate as.
    if (this.isServed(remote) || !this.isServed(local)) return false;
    this.send(local, remote, event.stanza, (error) => this.deps.router.bounce(event, error));
    return true;
  }

  /** A reply to a remote server's stanza (the router sends it to the S2sSession that was the origin). */
  private sendRemote(stanza: Element): void {
    const from = parseJid(stanza.attrs.from ?? "");
    const to = parseJid(stanza.attrs.to ?? "");
    if (!from.ok || !to.ok) {
      this.ctx.log.error("reply to a remote server without valid addresses", { from: stanza.attrs.from, to: stanza.attrs.to });
      return;
    }
    if (this.isServed(to.jid.domain)) {
      // A reply for one of our own domains (e.g. an error about a stanza a local user sent): deliver it here.
      this.deps.router.route(null, stanza, from.jid, to.jid);
      return;
    }
    const event: StanzaEvent = { origin: null, stanza, from: from.jid, to: to.jid };
    this.send(from.jid.domain, to.jid.domain, stanza, (error) => this.deps.router.bounce(event, error));
  }

  private send(local: string, remote: string, stanza: Element, bounce: (error: StanzaError) => void): void {
    if (this.stopped) return bounce(new StanzaError("remote-server-not-found", "the server is shutting down"));
    const key = pairKey(local, remote);
    const sticky = this.sticky.get(key);
    if (sticky && !sticky.isClosed && sticky.canSend(local, remote)) return sticky.sendStanza(stanza);
    let link = this.links.get(key);
    // Stanzas already waiting go first: a new one joins them rather than overtaking them on another stream.
    if (!link || link.queue.length === 0) {
      const channel = link?.canSend(local, remote) ? link : this.bidi.get(key);
      if (channel && !channel.isClosed && channel.canSend(local, remote)) {
        this.sticky.set(key, channel);
        return channel.sendStanza(stanza);
      }
    }
    link ??= this.openLink(local, remote);
    if (link.queue.length >= this.deps.config.s2s.maxQueue) {
      return bounce(new StanzaError("resource-constraint", `too many stanzas waiting for ${remote}`));
    }
    link.queue.push({ stanza, bounce });
  }

  private openLink(local: string, remote: string): S2sLink {
    const link = new S2sLink(this.ctx, this.resolver, {
      ready: (l) => this.linkReady(l),
      ended: (l, failure) => this.linkEnded(l, failure),
    }, local, remote, this.deps.config.s2s.connectTimeout * 1000);
    this.links.set(pairKey(local, remote), link);
    link.start();
    return link;
  }

  private linkReady(link: S2sLink): void {
    const key = pairKey(link.local, link.remote);
    this.sticky.set(key, link);
    for (const { stanza } of link.queue.splice(0)) link.sendStanza(stanza);
  }

  private linkEnded(link: S2sLink, failure: { condition: FailCondition; reason: string } | null): void {
    const key = pairKey(link.local, link.remote);
    if (this.links.get(key) === link) this.links.delete(key);
    this.forget(link);
    const waiting = link.queue.splice(0);
    if (waiting.length === 0) return;
    // The peer may meanwhile have opened a bidirectional stream for this pair: use it rather than bounce.
    const other = this.bidi.get(key);
    if (other && !other.isClosed && other.canSend(link.local, link.remote)) {
      this.sticky.set(key, other);
      for (const { stanza } of waiting) other.sendStanza(stanza);
      return;
    }
    const condition = failure?.condition ?? "remote-server-not-found";
    const error = new StanzaError(condition, failure?.reason ?? "the connection closed");
    for (const { bounce } of waiting) bounce(error);
  }

  /** As Receiving Server, ask `remote`'s authoritative server about a key (over our own link to it). */
  private verifyDialback(request: VerifyRequest): Promise<VerifyOutcome> {
    if (this.stopped) return Promise.resolve({ type: "error", condition: "remote-connection-failed", text: "shutting down" });
    // A peer claiming one of our own domains cannot be genuine: we never connect to ourselves.
    if (this.isServed(request.remote)) return Promise.resolve({ type: "invalid" });
    const link = this.links.get(pairKey(request.local, request.remote)) ?? this.openLink(request.local, request.remote);
    return link.verify(request);
  }

  // ---- upkeep ----

  private sweep(): void {
    const now = Date.now();
    const negotiationMs = this.deps.config.limits.negotiationTimeout * 1000;
    const idleMs = this.deps.config.s2s.idleTimeout * 1000;
    for (const s of this.inbound) s.checkTimeouts(now, negotiationMs, idleMs);
    for (const l of this.links.values()) l.checkIdle(now, idleMs);
  }

  status(): S2sStatus {
    return {
      links: [...this.links.values()].map((l) => ({
        local: l.local, remote: l.remote, ready: l.isReady, mechanism: l.mechanism, queued: l.queue.length, directTls: l.connectedTo?.directTls ?? null,
      })),
      inbound: [...this.inbound].map((s) => {
        const remotes = [...s.session.remoteDomains];
        return { id: s.id, remotes, mechanisms: Object.fromEntries(remotes.map((r) => [r, s.session.mechanism(r)])) };
      }),
    };
  }

  /** Close every stream (system-shutdown, RFC 6120 §4.9.3.22) and bounce what still waits. */
  stop(): { abort(): void } {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const u of this.undo.splice(0)) u();
    const inbound = [...this.inbound];
    const links = [...this.links.values()];
    for (const s of inbound) s.close("system-shutdown", "the server is shutting down");
    for (const l of links) l.close("system-shutdown");
    return { abort: () => { for (const s of inbound) s.abort(); } };
  }
}
