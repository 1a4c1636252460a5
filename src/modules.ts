/**
 * The module contract and registry. A module is a value (`defineModule({...})`) that declares the XEPs it
 * implements, its options (a zod schema with defaults), disco features, stream features and stores, and a
 * `setup` that registers hooks and IQ handlers through its ModuleApi. Everything registered is recorded and
 * undone on unload, so a module never has to clean up after itself.
 */
import type { Element } from "ltx";
import type { z } from "zod";
import type { Hook, HookMap, StanzaEvent } from "./hooks.js";
import type { HttpRoute } from "./http/routes.js";
import type { BareJid, Jid } from "./jid.js";
import type { Logger } from "./log.js";
import type { SessionControl } from "./session/control.js";
import type { ClientSession, Session } from "./session/types.js";
import type { StreamErrorCondition } from "./stream/errors.js";
import type { ArchiveStore, KeyValStore, MapStore } from "./storage/types.js";
import type { StanzaError } from "./xml/stanza-error.js";
import type { WriteBarrier } from "./write-barrier.js";

export interface XepDeclaration {
  xep: number;
  version: string;
  status: "complete" | "partial";
  note?: string;
}

export interface Identity { category: string; type: string; name?: string }

/**
 * What a module adds to service discovery. The functions get the host asked about and the module's own
 * options, so what is declared can depend on configuration.
 */
export interface DiscoDeclaration<C = any> {
  /** Features of the server (disco#info to the domain). */
  features?: string[];
  /** Server features that depend on the host or the module's options (added to `features`). */
  featuresFor?: (host: string, config: C) => string[];
  /** Features of every account (disco#info to a bare JID, XEP-0030 §3.1 account level). */
  accountFeatures?: string[];
  identities?: Identity[];
  /** XEP-0128 extended information forms the server adds to its disco#info. */
  extensions?: (host: string, config: C) => Element[];
  /** Items the server lists in its disco#items (services such as conference.<host>). */
  items?: (host: string, config: C) => DiscoItem[];
  /**
   * Nodes at which the server's disco#info answers with its own identities, features and forms (XEP-0115
   * §6.2: the caps node `node#ver`), given that information.
   */
  infoNodes?: (host: string, info: DiscoInfo, config: C) => string[];
}

/** The server's disco#info for one host, as all enabled modules declare it. */
export interface DiscoInfo { identities: Identity[]; features: string[]; extensions: Element[] }

export interface DiscoItem { jid: string; name?: string; node?: string }

/** What an IQ handler is given. `payload` is the IQ's single child element. */
export interface IqContext {
  readonly stanza: Element;
  readonly payload: Element;
  readonly from: Jid;
  readonly to: Jid;
  /** The local domain the IQ was addressed to (or the one of the account it was addressed to). */
  readonly host: string;
  readonly origin: Session | null;
}

/** A payload element is the result's child; null is an empty result; a StanzaError is sent as the error. */
export type IqResult = Element | null | StanzaError;
export type IqHandler = (ctx: IqContext) => IqResult | Promise<IqResult>;

/** Which addresses an IQ handler answers for (RFC 6120 §10.3: host, an account's bare JID, a full JID). */
export type IqTarget = "host" | "bare" | "full";

/** A stream feature offered by a module, and the top-level elements (nonzas) it handles. */
export interface StreamFeature {
  /** When it is offered: before authentication, or after it (with bind). */
  stage: "pre-auth" | "post-auth";
  /** The <feature/> element for this stream, or null to not offer it here. */
  offer(ctx: StreamContext): Element | null;
}

