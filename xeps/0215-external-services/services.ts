/**
 * The <service/> elements of XEP-0215 (§2 attributes, §3.1 all services, §3.2 by type, §3.3 credentials), built
 * from the configured services: pure functions of the configuration, the requesting user and the time.
 */
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { turnCredentials, xep0082 } from "./credentials.js";

export const NS = "urn:xmpp:extdisco:2";

export interface ServiceConfig {
  /** Registered service type (§8.3): stun, turn, stuns, turns, ... */
  type: string;
  host: string;
  port?: number;
  transport?: "udp" | "tcp";
  name?: string;
  /** Secret shared with a TURN server: time-limited credentials per user (credentials.ts). */
  secret?: string;
  /** Fixed credentials given to every local user instead (when there is no secret). */
  username?: string;
  password?: string;
}

export interface Issued {
  username: string;
  password: string;
  /** Unix seconds; absent for fixed credentials. */
  expiry?: number;
}

/** The credentials `user` gets for a service, or null when it needs none. */
export function credentialsFor(s: ServiceConfig, user: string, nowMs: number, ttlSeconds: number): Issued | null {
  if (s.secret) return turnCredentials(s.secret, user, nowMs, ttlSeconds);
  if (s.username !== undefined && s.password !== undefined) return { username: s.username, password: s.password };
  return null;
}

/**
 * One <service/>: the §2 attributes, with credentials when the service has any. Those services are marked
 * restricted="1" (§2: credentials are required) and carry them already, so clients need no §3.3 round trip.
 */
export function serviceElement(s: ServiceConfig, issued: Issued | null): Element {
  return xml("service", {
    type: s.type,
    host: s.host,
    port: s.port === undefined ? undefined : String(s.port),
    transport: s.transport,
    name: s.name,
    restricted: issued ? "1" : undefined,
    username: issued?.username,
    password: issued?.password,
    expires: issued?.expiry === undefined ? undefined : xep0082(issued.expiry),
  });
}

/** §3.1 / §3.2: every service, or those of one type (the type is echoed on <services/>). */
export function servicesResult(all: readonly ServiceConfig[], type: string | undefined, user: string, nowMs: number, ttlSeconds: number): Element {
  const chosen = type ? all.filter((s) => s.type === type) : all;
  return xml("services", { xmlns: NS, type }, chosen.map((s) => serviceElement(s, credentialsFor(s, user, nowMs, ttlSeconds))));
}

/** §3.3: the services a <credentials/> request names (host and type, and port when given) that have credentials. */
export function matchCredentials(all: readonly ServiceConfig[], want: { host?: string; type?: string; port?: string }): ServiceConfig[] {
  return all.filter((s) => s.host === want.host && s.type === want.type &&
    (want.port === undefined || String(s.port) === want.port) &&
    (s.secret !== undefined || (s.username !== undefined && s.password !== undefined)));
}
