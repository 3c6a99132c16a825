/** A minimal zip writer (APPNOTE.TXT §4.3) for tests: stored or deflated entries, enough for batches of scans. */
import zlib from 'node:zlib';
import { crc32 } from '../../src/digitize/scan-reader.ts';

export interface ZipFile {
  name: string;
  bytes: Uint8Array;
  /** Compression method 8 (deflate) instead of 0 (stored). */
  deflate?: boolean;
}

/**
 * A zip of `files`. `localExtra`: an extra field written into each local header and not into the central
 * directory (as some zip tools do), so a reader must take the local header's own lengths.
 */
export function zipFiles(files: ZipFile[], options: { localExtra?: Uint8Array } = {}): Buffer {
  const extra = Buffer.from(options.localExtra ?? []);
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const data = file.deflate ? zlib.deflateRawSync(file.bytes) : Buffer.from(file.bytes);
    const method = file.deflate ? 8 : 0;
    const crc = crc32(file.bytes);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(file.bytes.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    chunks.push(local, name, extra, data);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(method, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(file.bytes.length, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    offset += 30 + name.length + extra.length + data.length;
  }
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, centralBytes, end]);
}

/** A zip of stored entries, as an upload of scans is made. */
export function zipStore(files: Array<{ name: string; bytes: Uint8Array }>): Uint8Array {
  return new Uint8Array(zipFiles(files));
}
