/**
 * The server: wires storage, certificates, hooks, router, sessions and modules together, opens the
 * listeners, and shuts everything down cleanly. `main.ts` and the integration tests both start it here.
 */
import { mkdirSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import type { Element } from "ltx";
import { Accounts } from "./accounts.js";
import { formatConfigErrors, type ConfigError } from "./config/errors.js";
import { configPaths } from "./config/load.js";
import { checkModuleIds, validateModuleConfig } from "./config/module-config.js";
import type { Config } from "./config/schema.js";
import type { ConfigSource } from "./config/source.js";
import type { CoreContext, LoginThrottle } from "./core-context.js";
import { HookBus } from "./hooks.js";
import { installDelivery } from "./im/delivery.js";
import { createIm } from "./im/index.js";
import { parseJid, type Jid } from "./jid.js";
import { rootLogger, type Logger } from "./log.js";
import { ModuleRegistry, type ModuleToLoad } from "./module-registry.js";
import type { ModuleDef, ServerInfo } from "./modules.js";
import { Router } from "./router.js";
import { mechanisms } from "./sasl/index.js";
import { AuthThrottle } from "./sasl/throttle.js";
import { SessionRegistry } from "./session/registry.js";
import { openStorage } from "./storage/open.js";
import type { Storage } from "./storage/types.js";
import { C2sStream } from "./stream/c2s-stream.js";
import { tcpFraming, type Framing } from "./stream/framing.js";
import { HttpListener } from "./http/listener.js";
import { HttpRoutes } from "./http/routes.js";
import { ALPN_XMPP_CLIENT, tlsServerOptions } from "./tls/options.js";
import { openCertificateStore, type CertificateStore } from "./tls/store.js";
import { listenDirectTls, listenTcp, type TlsProvider } from "./transport/tcp.js";
import type { Transport } from "./transport/types.js";
import { VERSION } from "./version.js";
import { ComponentManager } from "./component/manager.js";
import { S2sManager } from "./s2s/manager.js";
import { ALPN_XMPP_SERVER, loadTrustedCas, S2sTls } from "./s2s/trust.js";

export interface ServerOptions {
  config: Config;
  /** The config file's directory (relative paths resolve against it). */
  dir: string;
  /** Where keys are in the config file, for module option errors with line numbers. */
  source?: ConfigSource;
  /** Every module Palaver knows; the config enables some of them by id. */
  catalog: readonly ModuleDef<any>[];
  log?: Logger;
}

export class StartError extends Error {}

export interface BoundListener {
  kind: Config["listeners"][number]["kind"];
  address: string;
  port: number;
}

const SWEEP_INTERVAL_MS = 5000;
/** How long federation outlives the client sessions when the server stops. */
const FEDERATION_GRACE_MS = 250;

export class Server {
  /** Open client streams by id (C2sStream.id), for the sweeper, accounting and shutdown. */
  private readonly streams = new Map<string, C2sStream>();
  private readonly perIp = new Map<string, number>();
  private readonly netServers: { server: net.Server; kind: BoundListener["kind"] }[] = [];
  private readonly httpListeners: HttpListener[] = [];
  private sweeper: NodeJS.Timeout | null = null;
  /** Federation (RFC 6120 server-to-server), when enabled; external components (XEP-0114). */
  s2s: S2sManager | null = null;
  private s2sTls: S2sTls | null = null;
  private components: ComponentManager | null = null;
  private stopping = false;
  readonly listeners: BoundListener[] = [];

  private constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly storage: Storage,
    readonly certificates: CertificateStore,
    readonly hooks: HookBus,
    readonly sessions: SessionRegistry,
    readonly modules: ModuleRegistry,
    readonly accounts: Accounts,
    private readonly core: CoreContext,
    private readonly undoDelivery: () => void,
    /** HTTP routes modules add (file upload, ...): served by every http/https listener after the built-in ones. */
    readonly httpRoutes: HttpRoutes,
  ) {}

  static async start(opts: ServerOptions): Promise<Server> {
    const { config, dir } = opts;
    const log = opts.log ?? rootLogger;
    const paths = configPaths(config, dir);

    // Module options first: a typo in the config must stop the server before it opens anything.
    const toLoad = resolveModules(config, opts.catalog, opts.source);

    mkdirSync(paths.dataDir, { recursive: true });
    let storage: Storage;
    try {
      storage = await openStorage(config.storage, paths.dataDir);
    } catch (err) {
      throw new StartError((err as Error).message);
    }
    const certs = await openCertificateStore(config, dir, { log });
    if (!certs.ok) {
      await storage.close();
      throw new StartError(`certificates: ${certs.errors.join("; ")}`);
    }

    const hosts = Object.keys(config.hosts);
    const admins = new Map<string, Jid[]>(hosts.map((h) => [h, config.hosts[h]!.admins.map((a) => parseJid(a)).filter((r) => r.ok).map((r) => (r as { jid: Jid }).jid.toBare())]));
    const server: ServerInfo = {
      version: VERSION,
      startedAt: Date.now(),
      hosts,
      isLocalHost: (d) => Object.prototype.hasOwnProperty.call(config.hosts, d),
      isServedDomain: (d) => modules.servesDomain(d),
      admins: (h) => admins.get(h) ?? [],
      isAdmin: (j) => (admins.get(j.domain) ?? []).some((a) => a.bare === j.bare),
    };

    const hooks = new HookBus(log);
    const sessions = new SessionRegistry();
    const accounts = new Accounts(storage.accounts, hooks, server, config.auth.scramIterations);
    let router!: Router;
    let instance: Server | null = null;
    const httpRoutes = new HttpRoutes();
    // The IM core (RFC 6121): a built-in module, loaded before the configured ones.
    const im = createIm({
      hooks, log, server, sessions, accounts: storage.accounts, storage,
      route: (stanza, from, to) => router.route(null, stanza, from, to),
      bounce: (event, error) => router.bounce(event, error),
    });
    const modules = new ModuleRegistry({
      hooks, log, server, sessions, accounts, storage, roster: im.roster,
      send: (stanza) => routeGenerated(router, stanza, log),
      http: { routes: httpRoutes, baseUrl: (host) => instance?.webBaseUrl(host) ?? null },
      dataDir: paths.dataDir,
    });
    router = new Router(hooks, server, modules, log);
    const throttle: LoginThrottle = new AuthThrottle({
      freeFailures: config.auth.throttleFreeFailures,
      windowSeconds: config.auth.throttleWindow,
    });

    const core: CoreContext = {
      config, log, hooks, server, sessions, router, storage, throttle, modules,
      sasl: mechanisms({ decoyIterations: config.auth.scramIterations }),
      streamEnded: (stream) => instance?.streamEnded(stream),
    };
    const undoDelivery = installDelivery({ hooks, sessions, router, accounts: storage.accounts });
    // Federation: its own TLS contexts (they request the peer's certificate and trust the configured CAs).
    let s2sTls: S2sTls | null = null;
    if (config.s2s.enabled ?? config.listeners.some((l) => l.kind === "s2s" || l.kind === "s2s-tls")) {
      try {
        s2sTls = new S2sTls(config, dir, loadTrustedCas(config, dir));
      } catch (err) {
        undoDelivery();
        await storage.close();
        throw new StartError(`s2s: ${(err as Error).message}`);
      }
    }
    const s2s = s2sTls ? new S2sManager({ config, hooks, router, server, tls: s2sTls, log }) : null;
    const components = new ComponentManager({ config, router, server, log });

    try {
      await modules.load({ def: im.module, config: {} });
      await modules.load({ def: components.module(), config: {} });
      await modules.loadAll(toLoad);
    } catch (err) {
      s2s?.stop();
      components.stop();
      undoDelivery();
      await modules.unloadAll();
      await storage.close();
      throw new StartError((err as Error).message);
    }

    instance = new Server(config, log, storage, certs.store, hooks, sessions, modules, accounts, core, undoDelivery, httpRoutes);
    instance.s2s = s2s;
    instance.s2sTls = s2sTls;
    instance.components = components;
    try {
      await instance.listen();
    } catch (err) {
      await instance.stop();
      throw new StartError(`cannot listen: ${(err as Error).message}`);
    }
    instance.sweeper = setInterval(() => instance!.sweep(), SWEEP_INTERVAL_MS);
    instance.sweeper.unref();
    log.info("server started", { version: VERSION, hosts, listeners: instance.listeners, modules: toLoad.map((m) => m.def.id) });
    return instance;
  }

  private tlsProvider(): TlsProvider {
    return { serverOptions: (alpn) => tlsServerOptions(this.certificates, alpn) };
  }

  private async listen(): Promise<void> {
    for (const l of this.config.listeners) {
      if (l.allowPlaintext) {
        this.log.warn("listener allows unencrypted streams and PLAIN without TLS: use only on loopback for tests", { port: l.port, address: l.address });
      }
      if (l.kind === "http" || l.kind === "https") {
        // WebSocket (RFC 7395), BOSH (XEP-0206), host-meta (XEP-0156) and the web chat; HTTPS with SNI.
        const http = await HttpListener.listen({
          config: l,
          tls: l.kind === "https" ? tlsServerOptions(this.certificates, ["http/1.1"]) : null,
          hosts: this.core.server.hosts,
          isLocalHost: (d) => this.core.server.isLocalHost(d),
          limits: this.config.limits,
          log: this.log.child({ listener: l.kind }),
          accept: (t, allowPlaintext, framing) => this.accept(t, allowPlaintext, framing),
          moduleRoutes: this.httpRoutes,
          httpsPort: () => this.httpListeners.find((h) => h.kind === "https")?.port ?? null,
        });
        const addr = http.server.address() as net.AddressInfo;
        this.httpListeners.push(http);
        this.listeners.push({ kind: l.kind, address: addr.address, port: addr.port });
        continue;
      }
      if (l.kind === "s2s" || l.kind === "s2s-tls" || l.kind === "component") {
        const server = await this.listenFederation(l.kind, l.address, l.port);
        const addr = server.address() as net.AddressInfo;
        this.netServers.push({ server, kind: l.kind });
        this.listeners.push({ kind: l.kind, address: addr.address, port: addr.port });
        continue;
      }
      const onConnection = (t: Transport) => void this.accept(t, l.allowPlaintext);
      const server = l.kind === "c2s"
        ? await listenTcp(l.address, l.port, this.tlsProvider(), onConnection)
        : await listenDirectTls(l.address, l.port, this.tlsProvider(), onConnection);
      const addr = server.address() as net.AddressInfo;
      this.netServers.push({ server, kind: l.kind });
      this.listeners.push({ kind: l.kind, address: addr.address, port: addr.port });
    }
  }

  /**
   * Where clients reach the web listeners for `host` (ModuleApi.http.baseUrl): the first https listener, else
   * the first http one; its publicUrl when configured, else the host name and the bound port.
   */
  webBaseUrl(host: string): string | null {
    const configs = this.config.listeners.filter((l) => l.kind === "http" || l.kind === "https");
    const secure = this.httpListeners.findIndex((h) => h.kind === "https");
    const i = secure !== -1 ? secure : 0; // without https, every web listener is http: the first one
    const listener = this.httpListeners[i];
    const config = configs[i];
    if (!listener || !config || (config.kind !== "http" && config.kind !== "https")) return null;
    if (config.publicUrl) return config.publicUrl.replace(/\/+$/, "");
    const port = listener.port === (listener.kind === "https" ? 443 : 80) ? "" : `:${listener.port}`;
    return `${listener.kind}://${host}${port}`;
  }

  /**
   * Server-to-server listeners (STARTTLS on "s2s"; Direct TLS with ALPN xmpp-server on "s2s-tls", XEP-0368) and
   * the external component listener (XEP-0114, no TLS).
   */
  private listenFederation(kind: "s2s" | "s2s-tls" | "component", address: string, port: number): Promise<net.Server> {
    let server: net.Server;
    if (kind === "component") {
      const components = this.components!;
      server = net.createServer({ noDelay: true }, (socket) => components.accept(socket));
    } else {
      const s2s = this.s2s;
      const s2sTls = this.s2sTls;
      if (!s2s || !s2sTls) return Promise.reject(new Error(`an ${kind} listener needs federation (s2s.enabled is false)`));
      const serverTls = () => s2sTls.serverOptions();
      if (kind === "s2s") {
        server = net.createServer({ noDelay: true }, (socket) => s2s.accept(socket, serverTls));
      } else {
        server = tls.createServer(s2sTls.serverOptions([ALPN_XMPP_SERVER]), (socket) => s2s.accept(socket, serverTls));
        // Handshake failures (scanners, peers that distrust us) are the peer's problem, not the server's.
        server.on("tlsClientError", () => {});
      }
    }
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: address, port, ipv6Only: false }, () => {
        server.off("error", reject);
        resolve(server);
      });
    });
  }

  /** Start a client stream on a new connection; false (and the transport destroyed) when it is refused. */
  private accept(transport: Transport, allowPlaintext: boolean, framing: Framing = tcpFraming): boolean {
    if (this.stopping) {
      transport.destroy();
      return false;
    }
    const count = this.perIp.get(transport.ip) ?? 0;
    if (count >= this.config.limits.maxConnectionsPerIp) {
      this.log.warn("too many connections from one address", { ip: transport.ip });
      transport.destroy();
      return false;
    }
    this.perIp.set(transport.ip, count + 1);
    const stream = new C2sStream(this.core, transport, framing, { allowPlaintext });
    this.streams.set(stream.id, stream);
    return true;
  }

  private streamEnded(stream: { id: string; ip: string }): void {
    const s = this.streams.get(stream.id);
    if (s === undefined) return;
    this.streams.delete(stream.id);
    const n = (this.perIp.get(s.ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(s.ip);
    else this.perIp.set(s.ip, n);
  }

  private sweep(): void {
    const now = Date.now();
    for (const s of this.streams.values()) s.checkTimeouts(now);
  }

  /** Number of open client connections (bound or not). */
  connectionCount(): number {
    return this.streams.size;
  }

  /** Re-read certificate files (SIGHUP); a failure keeps the certificates in use. */
  reloadCertificates(): boolean {
    // The store logs success and failure itself.
    if (!this.certificates.reload().ok) return false;
    const s2sErrors = this.s2sTls?.reload() ?? [];
    if (s2sErrors.length > 0) this.log.error("s2s certificate reload failed; keeping the previous ones", { errors: s2sErrors });
    for (const { server, kind } of this.netServers) {
      if (kind === "c2s-tls") (server as tls.Server).setSecureContext(tlsServerOptions(this.certificates, [ALPN_XMPP_CLIENT]));
      if (kind === "s2s-tls" && this.s2sTls) (server as tls.Server).setSecureContext(this.s2sTls.serverOptions([ALPN_XMPP_SERVER]));
    }
    for (const h of this.httpListeners) h.setSecureContext(tlsServerOptions(this.certificates, ["http/1.1"]));
    return true;
  }

  /** Close every stream with system-shutdown (RFC 6120 §4.9.3.22), stop listening, unload, close storage. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.hooks.fire("server:stopping", {});
    // Stop accepting, then close the streams: a listener's close completes only once its connections have ended.
    const closed = this.netServers.map(({ server }) => new Promise<void>((r) => server.close(() => r())));
    for (const h of this.httpListeners) h.stopAccepting();
    const open = [...this.streams.values()];
    for (const s of open) s.close("system-shutdown", "the server is shutting down");
    this.components?.stop();
    // Federation closes a moment later, so the unavailable presence of the sessions just closed (which the IM core
    // sends after reading rosters) still reaches remote contacts (RFC 6121 §4.5.2).
    let federation: { abort(): void } | undefined;
    const closeFederation = setTimeout(() => { federation = this.s2s?.stop(); }, this.s2s ? FEDERATION_GRACE_MS : 0);
    // Clients get a moment to close their side; then what is still connected is cut, so stopping is bounded.
    const cut = setTimeout(() => {
      for (const s of open) s.abort();
      federation?.abort();
      this.components?.abort();
    }, 1000);
    await Promise.all([...closed, ...this.httpListeners.map((h) => h.shutdown())]);
    clearTimeout(cut);
    clearTimeout(closeFederation);
    federation ??= this.s2s?.stop();
    await this.modules.unloadAll();
    this.undoDelivery();
    await this.storage.close();
    this.log.info("server stopped");
  }
}

/** Check the enabled modules' ids and options against the catalog (also used by `palaver check-config`). */
export function checkModules(config: Config, catalog: readonly ModuleDef<any>[], source?: ConfigSource):
  { modules: ModuleToLoad[]; errors: ConfigError[] } {
  const known = catalog.map((m) => m.id);
  const enabled = Object.keys(config.modules);
  const errors = checkModuleIds(enabled, known, source);
  const modules: ModuleToLoad[] = [];
  for (const id of enabled) {
    const def = catalog.find((m) => m.id === id);
    if (!def) continue;
    const r = validateModuleConfig(id, def.config, config.modules[id], source);
    if (r.ok) modules.push({ def, config: r.value });
    else errors.push(...r.errors);
  }
  return { modules, errors };
}

function resolveModules(config: Config, catalog: readonly ModuleDef<any>[], source?: ConfigSource): ModuleToLoad[] {
  const { modules, errors } = checkModules(config, catalog, source);
  if (errors.length) throw new StartError(formatConfigErrors(errors));
  return modules;
}

/** Route a stanza a module generated: its `from` and `to` must be valid addresses. */
function routeGenerated(router: Router, stanza: Element, log: Logger): void {
  const from = parseJid(stanza.attrs.from ?? "");
  const to = parseJid(stanza.attrs.to ?? "");
  if (!from.ok || !to.ok) {
    log.error("module sent a stanza without valid from/to", { from: stanza.attrs.from, to: stanza.attrs.to });
    return;
  }
  router.route(null, stanza, from.jid, to.jid);
}
