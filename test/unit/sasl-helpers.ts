/**
 * Test support for the SASL tests: a SaslContext over an in-memory account table, an independent SCRAM client
 * (written from RFC 5802 §3 with node:crypto only, sharing no code with src/sasl), and certificates.
 */
import { createHash, createHmac, generateKeyPairSync, pbkdf2Sync } from "node:crypto";
import forge from "node-forge";
import { deriveCredentials } from "../../src/sasl/credentials.js";
import type { SaslExchange, SaslStep } from "../../src/sasl/types.js";
import type { ChannelBinding, ChannelBindingType, SaslContext } from "../../src/sasl/types.js";
import type { StoredCredentials } from "../../src/storage/types.js";

export const HOST = "example.com";

export function context(
  accounts: Record<string, StoredCredentials>,
  opts: { secure?: boolean; channelBinding?: ChannelBinding | null; ip?: string } = {},
): SaslContext & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    host: HOST,
    ip: opts.ip ?? "192.0.2.1",
    secure: opts.secure ?? true,
    channelBinding: opts.channelBinding ?? null,
    lookups,
    lookup: async (username) => {
      lookups.push(username);
      return accounts[username];
    },
  };
}

export async function credentials(password: string, iterations = 4096): Promise<StoredCredentials> {
  const r = await deriveCredentials(password, iterations);
  if (!r.ok) throw new Error(r.text);
  return r.credentials;
}

/** A fixed channel binding, as a TLS stream would offer it. */
export function fixedBinding(values: Partial<Record<ChannelBindingType, Buffer>>): ChannelBinding {
  const types = Object.keys(values) as ChannelBindingType[];
  return { types, data: (t) => values[t] ?? null };
}

export const text = (step: SaslStep): string => {
  if (step.kind === "failure") throw new Error(`unexpected failure ${step.condition}: ${step.text}`);
  return step.data?.toString("utf8") ?? "";
};

type Hash = "sha1" | "sha256";

/** A SCRAM client per RFC 5802 §3 and §7, for driving the server in tests. */
export class TestScramClient {
  readonly gs2Header: string;
  readonly clientFirstBare: string;
  private authMessage = "";
  private saltedPassword = Buffer.alloc(0);

  constructor(
    private readonly hash: Hash,
    private readonly password: string,
    opts: { username: string; nonce?: string; flag?: string; authzid?: string; cbData?: Buffer },
    private readonly cbData: Buffer = opts.cbData ?? Buffer.alloc(0),
  ) {
    const escape = (s: string) => s.replace(/=/g, "=3D").replace(/,/g, "=2C");
    this.gs2Header = `${opts.flag ?? "n"},${opts.authzid ? `a=${escape(opts.authzid)}` : ""},`;
    this.clientFirstBare = `n=${escape(opts.username)},r=${opts.nonce ?? "clientnonce0123456789"}`;
  }

  first(): Buffer {
    return Buffer.from(this.gs2Header + this.clientFirstBare);
  }

  final(serverFirst: string, tamper: { nonce?: string; cbind?: Buffer } = {}): Buffer {
    const attrs = Object.fromEntries(serverFirst.split(",").map((a) => [a[0], a.slice(2)]));
    const hmac = (key: Buffer, data: string) => createHmac(this.hash, key).update(data).digest();
    const size = this.hash === "sha1" ? 20 : 32;
    this.saltedPassword = pbkdf2Sync(this.password, Buffer.from(attrs.s!, "base64"), Number(attrs.i), size, this.hash);
    const clientKey = hmac(this.saltedPassword, "Client Key");
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const cbind = tamper.cbind ?? Buffer.concat([Buffer.from(this.gs2Header), this.cbData]);
    const withoutProof = `c=${cbind.toString("base64")},r=${tamper.nonce ?? attrs.r}`;
    this.authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, this.authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    return Buffer.from(`${withoutProof},p=${proof.toString("base64")}`);
  }

  /** The v= the server must send (RFC 5802 §3 ServerSignature). */
  expectedServerFinal(): string {
    const serverKey = createHmac(this.hash, this.saltedPassword).update("Server Key").digest();
    return `v=${createHmac(this.hash, serverKey).update(this.authMessage).digest("base64")}`;
  }
}

/** Run a whole exchange with the test client; returns the final step. */
export async function runScram(exchange: SaslExchange, client: TestScramClient): Promise<SaslStep> {
  const first = await exchange.step(client.first());
  if (first.kind !== "challenge") return first;
  return exchange.step(client.final(first.data.toString("utf8")));
}

const rsa = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});

export type Digest = "md5" | "sha1" | "sha256" | "sha384" | "sha512";

/** A self-signed RSA certificate for 127.0.0.1 signed with the given digest, PEM and DER. */
export function selfSignedCertificate(digest: Digest = "sha256"): { certPem: string; keyPem: string; der: Buffer } {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(rsa.publicKey);
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  const name = [{ name: "commonName", value: "127.0.0.1" }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(forge.pki.privateKeyFromPem(rsa.privateKey), forge.md[digest].create());
  const certPem = forge.pki.certificateToPem(cert);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
  return { certPem, keyPem: rsa.privateKey, der };
}
