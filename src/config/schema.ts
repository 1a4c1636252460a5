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

export const listenerSchema = z.strictObject({
  /** c2s: STARTTLS on a plain socket (5222); c2s-tls: Direct TLS, XEP-0368 (5223). */
  kind: z.enum(["c2s", "c2s-tls"]),
  port,
  address: z.string().default("::"),
  /**
   * Allow streams without TLS and SASL PLAIN over them. Only for loopback testing and benchmarks:
   * off by default, and the server logs a warning when it is on.
   */
  allowPlaintext: z.boolean().default(false),
});

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

export const storageSchema = z.discriminatedUnion("driver", [
  z.strictObject({
    driver: z.literal("sqlite"),
    /** Database file, relative to dataDir. */
    file: z.string().default("palaver.db"),
  }),
]);

export const configSchema = z.strictObject({
  /** The domains this server serves, each with its options. */
  hosts: z.record(domain, hostSchema.default({ admins: [] })).default({ localhost: { admins: [] } })
    .refine((h) => Object.keys(h).length > 0, { message: "at least one host is required" }),
  listeners: z.array(listenerSchema).default([
    { kind: "c2s", port: 5222, address: "::", allowPlaintext: false },
    { kind: "c2s-tls", port: 5223, address: "::", allowPlaintext: false },
  ]),
  /** Where databases and uploaded files live (relative paths are relative to the config file). */
  dataDir: z.string().default("data"),
  /** Where self-signed certificates are made and found. */
  certsDir: z.string().default("certs"),
  storage: storageSchema.default({ driver: "sqlite", file: "palaver.db" }),
  auth: authSchema.default(authSchema.parse({})),
  limits: limitsSchema.default(limitsSchema.parse({})),
  log: z.strictObject({ level: z.enum(["debug", "info", "warn", "error"]).default("info") }).default({ level: "info" }),
  /** Enabled modules by id, each with its options (an empty value takes every default). */
  modules: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()).default({}),
});

export type Config = z.infer<typeof configSchema>;
export type HostConfig = z.infer<typeof hostSchema>;
export type ListenerConfig = z.infer<typeof listenerSchema>;
export type Limits = z.infer<typeof limitsSchema>;
