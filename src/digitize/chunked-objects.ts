/**
 * Large files (an uploaded manifest, a zip of scans: up to gigabytes) in the object store, streamed in and
 * read back by range, on the ObjectStore port as it is (whole-object put and get).
 *
 * A file under `<prefix>` is stored as parts `<prefix>/part-000000`, `part-000001`, … of PART_BYTES each
 * (the last one shorter) and, once every part is stored, `<prefix>/index.json` ({ size, partBytes, parts }).
 * The index is written last, so a file whose index exists is whole: a writer that died half-way leaves
 * parts without an index, which no reader takes for a file. Memory is one part being filled plus one being
 * stored, whatever the file's size (a put of one object is atomic on both adapters).
 *
 * Reading by range (the zip's central directory, then one entry) fetches only the parts the range covers,
 * through a small per-file cache, so reading a scan never downloads the whole archive. This is how GridFS
 * keeps large files in a store of bounded documents; S3's own multipart upload would need an upload state
 * the port does not have, and a ranged get is one more port method for one caller.
 */
import { Writable, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../storage/object-store.ts';

/** 4 MiB: below the S3 adapter's multipart threshold (one PUT per part), and a few parts cover a large scan. */
export const PART_BYTES = 4 * 1024 * 1024;

export interface ChunkedIndex {
  size: number;
  partBytes: number;
  parts: number;
}

const partKey = (prefix: string, n: number) => `${prefix}/part-${String(n).padStart(6, '0')}`;
const indexKey = (prefix: string) => `${prefix}/index.json`;

/**
 * A writable that stores what is written to it as a chunked file under `prefix`. 'finish' (and 'close')
 * come after the index is stored; a failed put is the stream's 'error'. `maxBytes` stops a runaway upload.
 */
export function createChunkedObjectWriter(objects: ObjectStore, prefix: string, options: { partBytes?: number; contentType?: string } = {}): Writable & { readonly size: number } {
  const partBytes = options.partBytes ?? PART_BYTES;
  const contentType = options.contentType ?? 'application/octet-stream';
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  let parts = 0;
  let size = 0;
  // The next part: the first `bytes` written, copied once at most (a part inside one chunk is a view of it).
  // What is left of a chunk stays a view, so a large write is never copied again for every part it holds.
  const takePart = (bytes: number): Buffer => {
    const chunks: Buffer[] = [];
    for (let need = bytes; need > 0; ) {
      const chunk = pending[0]!;
      if (chunk.length <= need) {
        chunks.push(chunk);
        pending.shift();
        need -= chunk.length;
      } else {
        chunks.push(chunk.subarray(0, need));
        pending[0] = chunk.subarray(need);
        need = 0;
      }
    }
    pendingBytes -= bytes;
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
  };
  const flush = async (final: boolean) => {
    while (pendingBytes >= partBytes || (final && pendingBytes > 0)) {
      const part = takePart(Math.min(partBytes, pendingBytes));
      await objects.put(partKey(prefix, parts), new Uint8Array(part.buffer, part.byteOffset, part.byteLength), contentType);
      parts += 1;
    }
  };
  const writer = new Writable({
    highWaterMark: partBytes,
    write(chunk: Buffer, _encoding, callback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      size += chunk.length;
      if (pendingBytes < partBytes) return callback();
      flush(false).then(() => callback(), callback);
    },
    final(callback) {
      flush(true)
        .then(() => objects.put(indexKey(prefix), new TextEncoder().encode(JSON.stringify({ size, partBytes, parts } satisfies ChunkedIndex)), 'application/json'))
        .then(() => callback(), callback);
    },
  });
  return Object.defineProperty(writer, 'size', { get: () => size }) as Writable & { readonly size: number };
}

/** Stores a whole readable as a chunked file; resolves with its size once the index is stored. */
export async function putChunked(objects: ObjectStore, prefix: string, body: Readable, options: { partBytes?: number; contentType?: string } = {}): Promise<number> {
  const writer = createChunkedObjectWriter(objects, prefix, options);
  await pipeline(body, writer);
  return writer.size;
}

/** A chunked file opened for reading. */
export interface ChunkedObject {
  readonly size: number;
  /** Bytes [start, end) as one buffer (callers keep ranges small: a zip header, one scan). */
  read(start: number, end: number): Promise<Buffer>;
  /** Bytes [start, end) as a stream, one part at a time (a manifest of any size). */
  stream(start?: number, end?: number): Readable;
}

/** Opens the chunked file under `prefix`, or null when there is none (no index: absent or never finished). */
export async function openChunked(objects: ObjectStore, prefix: string, options: { cacheParts?: number } = {}): Promise<ChunkedObject | null> {
  const indexBytes = await objects.get(indexKey(prefix));
  if (!indexBytes) return null;
  const index = JSON.parse(new TextDecoder().decode(indexBytes)) as ChunkedIndex;
  const cacheParts = Math.max(1, options.cacheParts ?? 4);
  // Most recently used last; a part being fetched is shared by every reader that asks for it meanwhile.
  const cache = new Map<number, Promise<Buffer>>();
  const part = (n: number): Promise<Buffer> => {
    const cached = cache.get(n);
    if (cached) {
      cache.delete(n);
      cache.set(n, cached);
      return cached;
    }
    const loading = objects.get(partKey(prefix, n)).then((bytes) => {
      if (!bytes) throw new Error(`part ${n} of ${prefix} is missing`);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    });
    loading.catch(() => cache.delete(n));
    cache.set(n, loading);
    while (cache.size > cacheParts) cache.delete(cache.keys().next().value!);
    return loading;
  };
  async function* ranges(start: number, end: number): AsyncGenerator<Buffer> {
    for (let offset = start; offset < end; ) {
      const n = Math.floor(offset / index.partBytes);
      const bytes = await part(n);
      const from = offset - n * index.partBytes;
      const to = Math.min(bytes.length, end - n * index.partBytes);
      if (to <= from) throw new Error(`part ${n} of ${prefix} is shorter than its index says`);
      yield bytes.subarray(from, to);
      offset += to - from;
    }
  }
  const clamp = (start: number, end: number) => [Math.max(0, start), Math.min(index.size, end)] as const;
  return {
    size: index.size,
    async read(start, end) {
      const [from, to] = clamp(start, end);
      const chunks: Buffer[] = [];
      for await (const chunk of ranges(from, to)) chunks.push(chunk);
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    },
    stream(start = 0, end = index.size) {
      const [from, to] = clamp(start, end);
      return Readable.from(ranges(from, to), { objectMode: false });
    },
  };
}

/** Removes a chunked file's parts and index (missing ones are fine). */
export async function deleteChunked(objects: ObjectStore, prefix: string): Promise<void> {
  for (const key of await objects.list(`${prefix}/`)) await objects.delete(key);
}
