/**
 * Archive item ids (XEP-0313 §3 archive UIDs, used as XEP-0359 stanza-ids and XEP-0059 RSM keys).
 *
 * Two needs pull apart. XEP-0359 §6: an observer must not infer anything from an id (not even the size of an
 * archive), and ids should be unpredictable (§3). A database, on the other hand, indexes ids: random ids land on a
 * random leaf of that index at every append, so each commit rewrites as many index pages as it has items (measured
 * with SQLite's WAL: a third of the cost of archiving a message). `ArchiveIdCipher` gives both: an item's sort key
 * is 16 bytes that grow with time, [6 bytes ms since the epoch][2 bytes counter][4 random bytes][4 bytes tag], and
 * its id is that block encrypted with AES-128 under a key only the store knows, in base64url (22 characters). A
 * single-block encryption is a pseudorandom permutation: ids look random and reveal nothing; the store decrypts an
 * id to find its key (new keys append at the right edge of the index). The tag tells the store's own ids from ids a
 * caller chose itself (2^-32 chance that a foreign 22-character id passes for one), which are kept as given.
 */
import { createCipheriv, createDecipheriv, randomFillSync, type Cipher, type Decipher } from "node:crypto";
import { randomId } from "../random-id.js";

/** A random archive id (96 bits, base64url), for drivers that do not order their index by time. */
export function newArchiveId(): string {
  return randomId(12);
}

const BLOCK = 16;
const TAG = Buffer.from("PvA1", "latin1");
/** Keys encrypted per call into the cipher: one call costs about as much as a few blocks. */
const POOL = 64;

export class ArchiveIdCipher {
  // ECB over whole blocks is stateless: one long-lived cipher and decipher serve every id (never `final()`).
  readonly #encrypt: Cipher;
  readonly #decrypt: Decipher;
  readonly #plain = Buffer.alloc(BLOCK * POOL);
  #ids: string[] = [];
  #counter = 0;
  readonly #random = Buffer.alloc(4 * POOL);

  /** `key`: 16 secret bytes, kept by the store for as long as its items live. */
  constructor(key: Buffer) {
    if (key.length !== BLOCK) throw new RangeError("an archive id key is 16 bytes");
    this.#encrypt = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
    this.#decrypt = createDecipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  }

  /** A new id: unique, opaque, and later than every id made before it by this process (as a sort key). */
  next(): string {
    if (this.#ids.length === 0) this.#refill();
    return this.#ids.pop()!;
  }

  /** The sort key of one of our ids, or undefined for any other string. */
  sortKey(id: string): Buffer | undefined {
    return this.sortKeys([id])[0];
  }

  /** The sort keys of many ids at once (one call into the cipher for all of them: a batch of appends). */
  sortKeys(ids: readonly string[]): (Buffer | undefined)[] {
    const keys: (Buffer | undefined)[] = new Array(ids.length).fill(undefined);
    const blocks = Buffer.allocUnsafe(BLOCK * ids.length);
    const at: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      // 22 base64url characters are 16 bytes (and 2 spare bits, which must be 0 for the id to be canonical).
      if (id.length !== 22 || blocks.write(id, BLOCK * at.length, BLOCK, "base64url") !== BLOCK) continue;
      if (blocks.toString("base64url", BLOCK * at.length, BLOCK * (at.length + 1)) !== id) continue;
      at.push(i);
    }
    if (at.length === 0) return keys;
    const plain = this.#decrypt.update(blocks.subarray(0, BLOCK * at.length));
    at.forEach((i, n) => {
      const key = plain.subarray(BLOCK * n, BLOCK * (n + 1));
      if (key.subarray(12).equals(TAG)) keys[i] = key;
    });
    return keys;
  }

  #refill(): void {
    const ms = Date.now();
    randomFillSync(this.#random);
    for (let i = 0; i < POOL; i++) {
      const at = i * BLOCK;
      this.#plain.writeUIntBE(ms, at, 6);
      this.#plain.writeUInt16BE(this.#counter, at + 6);
      this.#counter = (this.#counter + 1) & 0xffff;
      this.#random.copy(this.#plain, at + 8, i * 4, i * 4 + 4);
      TAG.copy(this.#plain, at + 12);
    }
    const cipher = this.#encrypt.update(this.#plain);
    const ids: string[] = new Array(POOL);
    // Popped from the end: the first block is the last entry.
    for (let i = 0; i < POOL; i++) ids[POOL - 1 - i] = cipher.toString("base64url", i * BLOCK, (i + 1) * BLOCK);
    this.#ids = ids;
  }
}
