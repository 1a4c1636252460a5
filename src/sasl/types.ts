/**
 * SASL (RFC 4422, RFC 6120 §6) as the stream sees it: a mechanism is chosen by name, then driven step by
 * step with the client's decoded data until it succeeds or fails.
 */
import type { StoredCredentials } from "../storage/types.js";

/** RFC 6120 §6.5 failure conditions. */
export type SaslFailureCondition =
  | "aborted" | "account-disabled" | "credentials-expired" | "encryption-required" | "incorrect-encoding"
  | "invalid-authzid" | "invalid-mechanism" | "malformed-request" | "mechanism-too-weak" | "not-authorized"
  | "temporary-auth-failure";

/** Channel binding types Palaver supports (RFC 9266, RFC 5929 §3 and §4), advertised per XEP-0440. */
export type ChannelBindingType = "tls-exporter" | "tls-unique" | "tls-server-end-point";

/** The TLS connection's channel binding data, or null when the stream is not encrypted. */
export interface ChannelBinding {
  /** Types this TLS connection can provide (tls-exporter only on TLS 1.3, RFC 9266 §4.2). */
  readonly types: readonly ChannelBindingType[];
  data(type: ChannelBindingType): Buffer | null;
}

export interface SaslContext {
  readonly host: string;
  readonly ip: string;
  readonly secure: boolean;
  readonly channelBinding: ChannelBinding | null;
  /** Look up an account's stored keys by its prepared username on `host`. */
  lookup(username: string): Promise<StoredCredentials | undefined>;
}

export type SaslStep =
  | { kind: "challenge"; data: Buffer }
  /** `username` is the prepared localpart that authenticated; `data` the additional data with success. */
  | { kind: "success"; username: string; data?: Buffer }
  /**
   * `username` when known, so failures can be throttled per account. `wrongPassword` is set only when a
   * password (or SCRAM proof) was checked and did not match: only those are guesses that login throttling
   * counts, not protocol mismatches such as an unsupported channel binding type.
   */
  | { kind: "failure"; condition: SaslFailureCondition; text?: string; username?: string; wrongPassword?: true };

export interface SaslExchange {
  step(input: Buffer): Promise<SaslStep>;
}

export interface SaslMechanism {
  readonly name: string;
  /** Whether to offer it on this stream (PLAIN needs TLS, -PLUS needs channel binding). */
  available(ctx: SaslContext, allowPlaintext: boolean): boolean;
  start(ctx: SaslContext): SaslExchange;
}
