/**
 * SCRAM credentials (RFC 5802 §3, RFC 7677): what the server stores instead of a password, derived with PBKDF2
 * off the event loop; password checks for PLAIN against the same keys; and decoy keys for unknown accounts so
 * that they fail exactly like a wrong password.
 */
import * as crypto from "node:crypto";
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { opaqueString } from "../precis.js";
import type { ScramKeys, StoredCredentials } from "../storage/types.js";
import { decodeBase64 } from "./base64.js";

export type ScramHash = "SHA-1" | "SHA-256";
export const SCRAM_HASHES: readonly ScramHash[] = ["SHA-1", "SHA-256"];

const NODE_HASH: Record<ScramHash, string> = { "SHA-1": "sha1", "SHA-256": "sha256" };
const OUTPUT_BYTES: Record<ScramHash, number> = { "SHA-1": 20, "SHA-256": 32 };

/** Random salt length for new credentials (RFC 5802 §5.1 asks for a random salt per user). */
export const SALT_BYTES = 16;
/** Iteration counts accepted from storage and from callers (the config allows at most this many). */
export const MAX_ITERATIONS = 10_000_000;

const pbkdf2Async = promisify(pbkdf2);

export const hashBytes = (hash: ScramHash): number => OUTPUT_BYTES[hash];
/** HMAC(key, str) of RFC 5802 §2.2. */
export const hmac = (hash: ScramHash, key: Uint8Array, data: Uint8Array | string): Buffer =>
  createHmac(NODE_HASH[hash], key).update(data).digest();
/** H(str) of RFC 5802 §2.2. */
export const h = (hash: ScramHash, data: Uint8Array): Buffer => oneShotHash(NODE_HASH[hash], data);

// crypto.hash (Node 20.12+) digests in one call, without a Hash object and its stream machinery.
const nodeHash = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: "buffer") => Buffer }).hash;
const oneShotHash = nodeHash
  ? (algorithm: string, data: Uint8Array): Buffer => nodeHash(algorithm, data, "buffer")
  : (algorithm: string, data: Uint8Array): Buffer => createHash(algorithm).update(data).digest();

/**
 * SaltedPassword := Hi(Normalize(password), salt, i). Hi is PBKDF2 with HMAC as the PRF and one block of output
 * (RFC 5802 §2.2); the asynchronous pbkdf2 runs on libuv's thread pool, never on the event loop.
 */
export function saltedPassword(hash: ScramHash, preparedPassword: string, salt: Uint8Array, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(preparedPassword, "utf8"), salt, iterations, OUTPUT_BYTES[hash], NODE_HASH[hash]);
}

/** StoredKey := H(HMAC(SaltedPassword, "Client Key")); ServerKey := HMAC(SaltedPassword, "Server Key") (§3). */
export function keysFromSaltedPassword(hash: ScramHash, salted: Uint8Array): { storedKey: Buffer; serverKey: Buffer } {
  return {
    storedKey: h(hash, hmac(hash, salted, "Client Key")),
    serverKey: hmac(hash, salted, "Server Key"),
  };
}

/** The stored keys for an already prepared password and a given salt (tests use the RFC vectors' salts). */
export async function scramKeys(hash: ScramHash, preparedPassword: string, salt: Uint8Array, iterations: number): Promise<ScramKeys> {
  assertIterations(iterations);
  const { storedKey, serverKey } = keysFromSaltedPassword(hash, await saltedPassword(hash, preparedPassword, salt, iterations));
  return {
    salt: Buffer.from(salt).toString("base64"),
    iterations,
    storedKey: storedKey.toString("base64"),
    serverKey: serverKey.toString("base64"),
  };
}

function assertIterations(iterations: number): void {
  // A bad count is a programming or configuration error (the config schema bounds it), not user input.
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`SCRAM iteration count must be an integer from 1 to ${MAX_ITERATIONS}, got ${iterations}`);
  }
}

