/**
 * Strict standard base64 (RFC 4648 §4, with padding) for checkpoints and note
 * keys. Browser-compatible: no Buffer, no atob. Decoding is canonical-only
 * (padding required, unused trailing bits must be zero) so that every distinct
 * text maps to distinct bytes and a changed character can never decode to the
 * same value.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP: Record<string, number> = Object.fromEntries([...ALPHABET].map((c, i) => [c, i]));

// Why: C2SP signed-note/tlog-checkpoint use standard padded base64 (RFC 4648 §4) for hashes, signatures and keys.
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = i + 1 < bytes.length ? (bytes[i + 1] as number) : 0;
    const b2 = i + 2 < bytes.length ? (bytes[i + 2] as number) : 0;
    const n = (b0 << 16) | (b1 << 8) | b2;
    out += ALPHABET[(n >> 18) & 63];
    out += ALPHABET[(n >> 12) & 63];
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? ALPHABET[n & 63] : '=';
  }
  return out;
}

// Why: canonical RFC 4648 §4 decoding; returns undefined (never throws) on any non-canonical or invalid input.
export function base64Decode(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const body = text.slice(0, text.length - pad);
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < body.length; i += 4) {
    let n = 0;
    let chars = 0;
    for (let j = 0; j < 4; j++) {
      const c = body[i + j];
      if (c === undefined) {
        n <<= 6;
        continue;
      }
      const v = LOOKUP[c];
      if (v === undefined) return undefined;
      n = (n << 6) | v;
      chars++;
    }
    if (chars === 4) {
      out[o++] = (n >> 16) & 255;
      out[o++] = (n >> 8) & 255;
      out[o++] = n & 255;
    } else if (chars === 3) {
      if ((n & 0xff) !== 0) return undefined; // non-zero unused bits
      out[o++] = (n >> 16) & 255;
      out[o++] = (n >> 8) & 255;
    } else if (chars === 2) {
      if ((n & 0xffff) !== 0) return undefined;
      out[o++] = (n >> 16) & 255;
    } else {
      return undefined;
    }
  }
  return o === out.length ? out : undefined;
}
