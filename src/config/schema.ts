/**
 * The core's configuration schema. Every option has a default, so an empty file is a working server for
 * `localhost`. Module sections under `modules:` are validated by each module's own schema at boot.
 */
import { z } from "zod";
import { prepDomain } from "../jid.js";

const domain = z.string().refine((d) => prepDomain(d).ok, { message: "not a valid domain name" });
const port = z.number().int().min(0).max(65535);
const seconds = z.number().positive();

export const tlsFilesSchema = z.strictObject({
  /** PEM certificate chain (e.g. Let's Encrypt's fullchain.pem). */
  cert: z.string(),
  /** PEM private key. */
  key: z.string(),
});

export const hostSchema = z.strictObject({
  /** Bare JIDs of this host's administrators. */
  admins: z.array(z.string()).default([]),
  /** Certificate for this domain; without it a self-signed one is made in certsDir on first start. */
  tls: tlsFilesSchema.optional(),
});

/** The XMPP listeners: c2s: STARTTLS on a plain socket (5222); c2s-tls: Direct TLS, XEP-0368 (5223). */
export const c2sListenerSchema = z.strictObject({
  kind: z.enum(["c2s", "c2s-tls"]),
  port,
  address: z.string().default("::"),
  /**
   * Allow streams without TLS and SASL PLAIN over them. Only for loopback testing and benchmarks:
   * off by default, and the server logs a warning when it is on.
   */
  allowPlaintext: z.boolean().default(false),
});

/** A URL path: starts with "/", no query or fragment. */
const urlPath = z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, { message: "must be a URL path starting with /" });
const webUrl = (schemes: string[]) => z.string().refine((u) => {
  try {
    return schemes.includes(new URL(u).protocol);
  } catch {
    return false;
  }
}, { message: `must be an absolute ${schemes.map((s) => s.slice(0, -1)).join(" or ")} URL` });

export const websocketOptionsSchema = z.strictObject({
  /** XMPP over WebSocket (RFC 7395). */
  enabled: z.boolean().default(true),
  path: urlPath.default("/xmpp-websocket"),
  /** RFC 7395 §3.6.1: send every client to this endpoint instead (a ws://, wss://, http:// or https:// URL). */
  seeOtherUri: webUrl(["ws:", "wss:", "http:", "https:"]).optional(),
  /** Seconds between WebSocket pings; a connection that has not answered the previous ping is closed. */
  pingInterval: seconds.default(30),
});

export const boshOptionsSchema = z.strictObject({
  /** XMPP over BOSH (XEP-0124, XEP-0206). */
  enabled: z.boolean().default(true),
  path: urlPath.default("/http-bind"),
  /** XEP-0124 see-other-uri: send every new session to this http:// or https:// URL instead. */
  seeOtherUri: webUrl(["http:", "https:"]).optional(),
  /** Longest time, in seconds, a request is held waiting for data (the client's 'wait' is capped to it). */
  maxWait: z.number().int().min(1).max(600).default(60),
  /** Most requests held at once per session (the client's 'hold' is capped to it). */
  maxHold: z.number().int().min(1).max(8).default(2),
  /** Seconds without any pending request after which a session is ended (XEP-0124 'inactivity'). */
  inactivity: z.number().int().min(5).max(3600).default(60),
  /** Longest pause, in seconds, a client may ask for (XEP-0124 'maxpause'; 0: pauses are not offered). */
  maxPause: z.number().int().min(0).max(3600).default(120),
  /** Shortest interval, in seconds, between two empty requests of a polling session (XEP-0124 'polling'). */
  polling: z.number().int().min(0).max(60).default(2),
});

export const httpLimitsSchema = z.strictObject({
  /** Largest request head (request line and headers), in bytes; a larger one gets HTTP 431. */
  maxHeaderBytes: z.number().int().min(1024).max(1024 * 1024).default(16 * 1024),
  /** Largest request body (a BOSH <body/>), in bytes; a larger one gets HTTP 413. */
  maxBodyBytes: z.number().int().min(1024).default(512 * 1024),
  /** Requests handled at once on this listener, long polls included; more get HTTP 503. */
  maxConcurrentRequests: z.number().int().min(1).default(1000),
  /** Seconds a client has to send a whole request (head and body). */
  requestTimeout: seconds.default(30),
});

