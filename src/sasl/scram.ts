/**
 * SCRAM server (RFC 5802 §5 and §7; RFC 7677 for SHA-256) with channel binding (RFC 5802 §6, RFC 5056):
 * SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants.
 *
 *   C: gs2-header client-first-message-bare            n,,n=user,r=<c-nonce>
 *   S: server-first-message                             r=<c-nonce><s-nonce>,s=<salt>,i=<count>
 *   C: client-final-message                             c=<base64(gs2-header [cbind-data])>,r=<nonce>,p=<proof>
 *   S: server-final-message (success additional data)   v=<ServerSignature>
 *
 * The SCRAM username is the XMPP localpart (RFC 6120 §6.3.7 "simple user name"), prepared as one (RFC 7622
 * §3.3, UsernameCaseMapped). A username without an account gets decoy keys and walks every step to the same
 * not-authorized a wrong password gets (RFC 6120 §6.5.10: no directory harvesting).
 */
import { timingSafeEqual } from "node:crypto";
import { parseJid, prepLocal } from "../jid.js";
import { randomId } from "../random-id.js";
import { decodeBase64, decodeUtf8 } from "./base64.js";
import { offersChannelBinding } from "./channel-binding.js";
import {
  DEFAULT_DECOY_ITERATIONS, decodeKeys, decoyKeys, h, hashBytes, hmac, type DecodedKeys, type ScramHash,
} from "./credentials.js";
import type {
  ChannelBindingType, SaslContext, SaslExchange, SaslFailureCondition, SaslMechanism, SaslStep,
} from "./types.js";

/** Longest client message accepted (a 1023-byte localpart fully escaped, an authzid, a nonce, cb data). */
export const MAX_MESSAGE_BYTES = 8192;
/** Longest client nonce accepted; RFC 5802 sets none, real clients send 16 to 48 characters. */
export const MAX_NONCE_CHARS = 1024;
/** Random bytes in the server's part of the nonce (base64url encoded, so printable and comma-free). */
export const SERVER_NONCE_BYTES = 18;

export interface ScramOptions {
  /** The server's part of the nonce; tests inject the RFC vectors' values. Must be printable ASCII without ",". */
  serverNonce?: () => string;
  /** Count announced for unknown usernames: set it to `auth.scramIterations` so they look like new accounts. */
  decoyIterations?: number;
  /** Secret the decoy salts are derived from; share one across cluster nodes so they answer alike. */
  decoySecret?: Uint8Array;
}

// From the process's pool of CSPRNG bytes (random-id.ts): as unpredictable as randomBytes, without a call per login.
const randomServerNonce = () => randomId(SERVER_NONCE_BYTES);

type Failure = Extract<SaslStep, { kind: "failure" }>;
const failure = (condition: SaslFailureCondition, text: string, username?: string): Failure =>
  username === undefined ? { kind: "failure", condition, text } : { kind: "failure", condition, text, username };

type CbindFlag = { kind: "n" } | { kind: "y" } | { kind: "p"; name: string };

interface ClientFirst {
  flag: CbindFlag;
  /** Decoded authzid, "" when absent. */
  authzid: string;
  /** The gs2-header exactly as received, for the c= check. */
  gs2Header: string;
  /** client-first-message-bare exactly as received, for the AuthMessage. */
  bare: string;
  /** Decoded (not yet prepared) username. */
  username: string;
  nonce: string;
}

const CB_NAME = /^[A-Za-z0-9.-]+$/;                  // cb-name, RFC 5802 §7
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;         // printable: ASCII without ","
const EXTENSION = /^[A-Za-z]=[^\0,]+$/;              // attr-val with a value of value-chars

/** saslname (RFC 5802 §7): "=2C" is ",", "=3D" is "=", any other "=" fails the exchange (§5.1). */
function decodeSaslname(s: string): string | null {
  if (s.length === 0 || s.includes("\0")) return null;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== "=") {
      out += ch;
      continue;
    }
    const code = s.slice(i + 1, i + 3);
    if (code === "2C") out += ",";
    else if (code === "3D") out += "=";
    else return null;
    i += 2;
  }
  return out;
}

