/**
 * Loads one scan of a paper certificate for embedding in (or attaching to) its e-licence.
 *
 * The type is decided by the file's magic bytes, never by its extension. JPEG and PNG pass through
 * unchanged after a structural check (JPEG: markers up to the scan data and an end-of-image marker after
 * it, so a truncated upload is caught; PNG: every chunk's length and CRC, IHDR first, IDAT, IEND).
 * TIFF (single or multi-page, any compression libtiff reads: CCITT G3/G4 fax, LZW, JPEG, Deflate,
 * PackBits) is converted page by page to PNG with sharp (libvips). PDF scans are kept as bytes, to attach
 * unchanged, after checking the header, the `%%EOF` trailer and that pdf-lib can open them.
 *
 * `sha256` is always over the original file bytes: that is the hash the chain of custody records.
 */
import { sha256Hex } from '../hashing/sha256.ts';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';

export const MAX_SCAN_BYTES = 20 * 1024 * 1024;
/** More pages than this in one TIFF is taken as a mistake (a whole batch scanned into one file). */
export const MAX_TIFF_PAGES = 100;

export type ScanErrorCode = 'CORRUPT_SCAN' | 'SCAN_TOO_LARGE' | 'MISSING_SCAN' | 'UNSUPPORTED_SCAN_FORMAT';

export class ScanError extends Error {
  readonly code: ScanErrorCode;
  readonly fileName: string;
  readonly reason: string;
  constructor(code: ScanErrorCode, fileName: string, reason: string) {
    super(`${fileName}: ${reason}`);
    this.name = 'ScanError';
    this.code = code;
    this.fileName = fileName;
    this.reason = reason;
  }
}

export type ScanMediaType = 'image/jpeg' | 'image/png' | 'image/tiff' | 'application/pdf';

export interface ScanPage {
  kind: 'jpeg' | 'png';
  bytes: Uint8Array;
  width: number;
  height: number;
}

export interface LoadedScan {
  /** Base name of the file. */
  fileName: string;
  /** Hex SHA-256 of the original file bytes. */
  sha256: string;
  /** Detected type of the original file (TIFF pages are delivered as PNG). */
  mediaType: ScanMediaType;
  /** Images to embed, one per page; null for a PDF scan. */
  pages: ScanPage[] | null;
  /** The original PDF, to attach unchanged (PDF scans only). */
  pdfBytes?: Uint8Array;
  /** Page count of a PDF scan. */
  pdfPageCount?: number;
  /** Size of the original file in bytes. */
  byteLength: number;
}

export async function loadScan(filePath: string, options: { maxBytes?: number } = {}): Promise<LoadedScan> {
  const fileName = path.basename(filePath);
  const maxBytes = options.maxBytes ?? MAX_SCAN_BYTES;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(filePath, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ScanError('MISSING_SCAN', fileName, 'the file does not exist');
    throw new ScanError('CORRUPT_SCAN', fileName, `cannot be opened: ${(err as Error).message}`);
  }
  let bytes: Uint8Array;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ScanError('CORRUPT_SCAN', fileName, 'is not a regular file');
    if (stat.size > maxBytes) throw new ScanError('SCAN_TOO_LARGE', fileName, `is ${stat.size} bytes; the limit is ${maxBytes} bytes (${formatMiB(maxBytes)})`);
    // Read at most maxBytes + 1 so that a file growing under us is still caught.
    const buf = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, total, buf.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total === buf.length) break;
    }
    if (total > maxBytes) throw new ScanError('SCAN_TOO_LARGE', fileName, `is larger than the limit of ${maxBytes} bytes (${formatMiB(maxBytes)})`);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, total);
  } finally {
    await handle.close();
  }
  return decodeScan(fileName, bytes);
}

/** Where a batch's scans come from: a directory (the CLI) or the uploaded zip in the object store (API jobs). */
export interface ScanSource {
  /** Whether a scan of that name was given, for MISSING_SCAN before anything is loaded. */
  exists(name: string): boolean;
  /** Loads and checks one scan; a missing, corrupt, too large or unsupported one is a ScanError. */
  load(name: string): Promise<LoadedScan>;
}

export function scansInDirectory(dir: string): ScanSource {
  return {
    exists: (name) => existsSync(path.join(dir, name)),
    load: (name) => loadScan(path.join(dir, name)),
  };
}

