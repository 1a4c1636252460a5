/**
 * The hash function of an X.509 certificate's signatureAlgorithm (RFC 5280 §4.1.1.2), read from its DER with a
 * minimal reader: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, ... }.
 * Used by tls-server-end-point channel binding (RFC 5929 §4.1), which depends on that hash.
 */

interface Tlv { tag: number; start: number; end: number }

/** One DER tag-length-value at `offset` within [offset, limit), or null when it is not valid DER. */
function readTlv(der: Uint8Array, offset: number, limit = der.length): Tlv | null {
  if (offset + 2 > limit) return null;
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) return null; // high tag numbers never occur in the structures read here
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return null; // indefinite lengths are not DER
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
    start += n;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : null;
}

const SEQUENCE = 0x30;
const OID = 0x06;

function decodeOid(der: Uint8Array, tlv: Tlv): string | null {
  if (tlv.tag !== OID || tlv.end === tlv.start) return null;
  const arcs: number[] = [];
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) {
    const b = der[i]!;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return null;
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return (der[tlv.end - 1]! & 0x80) ? null : arcs.join(".");
}

/** Signature algorithms that use a single hash function, by OID, to Node's name for that hash. */
const SIGNATURE_HASH: Record<string, string> = {
  "1.2.840.113549.1.1.4": "md5",         // md5WithRSAEncryption
  "1.2.840.113549.1.1.5": "sha1",        // sha1WithRSAEncryption
  "1.2.840.113549.1.1.14": "sha224",     // sha224WithRSAEncryption
  "1.2.840.113549.1.1.11": "sha256",     // sha256WithRSAEncryption
  "1.2.840.113549.1.1.12": "sha384",     // sha384WithRSAEncryption
  "1.2.840.113549.1.1.13": "sha512",     // sha512WithRSAEncryption
  "1.2.840.10045.4.1": "sha1",           // ecdsa-with-SHA1
  "1.2.840.10045.4.3.1": "sha224",       // ecdsa-with-SHA224
  "1.2.840.10045.4.3.2": "sha256",       // ecdsa-with-SHA256
  "1.2.840.10045.4.3.3": "sha384",       // ecdsa-with-SHA384
  "1.2.840.10045.4.3.4": "sha512",       // ecdsa-with-SHA512
  "1.2.840.10040.4.3": "sha1",           // dsa-with-sha1
  "2.16.840.1.101.3.4.3.1": "sha224",    // dsa-with-sha224
  "2.16.840.1.101.3.4.3.2": "sha256",    // dsa-with-sha256
  "2.16.840.1.101.3.4.3.9": "sha3-224",  // ecdsa-with-sha3-224
  "2.16.840.1.101.3.4.3.10": "sha3-256", // ecdsa-with-sha3-256
  "2.16.840.1.101.3.4.3.11": "sha3-384", // ecdsa-with-sha3-384
  "2.16.840.1.101.3.4.3.12": "sha3-512", // ecdsa-with-sha3-512
  "2.16.840.1.101.3.4.3.13": "sha3-224", // rsa-pkcs1-sha3-224
  "2.16.840.1.101.3.4.3.14": "sha3-256", // rsa-pkcs1-sha3-256
  "2.16.840.1.101.3.4.3.15": "sha3-384", // rsa-pkcs1-sha3-384
  "2.16.840.1.101.3.4.3.16": "sha3-512", // rsa-pkcs1-sha3-512
};
const RSASSA_PSS = "1.2.840.113549.1.1.10";
const MGF1 = "1.2.840.113549.1.1.8";
const HASH_ALGORITHM: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

/** The hash named by an AlgorithmIdentifier (a SEQUENCE whose first element is the hash OID). */
function hashOfAlgorithmIdentifier(der: Uint8Array, seq: Tlv | null): string | null {
  if (!seq || seq.tag !== SEQUENCE) return null;
  const oid = readTlv(der, seq.start, seq.end);
  const name = oid && decodeOid(der, oid);
  return name ? HASH_ALGORITHM[name] ?? null : null;
}

/**
 * RSASSA-PSS parameters (RFC 4055 §3.1): hashAlgorithm [0] (default SHA-1) and maskGenAlgorithm [1] (default
 * MGF1 with SHA-1). A single hash function only when both name the same one.
 */
function pssHash(der: Uint8Array, params: Tlv | null): string | null {
  let hash = "sha1";
  let mgfHash = "sha1";
  if (params) {
    if (params.tag !== SEQUENCE) return null;
    for (let at = params.start; at < params.end;) {
      const field = readTlv(der, at, params.end);
      if (!field) return null;
      if (field.tag === 0xa0) {
        const named = hashOfAlgorithmIdentifier(der, readTlv(der, field.start, field.end));
        if (!named) return null;
        hash = named;
      } else if (field.tag === 0xa1) {
        const mgf = readTlv(der, field.start, field.end);
        if (!mgf || mgf.tag !== SEQUENCE) return null;
        const mgfOid = readTlv(der, mgf.start, mgf.end);
        if (!mgfOid || decodeOid(der, mgfOid) !== MGF1) return null;
        const named = hashOfAlgorithmIdentifier(der, readTlv(der, mgfOid.end, mgf.end));
        if (!named) return null;
        mgfHash = named;
      }
      at = field.end;
    }
  }
  return hash === mgfHash ? hash : null;
}

/**
 * Node's name of the single hash function in the certificate's signature algorithm, or null when it uses none
 * (Ed25519, Ed448), several, or one this reader does not know, or when `der` is not a certificate.
 */
export function certificateSignatureHash(der: Uint8Array): string | null {
  const cert = readTlv(der, 0);
  if (!cert || cert.tag !== SEQUENCE) return null;
  const tbs = readTlv(der, cert.start, cert.end);
  if (!tbs || tbs.tag !== SEQUENCE) return null;
  const algorithm = readTlv(der, tbs.end, cert.end);
  if (!algorithm || algorithm.tag !== SEQUENCE) return null;
  const oidTlv = readTlv(der, algorithm.start, algorithm.end);
  const oid = oidTlv && decodeOid(der, oidTlv);
  if (!oid) return null;
  if (oid === RSASSA_PSS) {
    const params = oidTlv.end < algorithm.end ? readTlv(der, oidTlv.end, algorithm.end) : null;
    return pssHash(der, params);
  }
  return SIGNATURE_HASH[oid] ?? null;
}
