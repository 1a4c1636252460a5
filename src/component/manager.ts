/**
 * External components (XEP-0114): the configured component domains, their connections, and a built-in module
 * that serves each domain (ModuleApi.serveDomain: the router hands it every stanza for the domain, which goes to
 * the connected component, or bounces service-unavailable while none is) and lists the components in the
 * server's disco#items (XEP-0030 §4: a server lists the services it hosts).
 */
import type net from "node:net";
import type { Config } from "../config/schema.js";
import type { StanzaEvent } from "../hooks.js";
import { prepDomain } from "../jid.js";
import type { Logger } from "../log.js";
import { defineModule, type DiscoItem, type ModuleDef, type ServerInfo } from "../modules.js";
import type { Router } from "../router.js";
import { S2sTransport } from "../s2s/transport.js";
import { StanzaError } from "../xml/stanza-error.js";
import { ComponentStream, type ComponentSessionImpl, type ComponentStreamOwner } from "./stream.js";

export interface ComponentDeps {
  config: Config;
  router: Router;
  server: ServerInfo;
  log: Logger;
}

export class ComponentManager implements ComponentStreamOwner {
  private readonly secrets = new Map<string, string>();
  private readonly names = new Map<string, string | undefined>();
  private readonly connected = new Map<string, ComponentSessionImpl>();
  private readonly streams = new Set<ComponentStream>();
  private sweeper: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly log: Logger;
  readonly limits: Config["limits"];
  readonly router: Router;

  constructor(private readonly deps: ComponentDeps) {
    this.log = deps.log.child({ component: "components" });
    this.limits = deps.config.limits;
    this.router = deps.router;
    for (const [domain, c] of Object.entries(deps.config.components)) {
      const d = prepDomain(domain);
      const key = d.ok ? d.value : domain;
      this.secrets.set(key, c.secret);
      this.names.set(key, c.name);
    }
    if (this.secrets.size === 0) return;
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const s of this.streams) s.checkTimeouts(now, this.limits.negotiationTimeout * 1000);
    }, Math.max(250, Math.min(5000, this.limits.negotiationTimeout * 250)));
    this.sweeper.unref();
  }

  secretFor(domain: string): string | undefined { return this.secrets.get(domain); }

  /** Whether a component is connected for `domain`. */
  isConnected(domain: string): boolean { return this.connected.has(domain); }

  accept(socket: net.Socket): void {
    const transport = new S2sTransport(socket, null);
    if (this.stopped) { transport.destroy(); return; }
    this.streams.add(new ComponentStream(this, transport));
  }

  attach(session: ComponentSessionImpl): boolean {
    if (this.connected.has(session.domain)) return false;
    this.connected.set(session.domain, session);
    return true;
  }

  ended(stream: ComponentStream, session: ComponentSessionImpl | null): void {
    this.streams.delete(stream);
    if (session && this.connected.get(session.domain) === session) this.connected.delete(session.domain);
  }

  /** A stanza for a component's domain (or an address at it). */
  private route(event: StanzaEvent): void {
    const domain = event.to.domain;
    const session = this.connected.get(domain);
    if (session) session.send(event.stanza);
    else this.router.bounce(event, new StanzaError("service-unavailable", `${domain} is not connected`));
  }

  /** Items for the server's disco#items: components under `host` (or, for other domains, under every host). */
  itemsFor(host: string): DiscoItem[] {
    const hosts = this.deps.server.hosts;
    const items: DiscoItem[] = [];
    for (const domain of this.secrets.keys()) {
      const parent = hosts.find((h) => domain.endsWith(`.${h}`));
      if (parent === host || parent === undefined) {
        const name = this.names.get(domain);
        items.push(name ? { jid: domain, name } : { jid: domain });
      }
    }
    return items;
  }

  /** The built-in module serving the component domains and listing them in disco#items. */
  module(): ModuleDef {
    return defineModule({
      id: "components",
      xeps: [{ xep: 114, version: "1.6", status: "complete", note: "external components (accept side)" }],
      disco: { items: (host) => this.itemsFor(host) },
      setup: (api) => {
        for (const domain of this.secrets.keys()) api.serveDomain(domain, (event) => this.route(event));
      },
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const s of this.streams) s.close("system-shutdown", "the server is shutting down");
  }

  abort(): void {
    for (const s of this.streams) s.abort();
  }
}