/** Same as loadScan for bytes already in memory (e.g. from an uploaded zip). */
export async function decodeScan(fileName: string, bytes: Uint8Array, options: { maxBytes?: number } = {}): Promise<LoadedScan> {
  const maxBytes = options.maxBytes ?? MAX_SCAN_BYTES;
  if (bytes.length > maxBytes) throw new ScanError('SCAN_TOO_LARGE', fileName, `is ${bytes.length} bytes; the limit is ${maxBytes} bytes (${formatMiB(maxBytes)})`);
  if (bytes.length === 0) throw new ScanError('CORRUPT_SCAN', fileName, 'is empty');
  const sha256 = sha256Hex(bytes);
  const base = { fileName, sha256, byteLength: bytes.length };
  const kind = detectScanType(bytes);
  switch (kind) {
    case 'image/jpeg': {
      const { width, height } = checkJpeg(fileName, bytes);
      return { ...base, mediaType: kind, pages: [{ kind: 'jpeg', bytes, width, height }] };
    }
    case 'image/png': {
      const { width, height } = checkPng(fileName, bytes);
      return { ...base, mediaType: kind, pages: [{ kind: 'png', bytes, width, height }] };
    }
    case 'image/tiff':
      return { ...base, mediaType: kind, pages: await tiffToPng(fileName, bytes) };
    case 'application/pdf': {
      const pdfPageCount = await checkPdf(fileName, bytes);
      return { ...base, mediaType: kind, pages: null, pdfBytes: bytes, pdfPageCount };
    }
    default:
      throw new ScanError(
        'UNSUPPORTED_SCAN_FORMAT',
        fileName,
        `is not a JPEG, PNG, TIFF or PDF file (starts with bytes ${Buffer.from(bytes.subarray(0, 8)).toString('hex')})`,
      );
  }
}

/** Media type from magic bytes, or null. */
export function detectScanType(b: Uint8Array): ScanMediaType | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v)) return 'image/png';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && (b[2] === 0x2a || b[2] === 0x2b) && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && (b[3] === 0x2a || b[3] === 0x2b)))) {
    return 'image/tiff';
  }
  // %PDF- may be preceded by junk within the first 1024 bytes (ISO 32000-1 §7.5.2 implementations tolerate it).
  if (indexOfAscii(b.subarray(0, 1024), '%PDF-') >= 0) return 'application/pdf';
  return null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Walks the JPEG markers up to the first SOS; returns the frame size; requires an EOI after the scan data. */
export function checkJpeg(fileName: string, b: Uint8Array): { width: number; height: number } {
  const corrupt = (reason: string): ScanError => new ScanError('CORRUPT_SCAN', fileName, `JPEG ${reason}`);
  let pos = 2;
  let size: { width: number; height: number } | null = null;
  for (;;) {
    if (pos + 4 > b.length) throw corrupt('is truncated inside its headers');
    if (b[pos] !== 0xff) throw corrupt(`has no marker at byte ${pos}`);
    let marker = b[pos + 1]!;
    while (marker === 0xff && pos + 2 < b.length) {
      pos++; // fill bytes
      marker = b[pos + 1]!;
    }
    if (marker === 0xd9) throw corrupt('ends before its image data');
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (pos + 4 > b.length) throw corrupt('is truncated inside its headers');
    const length = (b[pos + 2]! << 8) | b[pos + 3]!;
    if (length < 2 || pos + 2 + length > b.length) throw corrupt(`is truncated: segment 0xFF${marker.toString(16).toUpperCase()} at byte ${pos} runs past the end of the file`);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (length < 8) throw corrupt('has a frame header that is too short');
      const height = (b[pos + 5]! << 8) | b[pos + 6]!;
      const width = (b[pos + 7]! << 8) | b[pos + 8]!;
      if (width === 0 || height === 0) throw corrupt(`has an impossible size ${width}×${height}`);
      size = { width, height };
    }
    if (marker === 0xda) {
      if (!size) throw corrupt('has scan data before any frame header');
      const scanStart = pos + 2 + length;
      const eoi = lastIndexOfEoi(b);
      if (eoi < scanStart) throw corrupt('is truncated: no end-of-image marker after the image data');
      return size;
    }
    pos += 2 + length;
  }
}

function lastIndexOfEoi(b: Uint8Array): number {
  for (let i = b.length - 2; i >= 0; i--) if (b[i] === 0xff && b[i + 1] === 0xd9) return i;
  return -1;
}