/** client-first-message = gs2-header client-first-message-bare (RFC 5802 §7). */
function parseClientFirst(msg: string): ClientFirst | Failure {
  let flag: CbindFlag;
  let at: number;
  if ((msg[0] === "n" || msg[0] === "y") && msg[1] === ",") {
    flag = { kind: msg[0] };
    at = 2;
  } else if (msg.startsWith("p=")) {
    // §5: the message must start with "n", "y" or "p"; anything else fails, which keeps GS2 extensible.
    const comma = msg.indexOf(",", 2);
    const name = comma === -1 ? "" : msg.slice(2, comma);
    if (!CB_NAME.test(name)) return failure("malformed-request", "invalid channel binding name");
    flag = { kind: "p", name };
    at = comma + 1;
  } else {
    return failure("malformed-request", "invalid GS2 channel binding flag");
  }
  let authzid = "";
  if (msg.startsWith("a=", at)) {
    const comma = msg.indexOf(",", at);
    const decoded = comma === -1 ? null : decodeSaslname(msg.slice(at + 2, comma));
    if (decoded === null) return failure("malformed-request", "invalid authzid encoding");
    authzid = decoded;
    at = comma;
  }
  if (msg[at] !== ",") return failure("malformed-request", "invalid GS2 header");
  const gs2Header = msg.slice(0, at + 1);
  const bare = msg.slice(at + 1);
  const attrs = bare.split(",");
  if (attrs[0]?.startsWith("m=")) return failure("malformed-request", "mandatory extensions are not supported");
  if (!attrs[0]?.startsWith("n=")) return failure("malformed-request", "username expected");
  const username = decodeSaslname(attrs[0].slice(2));
  if (username === null) return failure("malformed-request", "invalid username encoding");
  if (!attrs[1]?.startsWith("r=")) return failure("malformed-request", "nonce expected");
  const nonce = attrs[1].slice(2);
  if (!PRINTABLE.test(nonce) || nonce.length > MAX_NONCE_CHARS) return failure("malformed-request", "invalid nonce");
  // Unknown optional extensions are ignored (§5.1), but must still be well-formed.
  if (!attrs.slice(2).every((a) => EXTENSION.test(a))) return failure("malformed-request", "invalid attribute");
  return { flag, authzid, gs2Header, bare, username, nonce };
}

interface ClientFinal {
  withoutProof: string;
  channelBinding: string;
  nonce: string;
  proof: string;
}

/** client-final-message = channel-binding "," nonce ["," extensions] "," proof (RFC 5802 §7). */
function parseClientFinal(msg: string): ClientFinal | Failure {
  const attrs = msg.split(",");
  const last = attrs[attrs.length - 1]!;
  if (attrs.length < 3 || !attrs[0]!.startsWith("c=") || !attrs[1]!.startsWith("r=") || !last.startsWith("p=")) {
    return failure("malformed-request", "expected c=, r= and p= attributes");
  }
  if (!attrs.slice(2, -1).every((a) => EXTENSION.test(a) && !a.startsWith("m="))) {
    return failure("malformed-request", "invalid attribute");
  }
  return {
    withoutProof: msg.slice(0, msg.length - last.length - 1),
    channelBinding: attrs[0]!.slice(2),
    nonce: attrs[1]!.slice(2),
    proof: last.slice(2),
  };
}

const isFailure = (v: object): v is Failure => "kind" in v && (v as Failure).kind === "failure";

/** Bytes equal, in time that depends only on the lengths. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Pending {
  username: string;
  authzid: string;
  known: boolean;
  keys: DecodedKeys;
  /** base64 of this must equal c= of the client-final message: gs2-header + cbind-data (RFC 5802 §7). */
  cbindInput: Buffer;
  nonce: string;
  /** client-first-message-bare + "," + server-first-message + "," (the start of the AuthMessage, §3). */
  authPrefix: string;
}

class ScramExchange implements SaslExchange {
  private state: "first" | "final" | "done" = "first";
  private promptedForInitial = false;
  private busy = false;
  private pending: Pending | null = null;
  /** The prepared username once known, so every later failure can be throttled per account. */
  private username: string | undefined;

  constructor(
    private readonly hash: ScramHash,
    private readonly plus: boolean,
    private readonly ctx: SaslContext,
    private readonly options: ScramOptions,
  ) {}

  async step(input: Buffer): Promise<SaslStep> {
    if (this.state === "done") return failure("malformed-request", "the exchange is over");
    if (this.busy) return failure("malformed-request", "a step is already in progress");
    this.busy = true;
    try {
      const result = this.state === "first" ? await this.clientFirst(input) : this.clientFinal(input);
      if (result.kind !== "challenge") this.finish();
      return result;
    } catch {
      // Only storage can throw here (a bug elsewhere would surface in tests); never let it reach the stream.
      this.finish();
      return failure("temporary-auth-failure", "authentication is unavailable", this.username);
    } finally {
      this.busy = false;
    }
  }

  private finish(): void {
    this.state = "done";
    this.pending = null;
  }

