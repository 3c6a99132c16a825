import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { openChunked, putChunked } from '../../src/digitize/chunked-objects.ts';
import { openScanArchive, scansInArchive } from '../../src/digitize/scan-archive.ts';
import type { ScanArchive } from '../../src/digitize/scan-archive.ts';
import { ScanError } from '../../src/digitize/scan-reader.ts';
import { createLocalDirectoryStore } from '../../src/storage/local-directory-store.ts';
import type { ObjectStore } from '../../src/storage/object-store.ts';
import { makeJpeg } from './messy-manifest-generator.ts';
import { tempDir } from './helpers.ts';
import { zipFiles } from '../support/zip.ts';
import type { ZipFile } from '../support/zip.ts';

/** Each local header carries an extra field the central directory does not have, as some zip tools write. */
const zip = (files: ZipFile[]) => zipFiles(files, { localExtra: Uint8Array.from([0xca, 0xfe, 4, 0, 1, 2, 3, 4]) });

describe('digitize: scans read straight out of a zip in the object store', () => {
  const dir = tempDir('scan-archive');
  let store: ObjectStore;
  const opened: ScanArchive[] = [];
  before(async () => {
    store = await createLocalDirectoryStore(dir);
  });
  after(() => {
    for (const archive of opened) archive.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The zip stored in small parts, so entries and headers straddle part boundaries. */
  async function open(bytes: Buffer): Promise<ScanArchive> {
    const prefix = `zips/${crypto.randomBytes(4).toString('hex')}`;
    await putChunked(store, prefix, Readable.from([bytes]), { partBytes: 777 });
    const archive = await openScanArchive((await openChunked(store, prefix, { cacheParts: 2 }))!);
    opened.push(archive);
    return archive;
  }

  const scans = [makeJpeg('first'), makeJpeg('second, a little longer'), crypto.randomBytes(3000), makeJpeg('fourth')].map((b) => new Uint8Array(b));
  const files = [
    { name: 'a.jpg', bytes: scans[0]! },
    { name: 'folder/b.jpg', bytes: scans[1]! },
    { name: 'c.bin', bytes: scans[2]!, deflate: true },
    { name: 'd.jpg', bytes: scans[3]!, deflate: true },
  ];

  it('reads stored and deflated entries byte for byte, each into a buffer of its own', async () => {
    const archive = await open(zip(files));
    expect(archive.count).to.equal(4);
    for (const [name, expected] of [['a.jpg', scans[0]!], ['b.jpg', scans[1]!], ['c.bin', scans[2]!], ['d.jpg', scans[3]!]] as const) {
      const bytes = await archive.read(name);
      expect(Buffer.compare(bytes, expected)).to.equal(0, name);
      // Not a view of a cached part: posting it to a render worker copies only the scan.
      expect(bytes.buffer.byteLength).to.equal(bytes.byteLength, name);
    }
  });

  it('refuses an entry whose bytes do not match its CRC-32 as a corrupt scan, and reads the others', async () => {
    const bytes = zip(files);
    const at = bytes.indexOf(Buffer.from(scans[1]!)) + 40; // inside b.jpg's stored data
    bytes[at] = bytes[at]! ^ 0xff;
    const source = scansInArchive(await open(bytes));
    const error = await source.load('b.jpg').then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(ScanError);
    expect((error as ScanError).code).to.equal('CORRUPT_SCAN');
    expect((error as ScanError).reason).to.match(/CRC-32/);
    expect((await source.load('a.jpg')).sha256).to.equal(crypto.createHash('sha256').update(scans[0]!).digest('hex'));
  });

  it('refuses a deflated entry whose inflated bytes do not match its CRC-32', async () => {
    const bytes = zip([{ name: 'x.bin', bytes: crypto.randomBytes(2000), deflate: true }]);
    bytes.writeUInt32LE((bytes.readUInt32LE(14) ^ 1) >>> 0, 14); // the local header's CRC is not the one checked…
    const centralAt = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt32LE((bytes.readUInt32LE(centralAt + 16) ^ 1) >>> 0, centralAt + 16); // …the central directory's is
    const error = await scansInArchive(await open(bytes)).load('x.bin').then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(ScanError);
    expect((error as ScanError).code).to.equal('CORRUPT_SCAN');
  });
});