const webListenerOptions = {
  port,
  address: z.string().default("::"),
  /**
   * The public base URL when a reverse proxy stands in front (e.g. https://chat.example.org): used for the
   * links in host-meta and the web chat's endpoints.
   */
  publicUrl: webUrl(["http:", "https:"]).optional(),
  /** Addresses of reverse proxies whose X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host are believed. */
  trustedProxies: z.array(z.string()).default(["127.0.0.1", "::1"]),
  /**
   * Web pages allowed to use WebSocket and BOSH from a browser, as origins ("https://app.example.org"), besides
   * pages served by this same host; "*" allows any page.
   */
  origins: z.array(z.string()).default([]),
  websocket: websocketOptionsSchema.default(websocketOptionsSchema.parse({})),
  bosh: boshOptionsSchema.default(boshOptionsSchema.parse({})),
  /** The Converse.js web chat at "/": true, false, or the URL of a web chat elsewhere that "/" redirects to. */
  webClient: z.union([z.boolean(), webUrl(["http:", "https:"])]).default(true),
  limits: httpLimitsSchema.default(httpLimitsSchema.parse({})),
};

/** HTTP: WebSocket, BOSH, host-meta and the web chat without TLS (5280). */
export const httpListenerSchema = z.strictObject({
  kind: z.literal("http"),
  ...webListenerOptions,
  /**
   * Let clients from this same machine (loopback addresses, not relayed by a proxy) log in over plain ws:// and
   * http:// BOSH, so the web chat works on http://localhost out of the box. Their traffic never leaves the machine.
   */
  allowPlaintextFromLoopback: z.boolean().default(true),
  /** Let ANY client log in without TLS. Only for tests: the server logs a warning when it is on. */
  allowPlaintext: z.boolean().default(false),
});

/** HTTPS: the same services over TLS (5443), with the XMPP domains' certificates picked by SNI. */
export const httpsListenerSchema = z.strictObject({
  kind: z.literal("https"),
  ...webListenerOptions,
  /** Always false: every request on this listener is encrypted. */
  allowPlaintext: z.literal(false).default(false),
});

/**
 * Server-to-server listeners (federation, RFC 6120): s2s: STARTTLS on a plain socket (5269); s2s-tls: Direct TLS
 * (XEP-0368, ALPN "xmpp-server", 5270). Whether TLS is required is the `s2s.requireEncryption` policy.
 */
export const s2sListenerSchema = z.strictObject({
  kind: z.enum(["s2s", "s2s-tls"]),
  port,
  address: z.string().default("::"),
  /** Always false: unencrypted server-to-server streams are governed by `s2s.requireEncryption`. */
  allowPlaintext: z.literal(false).default(false),
});

/**
 * External components (XEP-0114 "jabber:component:accept", e.g. 5347). The protocol has no TLS: keep the listener
 * on a loopback or private address.
 */
export const componentListenerSchema = z.strictObject({
  kind: z.literal("component"),
  port,
  address: z.string().default("127.0.0.1"),
  /** Always true: XEP-0114 streams are not encrypted (the server warns at start, like for any such listener). */
  allowPlaintext: z.literal(true).default(true),
});

export const listenerSchema = z.discriminatedUnion("kind", [
  c2sListenerSchema, httpListenerSchema, httpsListenerSchema, s2sListenerSchema, componentListenerSchema,
]);