  private async clientFirst(input: Buffer): Promise<SaslStep> {
    if (input.length === 0 && !this.promptedForInitial) {
      // No initial response: SCRAM is client-first, so ask for it with an empty challenge (RFC 4422 §5 2a).
      this.promptedForInitial = true;
      return { kind: "challenge", data: Buffer.alloc(0) };
    }
    if (input.length > MAX_MESSAGE_BYTES) return failure("malformed-request", "message too long");
    const text = decodeUtf8(input);
    if (text === null) return failure("incorrect-encoding", "message is not UTF-8");
    const first = parseClientFirst(text);
    if (isFailure(first)) return first;

    const prepared = prepLocal(first.username);
    if (!prepared.ok) return failure("not-authorized", "invalid username");
    const username = prepared.value;
    this.username = username;

    const cbData = this.checkChannelBindingFlag(first.flag);
    if (cbData !== null && isFailure(cbData)) return { ...cbData, username };

    const stored = await this.ctx.lookup(username);
    const real = decodeKeys(this.hash, stored?.[`SCRAM-${this.hash}`]);
    const keys = real ??
      decoyKeys(this.hash, username, this.options.decoyIterations ?? DEFAULT_DECOY_ITERATIONS, this.options.decoySecret);

    const nonce = first.nonce + (this.options.serverNonce ?? randomServerNonce)();
    const serverFirst = `r=${nonce},s=${keys.salt.toString("base64")},i=${keys.iterations}`;
    this.pending = {
      username,
      authzid: first.authzid,
      known: real !== null,
      keys,
      cbindInput: Buffer.concat([Buffer.from(first.gs2Header, "utf8"), cbData ?? Buffer.alloc(0)]),
      nonce,
      authPrefix: `${first.bare},${serverFirst},`,
    };
    this.state = "final";
    return { kind: "challenge", data: Buffer.from(serverFirst, "utf8") };
  }

  /** RFC 5802 §6: which flags this mechanism accepts on this stream; the cbind-data for "p". */
  private checkChannelBindingFlag(flag: CbindFlag): Buffer | null | Failure {
    if (this.plus) {
      if (flag.kind !== "p") return failure("malformed-request", "-PLUS mechanisms require channel binding");
      const cb = this.ctx.channelBinding;
      const data = cb && cb.types.includes(flag.name as ChannelBindingType)
        ? cb.data(flag.name as ChannelBindingType) : null;
      return data ?? failure("not-authorized", `channel binding type ${flag.name} is not supported`);
    }
    if (flag.kind === "p") return failure("malformed-request", "channel binding requires a -PLUS mechanism");
    // "y": the client supports binding but thinks this server does not. If the server does offer it, the
    // mechanism list was tampered with (a downgrade attack) and authentication MUST fail.
    if (flag.kind === "y" && offersChannelBinding(this.ctx)) {
      return failure("not-authorized", "server does support channel binding");
    }
    return null;
  }

  private clientFinal(input: Buffer): SaslStep {
    const p = this.pending!;
    const username = p.username;
    if (input.length > MAX_MESSAGE_BYTES) return failure("malformed-request", "message too long", username);
    const text = decodeUtf8(input);
    if (text === null) return failure("incorrect-encoding", "message is not UTF-8", username);
    const final = parseClientFinal(text);
    if (isFailure(final)) return { ...final, username };

    const cbind = decodeBase64(final.channelBinding);
    const proof = decodeBase64(final.proof);
    if (!cbind || !proof) return failure("incorrect-encoding", "invalid base64", username);
    if (final.nonce !== p.nonce) return failure("not-authorized", "nonce mismatch", username);
    // §6: the server MUST always validate c=, rebuilding it from the gs2-header and its own binding data.
    if (!sameBytes(cbind, p.cbindInput)) return failure("not-authorized", "channel binding mismatch", username);
    if (proof.length !== hashBytes(this.hash)) return failure("malformed-request", "invalid proof length", username);

    // §3: ClientSignature := HMAC(StoredKey, AuthMessage); ClientKey := ClientProof XOR ClientSignature;
    // the proof is good when H(ClientKey) equals StoredKey.
    const authMessage = Buffer.from(p.authPrefix + final.withoutProof, "utf8");
    const clientSignature = hmac(this.hash, p.keys.storedKey, authMessage);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const proofMatches = timingSafeEqual(h(this.hash, clientKey), p.keys.storedKey);
    if (!proofMatches || !p.known) return { ...failure("not-authorized", "invalid credentials", username), wrongPassword: true };

    // §5 / RFC 6120 §6.3.8: an authzid is accepted only when it names the account itself.
    if (p.authzid !== "" && !this.isOwnJid(p.authzid, username)) {
      return failure("invalid-authzid", "authzid must be the account's own bare JID", username);
    }
    const serverSignature = hmac(this.hash, p.keys.serverKey, authMessage);
    return { kind: "success", username, data: Buffer.from(`v=${serverSignature.toString("base64")}`, "utf8") };
  }

  private isOwnJid(authzid: string, username: string): boolean {
    const parsed = parseJid(authzid);
    return parsed.ok && parsed.jid.isBare() && parsed.jid.local === username && parsed.jid.domain === this.ctx.host;
  }
}

/** A SCRAM mechanism for one hash function, plain or -PLUS. */
export function scramMechanism(hash: ScramHash, plus: boolean, options: ScramOptions = {}): SaslMechanism {
  return {
    name: `SCRAM-${hash}${plus ? "-PLUS" : ""}`,
    // RFC 5802 §4/§6: the -PLUS variant only where channel binding is offered; the bare one wherever the
    // stream may authenticate at all (TLS, or a listener explicitly allowing plaintext).
    available: (ctx, allowPlaintext) => plus ? offersChannelBinding(ctx) : ctx.secure || allowPlaintext,
    start: (ctx) => new ScramExchange(hash, plus, ctx, options),
  };
}
