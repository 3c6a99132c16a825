/**
 * Byte helpers for the verifier. Pure and browser-compatible: no Buffer.
 */

/** Latin-1 "binary string" (one char per byte), the representation node-forge uses. */
export function toBinaryString(bytes: Uint8Array): string {
  let out = '';
  const CHUNK = 0x2000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return out;
}

export function fromBinaryString(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Latin-1 decoding of a byte range (PDF syntax is byte-oriented). */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return toBinaryString(bytes.subarray(start, end));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Last index of an ASCII `needle` in `haystack` at or before `from` (-1 if absent). */
export function lastIndexOfAscii(haystack: Uint8Array, needle: string, from = haystack.length - needle.length): number {
  const n = needle.length;
  outer: for (let i = Math.min(from, haystack.length - n); i >= 0; i--) {
    for (let j = 0; j < n; j++) if (haystack[i + j] !== needle.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

/** First index of an ASCII `needle` in `haystack` at or after `from` (-1 if absent). */
export function indexOfAscii(haystack: Uint8Array, needle: string, from = 0): number {
  const n = needle.length;
  outer: for (let i = Math.max(0, from); i + n <= haystack.length; i++) {
    for (let j = 0; j < n; j++) if (haystack[i + j] !== needle.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

const HEX_VALUE = (c: number): number => {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
};

/** Decodes ASCII hex digits held in `bytes` (no whitespace); undefined if not hex or odd length. */
export function hexBytesDecode(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length % 2 !== 0) return undefined;
  const out = new Uint8Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX_VALUE(bytes[2 * i] as number);
    const lo = HEX_VALUE(bytes[2 * i + 1] as number);
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}