export const limitsSchema = z.strictObject({
  /** Largest stanza accepted, in bytes (a larger one is a policy-violation stream error). */
  maxStanzaBytes: z.number().int().min(1024).default(256 * 1024),
  /** Deepest element nesting inside a stanza. */
  maxDepth: z.number().int().min(4).max(1000).default(64),
  /** Most attributes on one element. */
  maxAttributes: z.number().int().min(4).default(64),
  /** Seconds a connection may take from TCP accept to a bound resource. */
  negotiationTimeout: seconds.default(60),
  /** Seconds of silence after which an authenticated client is disconnected (whitespace pings count). */
  idleTimeout: seconds.default(600),
  /** Connections accepted at once from one IP address. */
  maxConnectionsPerIp: z.number().int().min(1).default(200),
});

export const authSchema = z.strictObject({
  /** PBKDF2 iterations for new SCRAM keys (RFC 5802 §5.1, at least 4096 per RFC 7677). */
  scramIterations: z.number().int().min(4096).max(10_000_000).default(4096),
  /** Failed logins allowed per IP / per account within `throttleWindow` before delays begin. */
  throttleFreeFailures: z.number().int().min(1).default(5),
  /** Seconds over which failures are counted; delays never exceed this, so nobody is locked out forever. */
  throttleWindow: seconds.default(300),
});

/** A fixed address for a remote domain, bypassing DNS (closed networks, tests). */
export const s2sRouteSchema = z.strictObject({
  host: z.string().min(1),
  port: port.default(5269),
  /** TLS from the first byte (XEP-0368) instead of STARTTLS. */
  directTls: z.boolean().default(false),
});

/** Federation (RFC 6120 server-to-server, XEP-0220 dialback, XEP-0178 EXTERNAL, XEP-0288 bidi, XEP-0368). */
export const s2sSchema = z.strictObject({
  /**
   * Federate with other servers. Default: on when an s2s or s2s-tls listener is configured. Off, stanzas to
   * other domains bounce with remote-server-not-found and the s2s listeners refuse streams.
   */
  enabled: z.boolean().optional(),
  /** TLS on every server-to-server stream, both ways (RFC 7590 §3.2 and RFC 6120 §13.8 recommend it). */
  requireEncryption: z.boolean().default(true),
  /**
   * Accept and use only certificates that validate (PKIX chain to a trusted CA and the domain's name, RFC 6125):
   * peers then authenticate with SASL EXTERNAL (XEP-0178), and dialback is refused. Off (the interoperable
   * default, like Prosody's s2s_secure_auth = false), dialback over TLS stands in for a certificate that does not
   * validate: the stream is encrypted, but the peer's identity rests on DNS.
   */
  requireValidCertificates: z.boolean().default(false),
  /** Server Dialback (XEP-0220) with peers whose certificates do not validate (ignored when requireValidCertificates). */
  dialback: z.boolean().default(true),
  /** Bidirectional streams (XEP-0288): one connection carries stanzas both ways when the peer supports it. */
  bidi: z.boolean().default(true),
  /**
   * Secret for dialback keys (XEP-0185: HMAC-SHA256 keyed by its SHA-256). Give every node of a cluster the same
   * one; without it a random secret is made at each start (keys then only verify while the server runs).
   */
  dialbackSecret: z.string().min(16).optional(),
  /** Trust the system's CA certificates (Node's bundled Mozilla list) for peers' certificates. */
  systemCAs: z.boolean().default(true),
  /** More trusted CA certificates: PEM files (relative to the config file). */
  trustedCAs: z.array(z.string()).default([]),
  /** Fixed addresses per remote domain, used instead of DNS SRV (RFC 6120 §3.2) for those domains. */
  routes: z.record(domain, s2sRouteSchema).default({}),
  /** DNS servers for SRV and address look-ups ("ip" or "ip:port"); empty: the system's. */
  dnsServers: z.array(z.string()).default([]),
  /** Seconds one DNS query may take before it counts as failed (then the next step of RFC 6120 §3.2.1). */
  dnsTimeout: seconds.default(3),
  /**
   * Seconds a new connection has to resolve, connect, secure and authenticate. Stanzas wait meanwhile and,
   * past it, bounce with remote-server-timeout (remote-server-not-found when the domain does not resolve or
   * nobody answers).
   */
  connectTimeout: seconds.default(30),
  /** Seconds without traffic after which a server-to-server connection is closed (reopened on demand). */
  idleTimeout: seconds.default(300),
  /** Stanzas queued per remote domain while its connection is being set up; more bounce with resource-constraint. */
  maxQueue: z.number().int().min(1).default(1000),
});