export type CredentialsResult =
  | { ok: true; credentials: StoredCredentials }
  /** The password is not a valid OpaqueString (RFC 8265 §4): empty, or holding disallowed characters. */
  | { ok: false; error: "invalid-password"; text: string };

/** New credentials for a password: both hash functions, each with its own random salt. */
export async function deriveCredentials(password: string, iterations: number): Promise<CredentialsResult> {
  assertIterations(iterations);
  const prepared = opaqueString(password);
  if (!prepared.ok) return { ok: false, error: "invalid-password", text: `password: ${prepared.error}` };
  const [sha1, sha256] = await Promise.all([
    scramKeys("SHA-1", prepared.value, randomBytes(SALT_BYTES), iterations),
    scramKeys("SHA-256", prepared.value, randomBytes(SALT_BYTES), iterations),
  ]);
  return { ok: true, credentials: { "SCRAM-SHA-1": sha1, "SCRAM-SHA-256": sha256 } };
}

/** Stored keys decoded and checked; null when the record is damaged (treated like a missing account). */
export interface DecodedKeys {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

export function decodeKeys(hash: ScramHash, keys: ScramKeys | undefined): DecodedKeys | null {
  if (!keys || typeof keys !== "object") return null;
  const { iterations } = keys;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) return null;
  if (typeof keys.salt !== "string" || typeof keys.storedKey !== "string" || typeof keys.serverKey !== "string") return null;
  const salt = decodeBase64(keys.salt);
  const storedKey = decodeBase64(keys.storedKey);
  const serverKey = decodeBase64(keys.serverKey);
  if (!salt || salt.length === 0 || !storedKey || !serverKey) return null;
  if (storedKey.length !== OUTPUT_BYTES[hash] || serverKey.length !== OUTPUT_BYTES[hash]) return null;
  return { salt, iterations, storedKey, serverKey };
}

/**
 * PLAIN (RFC 4616 §2) against SCRAM keys: prepare the password (RFC 8265 §4.2), derive the StoredKey with the
 * stored salt and count, and compare in constant time. Never throws; damaged keys simply do not match.
 */
export async function verifyPassword(password: string, creds: ScramKeys, hash: ScramHash): Promise<boolean> {
  const keys = decodeKeys(hash, creds);
  return keys ? checkPassword(hash, password, keys) : false;
}

/** verifyPassword for keys already decoded (or decoys). */
export async function checkPassword(hash: ScramHash, password: string, keys: DecodedKeys): Promise<boolean> {
  const prepared = opaqueString(password);
  if (!prepared.ok) return false;
  const salted = await saltedPassword(hash, prepared.value, keys.salt, keys.iterations);
  return timingSafeEqual(keysFromSaltedPassword(hash, salted).storedKey, keys.storedKey);
}

/** Iterations announced for usernames without an account unless configured (the minimum of RFC 7677 §3). */
export const DEFAULT_DECOY_ITERATIONS = 4096;

/** Keys the decoys are derived from; one per process unless the caller shares one across a cluster. */
const PROCESS_SECRET = randomBytes(32);

/**
 * Decoy keys for a username that has no account: the salt is HMAC(secret, hash + username), so asking twice
 * gives the same salt as a real account would, and the keys match no password. The caller still runs every
 * step of a real check, so timing and answers are those of a wrong password.
 */
export function decoyKeys(hash: ScramHash, username: string, iterations: number, secret?: Uint8Array): DecodedKeys {
  const derive = (purpose: string, bytes: number) =>
    createHmac("sha256", secret ?? PROCESS_SECRET).update(`${purpose}\0${hash}\0${username}`).digest().subarray(0, bytes);
  return {
    salt: derive("salt", SALT_BYTES),
    iterations,
    storedKey: derive("stored-key", OUTPUT_BYTES[hash]),
    serverKey: derive("server-key", OUTPUT_BYTES[hash]),
  };
}
