import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { openChunked, putChunked } from '../../src/digitize/chunked-objects.ts';
import { createLocalDirectoryStore } from '../../src/storage/local-directory-store.ts';
import type { ObjectStore } from '../../src/storage/object-store.ts';
import { tempDir } from './helpers.ts';

/** The object store, recording each put's key and size. */
function recording(store: ObjectStore): ObjectStore & { puts: Array<{ key: string; size: number }> } {
  const puts: Array<{ key: string; size: number }> = [];
  return Object.assign(Object.create(store) as ObjectStore, {
    puts,
    put: (key: string, body: Uint8Array, contentType: string) => {
      puts.push({ key, size: body.byteLength });
      return store.put(key, body, contentType);
    },
  });
}

async function* inChunks(bytes: Buffer, sizes: () => number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes.length; ) {
    const n = Math.min(sizes(), bytes.length - offset);
    yield bytes.subarray(offset, offset + n);
    offset += n;
  }
}

describe('digitize: chunked objects', () => {
  const dir = tempDir('chunked');
  let store: ObjectStore;
  before(async () => {
    store = await createLocalDirectoryStore(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: Array<{ name: string; size: number; chunks: () => () => number }> = [
    { name: 'one write holding several parts', size: 10_500, chunks: () => () => 1 << 30 },
    { name: 'small writes crossing part boundaries', size: 10_500, chunks: () => () => 1 + crypto.randomInt(700) },
    { name: 'a size that is a whole number of parts', size: 8_000, chunks: () => () => 333 },
    { name: 'less than one part', size: 999, chunks: () => () => 100 },
  ];
  for (const c of cases) {
    it(`stores ${c.name} as whole parts and reads back every byte and range`, async () => {
      const bytes = crypto.randomBytes(c.size);
      const objects = recording(store);
      const prefix = `files/${crypto.randomBytes(4).toString('hex')}`;
      const size = await putChunked(objects, prefix, Readable.from(inChunks(bytes, c.chunks())), { partBytes: 1000 });
      expect(size).to.equal(c.size);
      const parts = objects.puts.filter((p) => p.key.includes('/part-'));
      expect(parts.map((p) => p.size)).to.deep.equal(Array.from({ length: Math.ceil(c.size / 1000) }, (_, i) => Math.min(1000, c.size - i * 1000)));
      expect(objects.puts.at(-1)!.key).to.equal(`${prefix}/index.json`); // the index last: a file with an index is whole

      const file = (await openChunked(store, prefix, { cacheParts: 2 }))!;
      expect(file.size).to.equal(c.size);
      expect(Buffer.compare(await file.read(0, c.size), bytes)).to.equal(0);
      for (let i = 0; i < 20; i++) {
        const start = crypto.randomInt(c.size);
        const end = start + crypto.randomInt(c.size - start + 1);
        expect(Buffer.compare(await file.read(start, end), bytes.subarray(start, end))).to.equal(0, `range ${start}–${end}`);
      }
      const streamed: Buffer[] = [];
      for await (const chunk of file.stream(17, c.size - 5)) streamed.push(chunk as Buffer);
      expect(Buffer.compare(Buffer.concat(streamed), bytes.subarray(17, c.size - 5))).to.equal(0);
    });
  }
});
