/**
 * SHA-256 as lowercase hex, for the service's own hashing (documents, request bodies, reasons, access
 * records). node:crypto, because it hashes a licence PDF ~10x faster than a JavaScript implementation; the
 * pure proof core (src/proofs/) uses @noble/hashes instead, so it runs in the browser unchanged.
 */
import crypto from 'node:crypto';

export function sha256Hex(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
