/**
 * RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.2) using node-forge's pure-JS
 * RSA (works in browsers and Node; synchronous). The decoded block is compared
 * byte-for-byte with the DER DigestInfo for SHA-256 (with or without NULL
 * parameters), so no other hash algorithm in the DigestInfo is accepted.
 */
import forge from 'node-forge';

import { concatBytes, toBinaryString } from '../proofs/bytes.ts';

/** Minimum RSA modulus size accepted. */
export const MIN_RSA_BITS = 2048;

// DigestInfo prefixes for SHA-256 (RFC 8017 §9.2 note 1), followed by the 32-byte digest.
const DIGEST_INFO_SHA256_NULL = Uint8Array.from([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]);
const DIGEST_INFO_SHA256_ABSENT = Uint8Array.from([0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20]);

/**
 * Verifies `signature` over a SHA-256 `digest` with the RSA key in `spkiDer`
 * (SubjectPublicKeyInfo). Returns true, false (signature mismatch) or a string
 * explaining why the key or signature could not be used.
 */
export function verifyRsaPkcs1Sha256(spkiDer: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean | string {
  let key: forge.pki.rsa.PublicKey;
  try {
    key = forge.pki.publicKeyFromAsn1(forge.asn1.fromDer(toBinaryString(spkiDer), true)) as forge.pki.rsa.PublicKey;
  } catch (err) {
    return `public key is not a usable RSA key (${err instanceof Error ? err.message : String(err)})`;
  }
  const bits = key.n.bitLength();
  if (bits < MIN_RSA_BITS) return `RSA key of ${bits} bits is below the ${MIN_RSA_BITS}-bit minimum`;
  if (signature.length !== Math.ceil(bits / 8)) return `signature length ${signature.length} does not match the ${bits}-bit modulus`;
  const sig = toBinaryString(signature);
  for (const prefix of [DIGEST_INFO_SHA256_NULL, DIGEST_INFO_SHA256_ABSENT]) {
    try {
      // 'NONE': forge strips the PKCS#1 v1.5 type-1 padding and compares the rest with our expected DigestInfo.
      if (key.verify(toBinaryString(concatBytes(prefix, digest)), sig, 'NONE')) return true;
    } catch {
      return false; // bad padding / out-of-range signature
    }
  }
  return false;
}
