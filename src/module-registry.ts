/**
 * Loads the enabled modules: validates each one's options, checks `requires`, orders them, runs their
 * setup with an API that records every registration, and undoes those registrations on unload.
 */
import type { Element } from "ltx";
import type { HookBus } from "./hooks.js";
import type { Logger } from "./log.js";
import type {
  AccountsApi, DiscoInfo, HttpApi, DiscoItem, DomainHandler, RosterApi, Identity, IqHandler, IqTarget, ModuleApi, ModuleDef, NonzaHandler, PreAuthIqHandler, ServerInfo, SessionView, StreamFeature,
} from "./modules.js";
import { resolve } from "node:path";
import { HttpRoutes } from "./http/routes.js";
import type { RouteTable } from "./router.js";
import type { StreamExtensions } from "./core-context.js";
import type { Storage } from "./storage/types.js";
import { WriteBarrier } from "./write-barrier.js";

export interface RegistryDeps {
  hooks: HookBus;
  log: Logger;
  server: ServerInfo;
  sessions: SessionView;
  accounts: AccountsApi;
  roster: RosterApi;
  storage: Storage;
  send(stanza: Element): void;
  /** The route table shared by the web listeners, and their base URLs (see HttpApi); none: no web listeners. */
  http?: { routes: HttpRoutes; baseUrl: HttpApi["baseUrl"] };
  /** The server's data directory (absolute); default: "data" under the working directory. */
  dataDir?: string;
}

/** A module ready to load: its definition and its validated options. */
export interface ModuleToLoad {
  def: ModuleDef<any>;
  config: unknown;
}

interface Loaded {
  def: ModuleDef<any>;
  /** The module's validated options (its disco declaration functions are given them). */
  config: unknown;
  undo: Array<() => void | Promise<void>>;
}

export class ModuleLoadError extends Error {}