/** What a stream feature / nonza handler sees of the stream it is on. */
export interface StreamContext {
  readonly id: string;
  readonly host: string;
  readonly ip: string;
  readonly secure: boolean;
  /** The account authenticated on this stream (null before SASL success). */
  readonly account: BareJid | null;
  /** Set once the resource is bound. */
  readonly session: ClientSession | null;
  /** Set with `session`: control of the session for modules that manage the stream (session/control.ts). */
  readonly control: SessionControl | null;
  send(el: Element): void;
  /**
   * Close the stream, with a stream error when a condition is given (RFC 6120 §4.9); `appCondition` is an
   * application-specific condition (§4.9.4).
   */
  close(error?: StreamErrorCondition, text?: string, appCondition?: Element): void;
  /**
   * Continue an existing session on this stream instead of binding a resource (stream resumption). Allowed once this
   * stream has authenticated as the session's account and while it has bound nothing, for a session that has not
   * ended. A previous stream of the session still open is closed with <conflict/>; the session goes on, registered
   * and with its presence, and its output now goes here. False (nothing changed) when not allowed.
   */
  adopt(control: SessionControl): boolean;
}

export type NonzaHandler = (ctx: StreamContext, el: Element) => void;

/**
 * An IQ a client may send before it has authenticated (in-band registration, XEP-0077 §3.1). The reply is
 * built from the result as for ordinary IQ handlers.
 */
export type PreAuthIqHandler = (ctx: StreamContext, payload: Element, iq: Element) => IqResult | Promise<IqResult>;

export interface ServerInfo {
  readonly version: string;
  readonly startedAt: number;
  readonly hosts: readonly string[];
  isLocalHost(domain: string): boolean;
  /** A domain a module serves (ModuleApi.serveDomain), such as conference.<host>: local, but not a host. */
  isServedDomain(domain: string): boolean;
  admins(host: string): readonly Jid[];
  isAdmin(jid: Jid): boolean;
}

/**
 * Takes every stanza addressed to a module-served domain or to any address at it (ModuleApi.serveDomain),
 * after `stanza:pre`. The stanza is then the handler's: it answers, bounces or drops it. Throwing is for bugs
 * (the router logs it and bounces internal-server-error).
 */
export type DomainHandler = (event: StanzaEvent) => void;

/** What modules may do on the server's HTTP and HTTPS listeners (file upload, ...). */
export interface HttpApi {
  /** Serve a route on every http/https listener, after the built-in ones; removed on unload. */
  route(route: HttpRoute): void;
  /**
   * The base URL ("https://example.org:5443", no trailing slash) at which clients reach the web listeners for
   * `host`: the first https listener (its publicUrl, else host and port), else the first http one; null when
   * there is no web listener. Ask when the URL is needed: listeners are opened after modules are loaded.
   */
  baseUrl(host: string): string | null;
}

/** Read access to the sessions of bound clients. */
export interface SessionView {
  get(fullJid: string): ClientSession | undefined;
  /** All resources of an account, in no particular order. */
  resources(bareJid: string): readonly ClientSession[];
  count(): number;
}

/** Account management, for in-band registration and admin commands. */
export interface AccountsApi {
  exists(jid: Jid): Promise<boolean>;
  create(jid: Jid, password: string): Promise<{ ok: true } | { ok: false; error: "conflict" | "bad-password" | "bad-username" }>;
  setPassword(jid: Jid, password: string): Promise<{ ok: true } | { ok: false; error: "not-found" | "bad-password" }>;
  delete(jid: Jid): Promise<boolean>;
  list(domain?: string): Promise<Jid[]>;
}

/** RFC 6121 §2.1.2.5 subscription states (pending states are carried by `ask` and `approved`). */
export type Subscription = "none" | "to" | "from" | "both";

export interface RosterItemView {
  readonly jid: string;
  readonly name?: string;
  readonly subscription: Subscription;
  /** Outbound subscription request pending (RFC 6121 §2.1.2.2). */
  readonly ask?: "subscribe";
  /** Pre-approved inbound subscription (RFC 6121 §3.4). */
  readonly approved?: boolean;
  readonly groups: readonly string[];
}

