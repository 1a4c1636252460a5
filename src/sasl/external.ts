/**
 * EXTERNAL (RFC 4422 Appendix A) with certificates, as XEP-0178 profiles it: the identity was established
 * outside SASL (here by the TLS peer's certificate), and the one client message is an optional authorization
 * identity. For server-to-server streams (XEP-0178 §3) the certified identity is the domain in the stream
 * header's 'from', offered only when the certificate validates for it (RFC 6125); an authorization identity,
 * when given, must be that same domain. Success names the authorized identity in `username`.
 */
import { decodeUtf8 } from "./base64.js";
import type { SaslContext, SaslExchange, SaslFailureCondition, SaslMechanism, SaslStep } from "./types.js";

/** What EXTERNAL needs besides the usual SASL context. */
export interface ExternalContext extends SaslContext {
  /**
   * The identity the peer's certificate proves for this stream, or null when there is none (no certificate,
   * not trusted, or not naming the identity claimed): then EXTERNAL is not offered, and fails if tried.
   */
  readonly certifiedIdentity: string | null;
}

const failure = (condition: SaslFailureCondition, text: string): SaslStep => ({ kind: "failure", condition, text });

class ExternalExchange implements SaslExchange {
  private done = false;

  constructor(private readonly ctx: ExternalContext, private readonly sameIdentity: (a: string, b: string) => boolean) {}

  async step(input: Buffer): Promise<SaslStep> {
    if (this.done) return failure("malformed-request", "the exchange is over");
    this.done = true;
    const authzid = decodeUtf8(input);
    if (authzid === null) return failure("incorrect-encoding", "authorization identity is not UTF-8");
    const certified = this.ctx.certifiedIdentity;
    if (certified === null) return failure("not-authorized", "no certificate that validates for this identity");
    // XEP-0178 §3 step 11: an authorization identity other than the certified one is refused.
    if (authzid !== "" && !this.sameIdentity(authzid, certified)) {
      return failure("invalid-authzid", "the authorization identity is not the certified one");
    }
    return { kind: "success", username: certified };
  }
}

/**
 * The EXTERNAL mechanism. `sameIdentity` compares a requested authorization identity with the certified one
 * (for domains: after preparation, case-insensitively).
 */
export function externalMechanism(
  sameIdentity: (requested: string, certified: string) => boolean = (a, b) => a.toLowerCase() === b.toLowerCase(),
): SaslMechanism & { start(ctx: ExternalContext): SaslExchange } {
  return {
    name: "EXTERNAL",
    // Offered on encrypted streams whose peer certificate proves an identity (RFC 6120 §6.3.4).
    available: (ctx) => ctx.secure && (ctx as Partial<ExternalContext>).certifiedIdentity != null,
    start: (ctx: SaslContext) => new ExternalExchange(ctx as ExternalContext, sameIdentity),
  };
}
