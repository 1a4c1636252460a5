/** What the core's parts share: built once by the server, passed to streams and the module registry. */
import type { Config } from "./config/schema.js";
import type { HookBus } from "./hooks.js";
import type { Logger } from "./log.js";
import type { NonzaHandler, PreAuthIqHandler, ServerInfo, StreamFeature } from "./modules.js";
import type { Router } from "./router.js";
import type { SaslMechanism } from "./sasl/types.js";
import type { SessionRegistry } from "./session/registry.js";
import type { Storage } from "./storage/types.js";

/** Failed-login throttling (per IP and per account), as the SASL layer implements it. */
export interface LoginThrottle {
  delayFor(ip: string, account?: string): number;
  failure(ip: string, account?: string): void;
  success(ip: string, account: string): void;
}

/** What streams need from the module registry. */
export interface StreamExtensions {
  streamFeatures(stage: StreamFeature["stage"]): readonly StreamFeature[];
  nonza(ns: string, name: string): NonzaHandler | undefined;
  preAuthIq(type: string, ns: string, name: string): PreAuthIqHandler | undefined;
}

export interface CoreContext {
  readonly config: Config;
  readonly log: Logger;
  readonly hooks: HookBus;
  readonly server: ServerInfo;
  readonly sessions: SessionRegistry;
  readonly router: Router;
  readonly storage: Storage;
  readonly sasl: readonly SaslMechanism[];
  readonly throttle: LoginThrottle;
  readonly modules: StreamExtensions;
  /** A stream is gone (for connection accounting). */
  streamEnded(stream: { readonly id: string; readonly ip: string }): void;
}