/** An external component's domain and the shared secret of its handshake (XEP-0114 §3). */
export const componentSchema = z.strictObject({
  secret: z.string().min(1),
  /** A name for it in the server's disco#items. */
  name: z.string().optional(),
});

const postgresUrl = z.string().refine((u) => {
  try {
    return ["postgres:", "postgresql:"].includes(new URL(u).protocol);
  } catch {
    return false;
  }
}, { message: 'must be a postgres:// URL, e.g. "postgres://palaver:secret@db.example.com:5432/palaver"' });
const sqlSchemaName = z.string().refine((s) => /^[a-z_][a-z0-9_]{0,62}$/.test(s), {
  message: "must be a schema name: lower-case letters, digits and _, not starting with a digit, at most 63 characters",
});

export const storageSchema = z.discriminatedUnion("driver", [
  z.strictObject({
    driver: z.literal("sqlite"),
    /** Database file, relative to dataDir. */
    file: z.string().default("palaver.db"),
  }),
  z.strictObject({
    driver: z.literal("postgres"),
    /** postgres://user:password@host:port/database; libpq options such as ?sslmode=require may follow. */
    url: postgresUrl,
    /** The schema of Palaver's tables, created when missing; default: the connection's current schema (public). */
    schema: sqlSchemaName.optional(),
    /** Most connections this node opens at once. */
    poolSize: z.number().int().min(1).max(1000).default(10),
  }),
]);

export const configSchema = z.strictObject({
  /** The domains this server serves, each with its options. */
  hosts: z.record(domain, hostSchema.default({ admins: [] })).default({ localhost: { admins: [] } })
    .refine((h) => Object.keys(h).length > 0, { message: "at least one host is required" }),
  listeners: z.array(listenerSchema).default(() => [
    c2sListenerSchema.parse({ kind: "c2s", port: 5222 }),
    c2sListenerSchema.parse({ kind: "c2s-tls", port: 5223 }),
    httpListenerSchema.parse({ kind: "http", port: 5280 }),
    httpsListenerSchema.parse({ kind: "https", port: 5443 }),
  ]),
  /** Where databases and uploaded files live (relative paths are relative to the config file). */
  dataDir: z.string().default("data"),
  /** Where self-signed certificates are made and found. */
  certsDir: z.string().default("certs"),
  storage: storageSchema.default({ driver: "sqlite", file: "palaver.db" }),
  auth: authSchema.default(authSchema.parse({})),
  limits: limitsSchema.default(limitsSchema.parse({})),
  log: z.strictObject({ level: z.enum(["debug", "info", "warn", "error"]).default("info") }).default({ level: "info" }),
  s2s: s2sSchema.default(s2sSchema.parse({})),
  /** External components (XEP-0114) by domain; they connect to a `component` listener. */
  components: z.record(domain, componentSchema).default({}),
  /** Enabled modules by id, each with its options (an empty value takes every default). */
  modules: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()).default({}),
});

export type Config = z.infer<typeof configSchema>;
export type StorageConfig = z.infer<typeof storageSchema>;
export type HostConfig = z.infer<typeof hostSchema>;
export type ListenerConfig = z.infer<typeof listenerSchema>;
export type C2sListenerConfig = z.infer<typeof c2sListenerSchema>;
export type BoshOptions = z.infer<typeof boshOptionsSchema>;
export type WebsocketOptions = z.infer<typeof websocketOptionsSchema>;
export type HttpListenerConfig = z.infer<typeof httpListenerSchema> | z.infer<typeof httpsListenerSchema>;
export type Limits = z.infer<typeof limitsSchema>;
export type S2sConfig = z.infer<typeof s2sSchema>;
export type S2sRoute = z.infer<typeof s2sRouteSchema>;
export type ComponentConfig = z.infer<typeof componentSchema>;
