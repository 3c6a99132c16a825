/**
 * Pure extraction of the (last) PAdES signature of a PDF: /ByteRange,
 * /Contents (the CMS) and the bytes the signature covers, plus the /M claimed
 * signing time. `src/pdf/pades.ts#extractSignature` does the same with
 * Buffer; this one runs in browsers.
 */
import { concatBytes, hexBytesDecode, indexOfAscii, lastIndexOfAscii, latin1 } from '../proofs/bytes.ts';
import { fail } from '../proofs/verification-error.ts';

export interface PdfSignature {
  readonly byteRange: readonly [number, number, number, number];
  /** CMS ContentInfo DER, placeholder zero padding removed. */
  readonly cmsDer: Uint8Array;
  /** The two byte ranges concatenated (what message-digest covers). */
  readonly signedBytes: Uint8Array;
  /** /M of the signature dictionary (claimed signing time), when present and parseable. */
  readonly signingTime?: Date;
  /** Raw /M string, when present. */
  readonly signingTimeText?: string;
}

const isWhite = (c: number | undefined): boolean =>
  c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c || c === 0x00;

/**
 * Finds the last /ByteRange and checks it covers the whole file except exactly
 * the /Contents hex string. Throws VerificationError: PDF_MALFORMED when
 * there is no signature at all, SIGNATURE_INVALID when the signature
 * dictionary is malformed or does not cover the file.
 */
export function extractPdfSignature(pdf: Uint8Array): PdfSignature {
  if (latin1(pdf, 0, 5) !== '%PDF-') fail('PDF_MALFORMED', 'not a PDF (no %PDF- header)');
  const pos = lastIndexOfAscii(pdf, '/ByteRange');
  if (pos < 0) fail('PDF_MALFORMED', 'the PDF has no signature (no /ByteRange)');
  const head = latin1(pdf, pos, Math.min(pdf.length, pos + 120));
  const m = /^\/ByteRange\s*\[\s*(\d{1,15})\s+(\d{1,15})\s+(\d{1,15})\s+(\d{1,15})\s*\]/.exec(head);
  if (!m) fail('SIGNATURE_INVALID', 'malformed /ByteRange (expected four integers)');
  const byteRange = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as [number, number, number, number];
  const [a, b, c, d] = byteRange;
  if (a !== 0 || b <= 0 || c <= b + 1 || c + d !== pdf.length) {
    fail(
      'SIGNATURE_INVALID',
      `/ByteRange [${byteRange.join(' ')}] does not cover the whole file of ${pdf.length} bytes except /Contents ` +
        '(content was added or removed after signing)',
    );
  }
  if (pdf[b] !== 0x3c /* < */ || pdf[c - 1] !== 0x3e /* > */) {
    fail('SIGNATURE_INVALID', 'the /ByteRange gap is not a hex string');
  }
  // The gap must be the value of /Contents and nothing else.
  let k = b - 1;
  while (k >= 0 && isWhite(pdf[k])) k--;
  if (k < 8 || latin1(pdf, k - 8, k + 1) !== '/Contents') fail('SIGNATURE_INVALID', 'the /ByteRange gap is not the /Contents value');
  const raw = hexBytesDecode(pdf.subarray(b + 1, c - 1));
  if (raw === undefined) fail('SIGNATURE_INVALID', '/Contents is not a plain hex string');
  const cmsDer = raw.subarray(0, derLength(raw));
  if (raw.subarray(cmsDer.length).some((x) => x !== 0)) {
    fail('SIGNATURE_INVALID', '/Contents has non-zero bytes after the CMS');
  }
  const signedBytes = concatBytes(pdf.subarray(0, b), pdf.subarray(c, c + d));
  const mText = findSigningTime(pdf, pos, b, c);
  const signingTime = mText === undefined ? undefined : parsePdfDate(mText);
  return {
    byteRange,
    cmsDer,
    signedBytes,
    ...(signingTime ? { signingTime } : {}),
    ...(mText !== undefined ? { signingTimeText: mText } : {}),
  };
}

/** Total length of the DER element at the start of `raw` (the CMS), from its outer length. */
function derLength(raw: Uint8Array): number {
  if (raw[0] !== 0x30 || raw.length < 2) fail('SIGNATURE_INVALID', '/Contents does not hold a DER CMS (no SEQUENCE)');
  const l0 = raw[1] as number;
  let len: number;
  let header = 2;
  if (l0 < 0x80) len = l0;
  else {
    const n = l0 & 0x7f;
    if (n === 0 || n > 4) fail('SIGNATURE_INVALID', '/Contents CMS has an unsupported length encoding');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (raw[2 + i] ?? 0);
    header += n;
  }
  if (header + len > raw.length) fail('SIGNATURE_INVALID', '/Contents CMS is truncated');
  return header + len;
}

/**
 * The /M entry of the signature dictionary holding the /ByteRange: searched
 * between the dictionary start (last "<<" before /ByteRange) and its end (first
 * ">>" after /Contents), outside the /Contents gap. Both are inside the signed
 * bytes, so the value is covered by the signature.
 */
function findSigningTime(pdf: Uint8Array, byteRangePos: number, gapStart: number, gapEnd: number): string | undefined {
  const dictStart = lastIndexOfAscii(pdf, '<<', byteRangePos);
  const dictEnd = indexOfAscii(pdf, '>>', gapEnd);
  if (dictStart < 0 || dictEnd < 0) return undefined;
  const text = latin1(pdf, dictStart, Math.min(gapStart, dictEnd)) + ' ' + latin1(pdf, gapEnd, dictEnd);
  const m = /\/M\s*\(((?:[^()\\]|\\.)*)\)/.exec(text);
  return m?.[1];
}

/** PDF date string (ISO 32000-1 §7.9.4) `D:YYYYMMDDHHmmSSOHH'mm'` → Date; undefined if malformed. */
export function parsePdfDate(s: string): Date | undefined {
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:(Z)(?:00'?(?:00'?)?)?|([+-])(\d{2})'?(?:(\d{2})'?)?)?$/.exec(s);
  if (!m) return undefined;
  const n = (v: string | undefined, dflt: number): number => (v === undefined ? dflt : Number(v));
  const [year, month, day, hour, minute, second] = [n(m[1], 0), n(m[2], 1), n(m[3], 1), n(m[4], 0), n(m[5], 0), n(m[6], 0)];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (n(m[9], 0) * 60 + n(m[10], 0));
  }
  const t = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
  const date = new Date(t);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