/** Read access to rosters, for modules whose rules depend on subscriptions (blocking, disco, last, PEP, MAM). */
export interface RosterApi {
  items(owner: string): Promise<readonly RosterItemView[]>;
  item(owner: string, contact: string): Promise<RosterItemView | undefined>;
  /** Whether `contact` has a subscription to `owner`'s presence ("from" or "both" on owner's roster). */
  isSubscriber(owner: string, contact: string): Promise<boolean>;
}

export interface ModuleApi<C> {
  readonly id: string;
  readonly config: Readonly<C>;
  readonly log: Logger;
  readonly server: ServerInfo;
  readonly sessions: SessionView;
  readonly accounts: AccountsApi;
  readonly roster: RosterApi;
  iq(type: "get" | "set", ns: string, name: string, handler: IqHandler, opts?: { to?: IqTarget }): void;
  hook<K extends keyof HookMap>(event: K, handler: Hook<HookMap[K]>, priority?: number): void;
  /** Fire an event (typically one the module declared by merging into HookMap); true when a handler took it. */
  fire<K extends keyof HookMap>(event: K, payload: HookMap[K]): boolean;
  /** Handle a top-level element in namespace `ns` that is not a stanza (e.g. XEP-0198 <r/>). */
  nonza(ns: string, name: string, handler: NonzaHandler): void;
  /** Offer a stream feature (it can read the module's config, unlike a static declaration). */
  streamFeature(feature: StreamFeature): void;
  /** Handle an IQ sent before authentication (only these IQs are accepted then). */
  preAuthIq(type: "get" | "set", ns: string, name: string, handler: PreAuthIqHandler): void;
  /** Stores declared in the module's `storage`, under the module's own name. */
  keyval(name: string): KeyValStore;
  map(name: string): MapStore;
  archive(name: string): ArchiveStore;
  /** A new id for an archive item (and the stanza-id it is sent with): see `Storage.newArchiveId`. */
  newArchiveId(): string;
  /**
   * Writes that must be durable before anything is acknowledged (DESIGN "Storage"): `track` a deferred or batched
   * write; `after(fn)` runs `fn` once every write tracked so far has settled (at once when none is pending).
   */
  durability: Pick<WriteBarrier, "track" | "after">;
  /**
   * Serve a domain that is not one of the configured hosts (a service such as conference.<host>): every stanza
   * to it or to any address at it (room@domain, room@domain/nick) goes to `handler` instead of being routed as
   * remote. One module per domain; `server.isServedDomain` answers for it while the module is loaded.
   */
  serveDomain(domain: string, handler: DomainHandler): void;
  /** Route a stanza the server generates (its `from` must be a local address). */
  send(stanza: Element): void;
  readonly http: HttpApi;
  /** The server's data directory (absolute). A module that keeps files uses a subdirectory named for its id. */
  readonly dataDir: string;
  /** Server disco#info as all modules declare it (for the disco module and entity capabilities). */
  discoInfo(host: string): DiscoInfo;
  /** Nodes at which the server's disco#info is also answered (see DiscoDeclaration.infoNodes). */
  discoInfoNodes(host: string): string[];
  discoItems(host: string): DiscoItem[];
  accountDiscoFeatures(): string[];
  /** Run on unload (timers, intervals). */
  onUnload(fn: () => void | Promise<void>): void;
}

export interface ModuleDef<C = Record<string, never>> {
  /** Also the key under `modules:` in the config file. */
  id: string;
  xeps: XepDeclaration[];
  /** Other module ids that must be enabled too (checked at boot). */
  requires?: string[];
  /** Options with defaults; the module gets the parsed, frozen value. */
  config?: z.ZodType<C>;
  disco?: DiscoDeclaration<C>;
  storage?: Record<string, "keyval" | "map" | "archive">;
  setup(api: ModuleApi<C>): void | Promise<void>;
}

export function defineModule<C = Record<string, never>>(def: ModuleDef<C>): ModuleDef<C> {
  return def;
}
