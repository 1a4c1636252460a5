/**
 * SASL for the load generator: PLAIN (RFC 4616) and SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802 §3, §5; RFC 7677),
 * client side, without channel binding (gs2 header "n,,"). Passwords are used as given: the bench's
 * passwords are ASCII, for which SASLprep (RFC 4013) changes nothing.
 *
 * Like real clients (RFC 5802 §5.1 allows it), the client caches the salted keys per (password, salt,
 * iterations), so a user's first login pays PBKDF2 once and later logins only cost a few HMACs: what is
 * measured is the server.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

export type Mechanism = "PLAIN" | "SCRAM-SHA-1" | "SCRAM-SHA-256";

export function plainInitial(username: string, password: string): string {
  return Buffer.from(`\0${username}\0${password}`, "utf8").toString("base64");
}

interface Keys { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer }
/** Salted keys by hash, password, salt and iterations; PBKDF2 runs on libuv's thread pool. */
const keyCache = new Map<string, Promise<Keys>>();

const HASH = { "SCRAM-SHA-1": { node: "sha1", bytes: 20 }, "SCRAM-SHA-256": { node: "sha256", bytes: 32 } } as const;

/** RFC 5802 §5.1: saslname escapes "=" and ",". */
const saslName = (s: string) => s.replace(/=/g, "=3D").replace(/,/g, "=2C");

export class ScramClient {
  private readonly hash: (typeof HASH)[keyof typeof HASH];
  private readonly clientFirstBare: string;
  private serverSignature: Buffer | null = null;

  constructor(
    mechanism: "SCRAM-SHA-1" | "SCRAM-SHA-256",
    username: string,
    private readonly password: string,
    private readonly nonce = randomBytes(18).toString("base64"),
  ) {
    this.hash = HASH[mechanism];
    this.clientFirstBare = `n=${saslName(username)},r=${this.nonce}`;
  }

  /** client-first-message, base64, for <auth/>. */
  first(): string {
    return Buffer.from(`n,,${this.clientFirstBare}`, "utf8").toString("base64");
  }

  /** From server-first-message (base64) to client-final-message (base64). Throws on a bad challenge. */
  async final(challengeB64: string): Promise<string> {
    const serverFirst = Buffer.from(challengeB64, "base64").toString("utf8");
    const attrs = parseAttrs(serverFirst);
    const r = attrs.get("r"), s = attrs.get("s"), i = Number(attrs.get("i"));
    if (attrs.has("m")) throw new Error("SCRAM: unsupported mandatory extension");
    if (!r || !s || !Number.isInteger(i) || i < 1) throw new Error(`SCRAM: bad server-first-message: ${serverFirst}`);
    if (!r.startsWith(this.nonce) || r.length === this.nonce.length) throw new Error("SCRAM: server nonce does not extend ours");
    const { clientKey, storedKey, serverKey } = await this.keys(s, i);
    const withoutProof = `c=biws,r=${r}`; // biws = base64("n,,")
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientSignature = this.hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let k = 0; k < proof.length; k++) proof[k] = clientKey[k]! ^ clientSignature[k]!;
    this.serverSignature = this.hmac(serverKey, authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString("base64")}`, "utf8").toString("base64");
  }

  /** Check server-final-message (base64): "v=" must be our expected ServerSignature (§3, mutual auth). */
  verify(serverFinalB64: string): boolean {
    const attrs = parseAttrs(Buffer.from(serverFinalB64, "base64").toString("utf8"));
    const v = attrs.get("v");
    if (!v || !this.serverSignature) return false;
    const got = Buffer.from(v, "base64");
    return got.length === this.serverSignature.length && timingSafeEqual(got, this.serverSignature);
  }

  private keys(saltB64: string, iterations: number): Promise<Keys> {
    const cacheKey = `${this.hash.node}\0${this.password}\0${saltB64}\0${iterations}`;
    let k = keyCache.get(cacheKey);
    if (!k) {
      k = pbkdf2Async(this.password, Buffer.from(saltB64, "base64"), iterations, this.hash.bytes, this.hash.node).then((salted) => {
        const clientKey = this.hmac(salted, "Client Key");
        return { clientKey, storedKey: createHash(this.hash.node).update(clientKey).digest(), serverKey: this.hmac(salted, "Server Key") };
      });
      keyCache.set(cacheKey, k);
    }
    return k;
  }

  private hmac(key: Buffer, data: string): Buffer {
    return createHmac(this.hash.node, key).update(data, "utf8").digest();
  }
}

function parseAttrs(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(",")) {
    const eq = part.indexOf("=");
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

/**
 * Check the client against the examples of RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256),
 * user "user", password "pencil". Throws when a message differs.
 */
export async function scramSelfCheck(): Promise<void> {
  const vectors = [
    {
      mech: "SCRAM-SHA-1", nonce: "fyko+d2lbbFgONRv9qkxdawL",
      serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
      clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
      serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    },
    {
      mech: "SCRAM-SHA-256", nonce: "rOprNGfwEbeRWgbNEkqO",
      serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
      serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    },
  ] as const;
  for (const v of vectors) {
    const c = new ScramClient(v.mech, "user", "pencil", v.nonce);
    if (unb64(c.first()) !== `n,,n=user,r=${v.nonce}`) throw new Error(`${v.mech} self-check: client-first differs`);
    const final = unb64(await c.final(b64(v.serverFirst)));
    if (final !== v.clientFinal) throw new Error(`${v.mech} self-check: client-final differs: ${final}`);
    if (!c.verify(b64(v.serverFinal))) throw new Error(`${v.mech} self-check: server signature not accepted`);
    if (c.verify(b64("v=AAAA"))) throw new Error(`${v.mech} self-check: a wrong server signature was accepted`);
  }
}
