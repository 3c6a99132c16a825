import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { loadS3TestConfig } from '../../test/support/s3-test-config.ts';
import { createLocalDirectoryStore } from './local-directory-store.ts';
import { InvalidObjectKeyError } from './object-store.ts';
import type { ObjectStore } from './object-store.ts';
import { createMinioClient, createS3ObjectStore } from './s3-object-store.ts';

/**
 * One contract suite, run against every ObjectStore adapter. Keys live under a per-run prefix so
 * reruns against a shared S3 bucket never collide. The S3 adapters need a server
 * (scripts/s3-test-server.sh start); without one they are skipped loudly (and fail on CI).
 */
interface Fixture {
  store: ObjectStore;
  /** Prefix every key of this run starts with ('' or 'run-…/'). */
  prefix: string;
  /** For the local-directory adapter: its root, for the on-disk checks. */
  localRoot?: string;
  cleanup(): Promise<void>;
}

interface AdapterUnderTest {
  name: string;
  setup(): Promise<Fixture | { skipReason: string }>;
}

const adapters: AdapterUnderTest[] = [
  {
    name: 'local-directory',
    async setup() {
      const root = await mkdtemp(path.join(tmpdir(), 'lv-object-store-'));
      const store = await createLocalDirectoryStore(path.join(root, 'objects'));
      return {
        store,
        prefix: '',
        localRoot: path.join(root, 'objects'),
        cleanup: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3',
    async setup() {
      const cfg = await loadS3TestConfig();
      if ('skipReason' in cfg) return cfg;
      const store = await createS3ObjectStore(cfg);
      return {
        store,
        prefix: cfg.keyPrefix,
        async cleanup() {
          for (const key of await store.list(cfg.keyPrefix)) await store.delete(key);
          await store.close();
        },
      };
    },
  },
  {
    // A fresh bucket created with object lock (versioned): checks bucket creation and that plain
    // puts/deletes still behave as the port promises on a WORM-capable bucket.
    name: 's3 (new bucket with object lock)',
    async setup() {
      const cfg = await loadS3TestConfig();
      if ('skipReason' in cfg) return cfg;
      const bucket = `lv-lock-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      const store = await createS3ObjectStore({ ...cfg, bucket, objectLock: true });
      return {
        store,
        prefix: cfg.keyPrefix,
        async cleanup() {
          await store.close();
          const client = createMinioClient(cfg);
          const versions: { name: string; versionId?: string | null }[] = [];
          for await (const item of client.listObjects(bucket, '', true, { IncludeVersion: true })) {
            if (item.name) versions.push({ name: item.name, versionId: item.versionId ?? null });
          }
          for (const v of versions) {
            await client.removeObject(bucket, v.name, v.versionId ? { versionId: v.versionId } : {});
          }
          await client.removeBucket(bucket);
        },
      };
    },
  },
];

function bytes(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

/** All 256 byte values, twice, in a shuffled-ish order: catches any text/encoding mangling. */
function allByteValues(): Uint8Array {
  const out = new Uint8Array(512);
  for (let i = 0; i < 512; i++) out[i] = (i * 73 + 11) % 256;
  return out;
}

async function expectInvalidKey(p: Promise<unknown>): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an InvalidObjectKeyError').to.be.instanceOf(InvalidObjectKeyError);
}

for (const adapter of adapters) {
  describe(`ObjectStore contract: ${adapter.name}`, function () {
    this.timeout(60_000);
    let fx: Fixture | undefined;
    const k = (rest: string): string => `${fx?.prefix ?? ''}${rest}`;
    const store = (): ObjectStore => {
      if (!fx) throw new Error('fixture not set up');
      return fx.store;
    };

    before(async function () {
      const res = await adapter.setup();
      if ('skipReason' in res) {
        console.warn(`\n  !!! ${adapter.name} contract suite SKIPPED: ${res.skipReason}\n`);
        this.skip();
      }
      fx = res;
    });

    after(async () => {
      await fx?.cleanup();
    });

    it('has a kind and answers ping', async () => {
      expect(store().kind).to.equal(adapter.name.startsWith('s3') ? 's3' : 'local-directory');
      await store().ping();
    });

    it('round-trips binary bytes exactly', async () => {
      const body = allByteValues();
      await store().put(k('bin/all-bytes.bin'), body, 'application/octet-stream');
      const got = await store().get(k('bin/all-bytes.bin'));
      expect(got).to.be.instanceOf(Uint8Array);
      expect(Buffer.from(got!).equals(Buffer.from(body))).to.equal(true);
    });

    it('round-trips an object larger than 5 MiB (multipart on S3)', async () => {
      const body = bytes(6 * 1024 * 1024 + 123);
      await store().put(k('big/six-mib.pdf'), body, 'application/pdf');
      const got = await store().get(k('big/six-mib.pdf'));
      expect(got?.byteLength).to.equal(body.byteLength);
      expect(Buffer.from(got!).equals(Buffer.from(body))).to.equal(true);
      const st = await store().stat(k('big/six-mib.pdf'));
      expect(st).to.deep.include({ key: k('big/six-mib.pdf'), size: body.byteLength, contentType: 'application/pdf' });
    });

    it('round-trips a zero-byte object', async () => {
      await store().put(k('empty/zero.bin'), new Uint8Array(0), 'application/octet-stream');
      const got = await store().get(k('empty/zero.bin'));
      expect(got).to.not.equal(null);
      expect(got!.byteLength).to.equal(0);
      expect((await store().stat(k('empty/zero.bin')))?.size).to.equal(0);
    });

    it('returns null for a missing key (get and stat)', async () => {
      expect(await store().get(k('missing/nothing-here.pdf'))).to.equal(null);
      expect(await store().stat(k('missing/nothing-here.pdf'))).to.equal(null);
    });

    it('stats size, content type and when it was written', async () => {
      const body = bytes(1234);
      const before = Date.now();
      await store().put(k('stat/a.pdf'), body, 'application/pdf');
      const st = await store().stat(k('stat/a.pdf'));
      expect(st).to.deep.include({ key: k('stat/a.pdf'), size: 1234, contentType: 'application/pdf' });
      // S3 keeps whole seconds; a clock a little apart from the server's is allowed for.
      expect(Date.parse(st!.modifiedAt)).to.be.within(before - 5000, Date.now() + 5000);
    });

    it('overwrites the same key', async () => {
      await store().put(k('over/x.bin'), bytes(100), 'application/octet-stream');
      const second = bytes(50);
      await store().put(k('over/x.bin'), second, 'text/plain');
      expect(Buffer.from((await store().get(k('over/x.bin')))!).equals(Buffer.from(second))).to.equal(true);
      expect(await store().stat(k('over/x.bin'))).to.deep.include({ key: k('over/x.bin'), size: 50, contentType: 'text/plain' });
      expect(await store().list(k('over/'))).to.deep.equal([k('over/x.bin')]);
    });

    it('keeps the content type of the last put, also where it is the one the extension implies', async () => {
      await store().put(k('implied/x.pdf'), bytes(10), 'text/plain');
      expect(await store().stat(k('implied/x.pdf'))).to.deep.include({ contentType: 'text/plain' });
      await store().put(k('implied/x.pdf'), bytes(10), 'application/pdf');
      expect(await store().stat(k('implied/x.pdf'))).to.deep.include({ contentType: 'application/pdf' });
      await store().put(k('implied/y'), bytes(10), 'application/json');
      await store().put(k('implied/y'), bytes(10), 'application/octet-stream');
      expect(await store().stat(k('implied/y'))).to.deep.include({ contentType: 'application/octet-stream' });
      expect(await store().list(k('implied/'))).to.deep.equal([k('implied/x.pdf'), k('implied/y')]);
    });

    it('lists keys by prefix, sorted', async () => {
      const keys = ['list/a/1.pdf', 'list/a/2.pdf', 'list/a/deep/3.pdf', 'list/ab/4.pdf', 'list/b/5.pdf'].map(k);
      await Promise.all(keys.map((key) => store().put(key, bytes(10), 'application/pdf')));
      expect(await store().list(k('list/a/'))).to.deep.equal(keys.slice(0, 3));
      expect(await store().list(k('list/a'))).to.deep.equal(keys.slice(0, 4));
      expect(await store().list(k('list/'))).to.deep.equal(keys);
      expect(await store().list(k('list/a/1'))).to.deep.equal([k('list/a/1.pdf')]);
      expect(await store().list(k('list/zzz/'))).to.deep.equal([]);
      expect(await store().list(k('nope-'))).to.deep.equal([]);
    });

    it('deletes (and deleting a missing key is a no-op)', async () => {
      await store().put(k('del/gone.pdf'), bytes(10), 'application/pdf');
      await store().delete(k('del/gone.pdf'));
      expect(await store().get(k('del/gone.pdf'))).to.equal(null);
      expect(await store().stat(k('del/gone.pdf'))).to.equal(null);
      expect(await store().list(k('del/'))).to.deep.equal([]);
      await store().delete(k('del/gone.pdf'));
      await store().delete(k('del/never-existed.pdf'));
    });

    it('rejects invalid keys on every operation', async () => {
      const bad = ['../x', '/abs', 'a/../../b', '', 'a//b', 'Upper/case', 'a/', 'a\\b', 'a/./b', `${'x'.repeat(513)}`];
      for (const key of bad) {
        await expectInvalidKey(store().put(key, bytes(1), 'application/octet-stream'));
        await expectInvalidKey(store().get(key));
        await expectInvalidKey(store().stat(key));
        await expectInvalidKey(store().delete(key));
      }
      for (const prefix of ['../', '/abs', 'a/../', 'a//', 'Up']) await expectInvalidKey(store().list(prefix));
    });

    it('survives concurrent puts of the same key with the same bytes', async () => {
      const body = bytes(256 * 1024);
      await Promise.all(Array.from({ length: 8 }, () => store().put(k('conc/same.pdf'), body, 'application/pdf')));
      expect(Buffer.from((await store().get(k('conc/same.pdf')))!).equals(Buffer.from(body))).to.equal(true);
      expect(await store().list(k('conc/'))).to.deep.equal([k('conc/same.pdf')]);
    });

    it('survives concurrent large (multipart) puts of the same key with the same bytes', async () => {
      const body = bytes(5 * 1024 * 1024 + 1);
      await Promise.all(Array.from({ length: 3 }, () => store().put(k('conc-big/same.pdf'), body, 'application/pdf')));
      expect(Buffer.from((await store().get(k('conc-big/same.pdf')))!).equals(Buffer.from(body))).to.equal(true);
      expect(await store().list(k('conc-big/'))).to.deep.equal([k('conc-big/same.pdf')]);
    });

    it('never shows a partial object to a concurrent reader', async function () {
      const first = bytes(3 * 1024 * 1024);
      const second = bytes(3 * 1024 * 1024);
      const key = k('atomic/doc.pdf');
      let writing = true;
      const seen = new Set<string>();
      const reader = (async () => {
        while (writing) {
          const got = await store().get(key);
          if (got === null) seen.add('null');
          else if (Buffer.from(got).equals(Buffer.from(first))) seen.add('first');
          else if (Buffer.from(got).equals(Buffer.from(second))) seen.add('second');
          else seen.add(`partial:${got.byteLength}`);
          for (const listed of await store().list(k('atomic/'))) if (listed !== key) seen.add(`listed:${listed}`);
        }
      })();
      for (let i = 0; i < 4; i++) await store().put(key, i % 2 === 0 ? first : second, 'application/pdf');
      writing = false;
      await reader;
      expect([...seen].filter((s) => !['null', 'first', 'second'].includes(s))).to.deep.equal([]);
    });

    if (adapter.name === 'local-directory') {
    it('local-directory: leaves no temp files, ignores stray ones, stays inside its root', async () => {
      const root = fx!.localRoot!;
      await store().put(k('tmpcheck/a.pdf'), bytes(1000), 'application/pdf');
      const names = await readdir(path.join(root, 'tmpcheck'));
      expect(names.filter((n) => n.endsWith('.tmp'))).to.deep.equal([]);
      // A temp file left by a crash mid-put is never listed or served.
      await writeFile(path.join(root, 'tmpcheck', '.a.pdf.deadbeef.tmp'), 'partial');
      expect(await store().list(k('tmpcheck/'))).to.deep.equal([k('tmpcheck/a.pdf')]);
      // Nothing was written outside the root.
      const parentEntries = await readdir(path.dirname(root));
      expect(parentEntries).to.deep.equal([path.basename(root)]);
    });
    }
  });
}
