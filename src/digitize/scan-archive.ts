/**
 * The scans of an uploaded batch: a zip, read in place in the object store (central directory first, then
 * each entry by range when its row needs it), never unpacked to a disk. Safely: plain file names only (a
 * file in a folder of the zip is known by its base name; no "..", no hidden files, no name twice), bounded
 * entry count and uncompressed size, yauzl's checks of the central directory and of compressed entries'
 * sizes, and the CRC-32 of every entry read compared with the central directory's (APPNOTE.TXT §4.4.7;
 * yauzl itself does not check it: its README, "No CRC-32 Checking").
 *
 * A stored entry (compression method 0: what zip tools do with JPEG, PNG and PDF scans, which do not
 * compress) is read straight from its range: its local header, then its bytes, both from the parts the
 * archive has cached, copied once into a buffer of their own (a view of a cached 4 MiB part would be copied
 * whole when it is posted to a render worker). Other entries go through yauzl's inflating stream.
 */
import type { Readable } from 'node:stream';
import path from 'node:path';
import yauzl from 'yauzl';
import type { ChunkedObject } from './chunked-objects.ts';
import { crc32, decodeScan, MAX_SCAN_BYTES, ScanError } from './scan-reader.ts';
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
      let bytes: Uint8Array;
      if (entry.compressionMethod === 0 && !entry.isEncrypted()) {
        bytes = await readStored(file, entry);
      } else {
        const stream = await zip.openReadStreamPromise(entry);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        const all = Buffer.concat(chunks);
        // A small one lands in Node's shared buffer pool: copied out, as a stored entry is.
        bytes = all.buffer.byteLength === all.byteLength ? new Uint8Array(all.buffer, all.byteOffset, all.byteLength) : new Uint8Array(all);
      }
      if (crc32(bytes) !== entry.crc32) throw new Error(`entry ${entry.fileName} fails its CRC-32 check`);
      return bytes;
    },
    close: () => zip.close(),
  };
}

/** The local file header's signature (APPNOTE.TXT §4.3.7). */
const LOCAL_FILE_HEADER = 0x04034b50;

/** A stored entry's bytes: its local header (§4.3.7: the name and extra field lengths), then its data. */
async function readStored(file: ChunkedObject, entry: yauzl.Entry): Promise<Uint8Array> {
  const offset = entry.relativeOffsetOfLocalHeader;
  const header = await file.read(offset, offset + 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_FILE_HEADER) throw new Error(`invalid local file header signature for ${entry.fileName}`);
  if (entry.compressedSize !== entry.uncompressedSize) throw new Error(`invalid stored entry ${entry.fileName}: its compressed size is not its size`);
  const start = offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const end = start + entry.compressedSize;
  if (end > file.size) throw new Error(`entry ${entry.fileName} runs past the end of the archive: not enough bytes`);
  const data = await file.read(start, end);
  if (data.length !== entry.compressedSize) throw new Error(`entry ${entry.fileName}: not enough bytes`);
  return new Uint8Array(data); // an own copy (see above)
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
