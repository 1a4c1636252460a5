/**
 * PLAIN (RFC 4616): one client message `[authzid] NUL authcid NUL passwd`, checked against the account's
 * SCRAM-SHA-256 keys. The password travels in the clear inside the stream, so the mechanism is offered only on
 * encrypted streams, or where a listener explicitly allows plaintext (loopback tests, benchmarks).
 */
import { parseJid, prepLocal } from "../jid.js";
import { decodeUtf8 } from "./base64.js";
import { DEFAULT_DECOY_ITERATIONS, checkPassword, decodeKeys, decoyKeys } from "./credentials.js";
import type { SaslContext, SaslExchange, SaslFailureCondition, SaslMechanism, SaslStep } from "./types.js";

/**
 * RFC 4616 §2: servers MUST accept authzid, authcid and passwd of up to 255 octets each; a localpart may be
 * 1023 bytes (RFC 7622 §3.3) and an authzid a whole bare JID, so allow more, but not without bound.
 */
export const MAX_PLAIN_BYTES = 4096;

export interface PlainOptions {
  /** As for SCRAM: iterations and secret of the decoy keys used for usernames without an account. */
  decoyIterations?: number;
  decoySecret?: Uint8Array;
}

type Failure = Extract<SaslStep, { kind: "failure" }>;
const failure = (condition: SaslFailureCondition, text: string, username?: string): Failure =>
  username === undefined ? { kind: "failure", condition, text } : { kind: "failure", condition, text, username };

class PlainExchange implements SaslExchange {
  private state: "start" | "prompted" | "done" = "start";
  private busy = false;
  private username: string | undefined;

  constructor(private readonly ctx: SaslContext, private readonly options: PlainOptions) {}

  async step(input: Buffer): Promise<SaslStep> {
    if (this.state === "done") return failure("malformed-request", "the exchange is over");
    if (this.busy) return failure("malformed-request", "a step is already in progress");
    if (input.length === 0 && this.state === "start") {
      // No initial response: ask for the message with an empty challenge (RFC 4422 §5 2a, RFC 6120 §6.4.2).
      this.state = "prompted";
      return { kind: "challenge", data: Buffer.alloc(0) };
    }
    this.busy = true;
    try {
      return await this.verify(input);
    } catch {
      return failure("temporary-auth-failure", "authentication is unavailable", this.username);
    } finally {
      this.busy = false;
      this.state = "done";
    }
  }

  private async verify(input: Buffer): Promise<SaslStep> {
    if (input.length > MAX_PLAIN_BYTES) return failure("malformed-request", "message too long");
    // message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 §2); NUL appears nowhere else.
    const first = input.indexOf(0);
    const second = first === -1 ? -1 : input.indexOf(0, first + 1);
    if (second === -1 || input.indexOf(0, second + 1) !== -1) {
      return failure("malformed-request", "expected authzid NUL authcid NUL password");
    }
    const authzid = decodeUtf8(input.subarray(0, first));
    const authcid = decodeUtf8(input.subarray(first + 1, second));
    const password = decodeUtf8(input.subarray(second + 1));
    if (authzid === null || authcid === null || password === null) {
      return failure("incorrect-encoding", "message is not UTF-8");
    }
    if (authcid.length === 0 || password.length === 0) return failure("malformed-request", "empty authcid or password");

    const prepared = prepLocal(authcid);
    if (!prepared.ok) return failure("not-authorized", "invalid username");
    const username = prepared.value;
    this.username = username;

    const stored = await this.ctx.lookup(username);
    const real = decodeKeys("SHA-256", stored?.["SCRAM-SHA-256"]);
    // Unknown usernames run the same PBKDF2 against decoy keys, so they cost and answer like a wrong password.
    const keys = real ??
      decoyKeys("SHA-256", username, this.options.decoyIterations ?? DEFAULT_DECOY_ITERATIONS, this.options.decoySecret);
    const matches = await checkPassword("SHA-256", password, keys);
    if (!matches || real === null) return { ...failure("not-authorized", "invalid credentials", username), wrongPassword: true };

    // RFC 4616 §2 and RFC 6120 §6.3.8: an authzid is accepted only when it names the account itself.
    if (authzid !== "") {
      const jid = parseJid(authzid);
      if (!jid.ok || !jid.jid.isBare() || jid.jid.local !== username || jid.jid.domain !== this.ctx.host) {
        return failure("invalid-authzid", "authzid must be the account's own bare JID", username);
      }
    }
    return { kind: "success", username };
  }
}

export function plainMechanism(options: PlainOptions = {}): SaslMechanism {
  return {
    name: "PLAIN",
    available: (ctx, allowPlaintext) => ctx.secure || allowPlaintext,
    start: (ctx) => new PlainExchange(ctx, options),
  };
}