/** Order modules so that each comes after what it requires; a missing or circular requirement is an error. */
export function orderByRequires(mods: ModuleToLoad[]): ModuleToLoad[] {
  const byId = new Map(mods.map((m) => [m.def.id, m]));
  const out: ModuleToLoad[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (m: ModuleToLoad, path: string[]) => {
    const s = state.get(m.def.id);
    if (s === "done") return;
    if (s === "visiting") throw new ModuleLoadError(`modules require each other in a circle: ${[...path, m.def.id].join(" -> ")}`);
    state.set(m.def.id, "visiting");
    for (const dep of m.def.requires ?? []) {
      const d = byId.get(dep);
      if (!d) throw new ModuleLoadError(`module "${m.def.id}" requires module "${dep}", which is not enabled (add it under modules:)`);
      visit(d, [...path, m.def.id]);
    }
    state.set(m.def.id, "done");
    out.push(m);
  };
  for (const m of mods) visit(m, []);
  return out;
}

const iqKey = (type: string, target: IqTarget, ns: string, name: string) => `${type}\u0000${target}\u0000${ns}\u0000${name}`;

export class ModuleRegistry implements RouteTable, StreamExtensions {
  private readonly iqs = new Map<string, { module: string; handler: IqHandler }>();
  private readonly domains = new Map<string, { module: string; handler: DomainHandler }>();
  private readonly nonzas = new Map<string, NonzaHandler>();
  private readonly preAuthIqs = new Map<string, PreAuthIqHandler>();
  private readonly loaded = new Map<string, Loaded>();
  private features: StreamFeature[] = [];

  private readonly http: NonNullable<RegistryDeps["http"]>;

  /** One for the whole server: an acknowledgement waits for every module's pending writes. */
  readonly durability = new WriteBarrier();

  constructor(private readonly deps: RegistryDeps) {
    this.http = deps.http ?? { routes: new HttpRoutes(), baseUrl: () => null };
  }

  lookup(type: "get" | "set", target: IqTarget, ns: string, name: string): IqHandler | undefined {
    return this.iqs.get(iqKey(type, target, ns, name))?.handler;
  }

  domainHandler(domain: string): DomainHandler | undefined {
    return this.domains.get(domain)?.handler;
  }

  servesDomain(domain: string): boolean {
    return this.domains.has(domain);
  }

  streamFeatures(stage: StreamFeature["stage"]): readonly StreamFeature[] {
    return this.features.filter((f) => f.stage === stage);
  }

  nonza(ns: string, name: string): NonzaHandler | undefined {
    return this.nonzas.get(`${ns}\u0000${name}`);
  }

  preAuthIq(type: string, ns: string, name: string): PreAuthIqHandler | undefined {
    return this.preAuthIqs.get(`${type}\u0000${ns}\u0000${name}`);
  }

  definitions(): ModuleDef<any>[] {
    return [...this.loaded.values()].map((l) => l.def);
  }

  discoInfo(host: string): DiscoInfo {
    const identities: Identity[] = [];
    const features = new Set<string>();
    const extensions: Element[] = [];
    for (const { def, config } of this.loaded.values()) {
      identities.push(...(def.disco?.identities ?? []));
      for (const f of def.disco?.features ?? []) features.add(f);
      if (def.disco?.featuresFor) for (const f of def.disco.featuresFor(host, config)) features.add(f);
      if (def.disco?.extensions) extensions.push(...def.disco.extensions(host, config));
    }
    return { identities, features: [...features].sort(), extensions };
  }

  discoInfoNodes(host: string): string[] {
    const nodes: string[] = [];
    let info: DiscoInfo | undefined;
    for (const { def, config } of this.loaded.values()) {
      if (def.disco?.infoNodes) nodes.push(...def.disco.infoNodes(host, info ??= this.discoInfo(host), config));
    }
    return nodes;
  }

  discoItems(host: string): DiscoItem[] {
    const items: DiscoItem[] = [];
    for (const { def, config } of this.loaded.values()) if (def.disco?.items) items.push(...def.disco.items(host, config));
    return items;
  }

  accountDiscoFeatures(): string[] {
    const features = new Set<string>();
    for (const { def } of this.loaded.values()) for (const f of def.disco?.accountFeatures ?? []) features.add(f);
    return [...features].sort();
  }

  async loadAll(mods: ModuleToLoad[]): Promise<void> {
    for (const m of orderByRequires(mods)) await this.load(m);
  }

  async load({ def, config }: ModuleToLoad): Promise<void> {
    if (this.loaded.has(def.id)) throw new ModuleLoadError(`module "${def.id}" is already loaded`);
    const frozen = Object.freeze(config);
    const entry: Loaded = { def, config: frozen, undo: [] };
    const api = this.apiFor(def, frozen, entry);
    try {
      await def.setup(api);
    } catch (err) {
      await this.runUndo(entry);
      throw new ModuleLoadError(`module "${def.id}" failed to start: ${(err as Error).message}`);
    }
    this.loaded.set(def.id, entry);
    this.deps.log.debug("module loaded", { module: def.id });
  }

  async unload(id: string): Promise<void> {
    const entry = this.loaded.get(id);
    if (!entry) return;
    const dependents = [...this.loaded.values()].filter((l) => l.def.requires?.includes(id)).map((l) => l.def.id);
    if (dependents.length) throw new ModuleLoadError(`module "${id}" is required by ${dependents.join(", ")}`);
    this.loaded.delete(id);
    await this.runUndo(entry);
  }

  async unloadAll(): Promise<void> {
    for (const id of [...this.loaded.keys()].reverse()) await this.unload(id);
  }

  private async runUndo(entry: Loaded): Promise<void> {
    for (const fn of entry.undo.reverse()) {
      try {
        await fn();
      } catch (err) {
        this.deps.log.error("module cleanup failed", { module: entry.def.id, err });
      }
    }
    entry.undo = [];
  }

  private apiFor<C>(def: ModuleDef<C>, config: C, entry: Loaded): ModuleApi<C> {
    const { deps } = this;
    const declared = def.storage ?? {};
    const storeName = (name: string, kind: "keyval" | "map" | "archive") => {
      if (declared[name] !== kind) throw new Error(`module "${def.id}" did not declare ${kind} store "${name}" in its storage`);
      return `${def.id}/${name}`;
    };
    return {
      id: def.id,
      config,
      log: deps.log.child({ module: def.id }),
      server: deps.server,
      sessions: deps.sessions,
      accounts: deps.accounts,
      roster: deps.roster,
      iq: (type, ns, name, handler, opts) => {
        const target = opts?.to ?? "host";
        const key = iqKey(type, target, ns, name);
        const existing = this.iqs.get(key);
        if (existing) throw new Error(`IQ ${type} {${ns}}${name} to ${target} is already handled by module "${existing.module}"`);
        this.iqs.set(key, { module: def.id, handler });
        entry.undo.push(() => { this.iqs.delete(key); });
      },
      hook: (event, handler, priority) => {
        entry.undo.push(deps.hooks.on(event, handler, priority));
      },
      serveDomain: (domain, handler) => {
        if (deps.server.isLocalHost(domain)) throw new Error(`module "${def.id}" cannot serve ${domain}: it is one of the configured hosts`);
        const existing = this.domains.get(domain);
        if (existing) throw new Error(`domain ${domain} is already served by module "${existing.module}"`);
        this.domains.set(domain, { module: def.id, handler });
        entry.undo.push(() => { this.domains.delete(domain); });
      },
      fire: (event, payload) => deps.hooks.fire(event, payload),
      nonza: (ns, name, handler) => {
        const key = `${ns}\u0000${name}`;
        if (this.nonzas.has(key)) throw new Error(`<${name} xmlns='${ns}'/> is already handled`);
        this.nonzas.set(key, handler);
        entry.undo.push(() => { this.nonzas.delete(key); });
      },
      streamFeature: (f) => {
        this.features = [...this.features, f];
        entry.undo.push(() => { this.features = this.features.filter((x) => x !== f); });
      },
      preAuthIq: (type, ns, name, handler) => {
        const key = `${type}\u0000${ns}\u0000${name}`;
        if (this.preAuthIqs.has(key)) throw new Error(`pre-authentication IQ ${type} {${ns}}${name} is already handled`);
        this.preAuthIqs.set(key, handler);
        entry.undo.push(() => { this.preAuthIqs.delete(key); });
      },
      keyval: (name) => deps.storage.keyval(storeName(name, "keyval")),
      map: (name) => deps.storage.map(storeName(name, "map")),
      archive: (name) => deps.storage.archive(storeName(name, "archive")),
      newArchiveId: () => deps.storage.newArchiveId(),
      durability: this.durability,
      send: (stanza) => deps.send(stanza),
      http: {
        route: (route) => { entry.undo.push(this.http.routes.add(route)); },
        baseUrl: (host) => this.http.baseUrl(host),
      },
      dataDir: deps.dataDir ?? resolve("data"),
      discoInfo: (host) => this.discoInfo(host),
      discoInfoNodes: (host) => this.discoInfoNodes(host),
      discoItems: (host) => this.discoItems(host),
      accountDiscoFeatures: () => this.accountDiscoFeatures(),
      onUnload: (fn) => { entry.undo.push(fn); },
    };
  }
}
