/**
 * The scans of an uploaded batch: a zip, read in place in the object store (central directory first, then
 * each entry by range when its row needs it), never unpacked to a disk. Safely: plain file names only (a
 * file in a folder of the zip is known by its base name; no "..", no hidden files, no name twice), bounded
 * entry count and uncompressed size, and yauzl's own checks (entry sizes, CRC-32 of every entry read).
 */
import type { Readable } from 'node:stream';
import path from 'node:path';
import yauzl from 'yauzl';
import type { ChunkedObject } from './chunked-objects.ts';
import { decodeScan, MAX_SCAN_BYTES, ScanError } from './scan-reader.ts';
import type { ScanSource } from './scan-reader.ts';

export class ScanArchiveError extends Error {
  readonly code = 'SCAN_ARCHIVE_INVALID';
}

export const SCAN_ARCHIVE_LIMITS = { maxEntries: 200_000, maxTotalBytes: 8 * 1024 ** 3 };

export interface ScanArchive {
  /** Whether the archive has a file of that (base) name. */
  has(name: string): boolean;
  /** Uncompressed size of a file, or null. */
  size(name: string): number | null;
  /** The bytes of a file (the caller checks its size first: scans are read whole). */
  read(name: string): Promise<Uint8Array>;
  readonly count: number;
  close(): void;
}

/** yauzl reads the zip through this: each range is fetched from the chunked object when yauzl asks for it. */
class ChunkedReader extends yauzl.RandomAccessReader {
  constructor(private readonly file: ChunkedObject) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.file.stream(start, end);
  }
}

export async function openScanArchive(file: ChunkedObject, limits = SCAN_ARCHIVE_LIMITS): Promise<ScanArchive> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new ChunkedReader(file), file.size, { lazyEntries: true, autoClose: false });
  } catch (error) {
    throw new ScanArchiveError(`not a readable zip: ${(error as Error).message}`);
  }
  const entries = new Map<string, yauzl.Entry>();
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (error: Error) => reject(error instanceof ScanArchiveError ? error : new ScanArchiveError(`not a readable zip: ${error.message}`)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry(); // directories: their files are known by their base names
        const name = path.posix.basename(entry.fileName);
        if (!name || name.startsWith('.') || entry.fileName.includes('..') || name.includes('\\')) return reject(new ScanArchiveError(`refused entry name ${JSON.stringify(entry.fileName)}`));
        if (entries.has(name)) return reject(new ScanArchiveError(`two entries named ${name}`));
        entries.set(name, entry);
        total += entry.uncompressedSize;
        if (entries.size > limits.maxEntries || total > limits.maxTotalBytes) return reject(new ScanArchiveError('the archive is larger than a batch may be'));
        zip.readEntry();
      });
      zip.readEntry();
    });
  } catch (error) {
    zip.close();
    throw error;
  }
  return {
    count: entries.size,
    has: (name) => entries.has(name),
    size: (name) => entries.get(name)?.uncompressedSize ?? null,
    async read(name) {
      const entry = entries.get(name);
      if (!entry) throw new ScanArchiveError(`no entry named ${name}`);
      const stream = await zip.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    close: () => zip.close(),
  };
}

/** The archive as the pipeline's scan source: a file is checked for size before it is read. */
export function scansInArchive(archive: ScanArchive, maxBytes = MAX_SCAN_BYTES): ScanSource {
  return {
    exists: (name) => archive.has(name),
    async load(name) {
      const size = archive.size(name);
      if (size === null) throw new ScanError('MISSING_SCAN', name, 'the file does not exist');
      if (size > maxBytes) throw new ScanError('SCAN_TOO_LARGE', name, `is ${size} bytes; the limit is ${maxBytes} bytes`);
      let bytes: Uint8Array;
      try {
        bytes = await archive.read(name);
      } catch (error) {
        // A bad CRC or a truncated entry is the scan's problem; the object store failing is not (it propagates).
        if ((error as Error).message?.match(/crc|too many bytes|not enough bytes|invalid|unsupported compression/i)) throw new ScanError('CORRUPT_SCAN', name, `cannot be read from the zip: ${(error as Error).message}`);
        throw error;
      }
      return decodeScan(name, bytes, { maxBytes });
    },
  };
}
