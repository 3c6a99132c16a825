/**
 * A licence's verification code: 80 random bits, printed on the licence beside its QR code and carried in
 * the QR's URL. Licence ids are sequential (GB/T 36904), so anything public about a licence (the card the QR
 * landing shows) is released only to whoever holds this code, as with the 核验码 of national e-licences.
 * Written as 16 characters of Crockford's base32 in four groups (no I, L, O, U: nothing to misread at a
 * counter); the vault keeps only its SHA-256.
 */
import crypto from 'node:crypto';
import { sha256Hex } from '../hashing/sha256.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new code, e.g. `7K2M-9QXW-3HTR-PV8D`. */
export function newVerificationCode(): string {
  const bytes = crypto.randomBytes(10); // 80 bits = 16 base32 characters
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let text = '';
  for (let i = 15; i >= 0; i--) text += ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
  return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8, 12)}-${text.slice(12)}`;
}

/**
 * A code as typed or scanned, in canonical form (16 characters, no separators), or null when it cannot be
 * one. Crockford's decoding rules: case-insensitive, I and L read as 1, O as 0; spaces and dashes ignored.
 */
export function normaliseVerificationCode(input: string): string | null {
  const text = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(text) ? text : null;
}

/** What the vault stores and compares: the SHA-256 of the canonical form. */
export function verificationCodeSha256(code: string): string {
  const canonical = normaliseVerificationCode(code);
  if (!canonical) throw new Error('not a verification code');
  return sha256Hex(canonical);
}
