/**
 * The SASL mechanisms Palaver offers (RFC 6120 §6), strongest first: the receiving entity lists them in order of
 * preference (§6.3.3), and clients generally take the first they support.
 */
import { externalMechanism } from "./external.js";
import { plainMechanism } from "./plain.js";
import { scramMechanism } from "./scram.js";
import type { SaslContext, SaslMechanism } from "./types.js";

export interface SaslOptions {
  /** `auth.scramIterations`: what an unknown username appears to have, so it looks like a real account. */
  decoyIterations?: number;
  /** Secret for the decoy salts of unknown usernames; give every cluster node the same one. */
  decoySecret?: Uint8Array;
  /** The server's part of SCRAM nonces (tests only). */
  serverNonce?: () => string;
}

/** SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN. */
export function mechanisms(options: SaslOptions = {}): SaslMechanism[] {
  const { decoyIterations, decoySecret, serverNonce } = options;
  const scram = { decoyIterations, decoySecret, serverNonce };
  return [
    scramMechanism("SHA-256", true, scram),
    scramMechanism("SHA-1", true, scram),
    scramMechanism("SHA-256", false, scram),
    scramMechanism("SHA-1", false, scram),
    plainMechanism({ decoyIterations, decoySecret }),
  ];
}

/**
 * What server-to-server streams offer (RFC 6120 §6, XEP-0178 §3): EXTERNAL, available only when the peer's
 * certificate validates for the domain it claims; otherwise peers fall back to Server Dialback (XEP-0220).
 */
export function s2sMechanisms(): SaslMechanism[] {
  return [externalMechanism()];
}

export { externalMechanism, type ExternalContext } from "./external.js";

const defaults = mechanisms();

/** A mechanism by its (case-sensitive, RFC 4422 §3.1) name, from `list` or the default set. */
export function findMechanism(name: string, list: readonly SaslMechanism[] = defaults): SaslMechanism | undefined {
  return list.find((m) => m.name === name);
}

/** Names to list in <mechanisms/> on this stream, in order of preference. */
export function offeredMechanisms(ctx: SaslContext, allowPlaintext: boolean, list: readonly SaslMechanism[] = defaults): string[] {
  return list.filter((m) => m.available(ctx, allowPlaintext)).map((m) => m.name);
}