/**
 * CRC-32 (ISO 3309, as PNG chunks and zip entries use it) of `b[start, end)`: node's own (zlib's, native),
 * for every CRC the service checks.
 */
export function crc32(b: Uint8Array, start = 0, end = b.length): number {
  return zlibCrc32(b.subarray(start, end)) >>> 0;
}

/** Checks PNG chunk structure and CRCs; returns the IHDR size. */
export function checkPng(fileName: string, b: Uint8Array): { width: number; height: number } {
  const corrupt = (reason: string): ScanError => new ScanError('CORRUPT_SCAN', fileName, `PNG ${reason}`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = 8;
  let size: { width: number; height: number } | null = null;
  let sawIdat = false;
  let first = true;
  for (;;) {
    if (pos + 12 > b.length) throw corrupt('is truncated: no IEND chunk');
    const length = view.getUint32(pos);
    const type = String.fromCharCode(b[pos + 4]!, b[pos + 5]!, b[pos + 6]!, b[pos + 7]!);
    if (!/^[A-Za-z]{4}$/.test(type)) throw corrupt(`has a malformed chunk at byte ${pos}`);
    if (pos + 12 + length > b.length) throw corrupt(`is truncated: chunk ${type} at byte ${pos} runs past the end of the file`);
    const crc = view.getUint32(pos + 8 + length);
    if (crc32(b, pos + 4, pos + 8 + length) !== crc) throw corrupt(`chunk ${type} at byte ${pos} fails its CRC check`);
    if (first && type !== 'IHDR') throw corrupt('does not start with an IHDR chunk');
    first = false;
    if (type === 'IHDR') {
      if (length !== 13) throw corrupt('has a malformed IHDR chunk');
      const width = view.getUint32(pos + 8);
      const height = view.getUint32(pos + 12);
      if (width === 0 || height === 0) throw corrupt(`has an impossible size ${width}×${height}`);
      size = { width, height };
    }
    if (type === 'IDAT') sawIdat = true;
    if (type === 'IEND') {
      if (!size || !sawIdat) throw corrupt('has no image data');
      return size;
    }
    pos += 12 + length;
  }
}

async function tiffToPng(fileName: string, bytes: Uint8Array): Promise<ScanPage[]> {
  const corrupt = (err: unknown): ScanError => new ScanError('CORRUPT_SCAN', fileName, `TIFF cannot be decoded: ${(err as Error).message}`);
  let pageCount: number;
  try {
    const meta = await sharp(bytes, { failOn: 'error' }).metadata();
    pageCount = meta.pages ?? 1;
  } catch (err) {
    throw corrupt(err);
  }
  if (pageCount > MAX_TIFF_PAGES) throw new ScanError('SCAN_TOO_LARGE', fileName, `TIFF has ${pageCount} pages; at most ${MAX_TIFF_PAGES} are accepted`);
  const pages: ScanPage[] = [];
  for (let page = 0; page < pageCount; page++) {
    try {
      const { data, info } = await sharp(bytes, { page, failOn: 'error' })
        .png({ compressionLevel: 6, adaptiveFiltering: false })
        .toBuffer({ resolveWithObject: true });
      pages.push({ kind: 'png', bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height });
    } catch (err) {
      throw new ScanError('CORRUPT_SCAN', fileName, `TIFF page ${page + 1} of ${pageCount} cannot be decoded: ${(err as Error).message}`);
    }
  }
  return pages;
}

async function checkPdf(fileName: string, bytes: Uint8Array): Promise<number> {
  const tail = bytes.subarray(Math.max(0, bytes.length - 1024));
  if (indexOfAscii(tail, '%%EOF') < 0) throw new ScanError('CORRUPT_SCAN', fileName, 'PDF is truncated: no %%EOF marker at its end');
  let pageCount: number;
  try {
    const doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: true });
    pageCount = doc.getPageCount();
  } catch (err) {
    throw new ScanError('CORRUPT_SCAN', fileName, `PDF cannot be parsed: ${(err as Error).message}`);
  }
  if (pageCount === 0) throw new ScanError('CORRUPT_SCAN', fileName, 'PDF has no pages');
  return pageCount;
}

function indexOfAscii(b: Uint8Array, s: string): number {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).indexOf(s, 0, 'latin1');
}

function formatMiB(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
}
