/**
 * The logs served as C2SP tlog-tiles: the anchorer makes checkpoints of both logs, the publisher writes their
 * tiles to the object store, and a reader that knows nothing but the tiles' URLs and the log's vkey fetches
 * each checkpoint over HTTP, verifies its signature, rebuilds its root from the tiles, and builds and checks
 * RFC 9162 inclusion and consistency proofs, for every checkpoint the test made; entry bundles hash to the
 * level-0 tiles and are the leaves written. Tiles are written once and never again as the log grows, the
 * checkpoint object last; an interrupted publication is completed on the next run; tiles of another tree are
 * never overwritten. On PGlite and PostgreSQL, on the local directory store and the S3 gateway.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import express from 'express';
import { DomainError } from '../../src/errors/domain-error.ts';
import { EmbeddedLedger } from '../../src/ledger/embedded-ledger.ts';
import { canonicalLeaf, appendLeaves, KnexLogStore } from '../../src/log/log-store.ts';
import { auditTiledLog, entriesPath, LogTilePublisher, originSlug, tilePath, TiledLogReader, TileError, treeTiles } from '../../src/log/log-tiles.ts';
import type { FetchTileResource } from '../../src/log/log-tiles.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { generateCheckpointSigner, parseSigner, signCheckpoint } from '../../src/proofs/checkpoint.ts';
import type { ParsedCheckpoint } from '../../src/proofs/checkpoint.ts';
import { hashLeaf, verifyConsistency, verifyInclusion } from '../../src/proofs/merkle.ts';
import { createLocalDirectoryStore } from '../../src/storage/local-directory-store.ts';
import type { ObjectStore } from '../../src/storage/object-store.ts';
import { createS3ObjectStore } from '../../src/storage/s3-object-store.ts';
import { Anchorer } from '../../src/transparency/anchorer.ts';
import { tileRoutes } from '../../src/transparency/tile-routes.ts';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase, TestEngine } from '../support/databases.ts';
import { loadS3TestConfig } from '../support/s3-test-config.ts';

const LICENCES = 'tiles.test.example/licences';
const ACCESSES = 'tiles.test.example/accesses';
const UTF8 = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** An object store that records every put, and can be told to fail some. */
class RecordingStore implements ObjectStore {
  readonly puts: string[] = [];
  failPut: ((key: string) => boolean) | null = null;
  constructor(private readonly inner: ObjectStore) {}
  get kind() {
    return this.inner.kind;
  }
  async put(key: string, body: Uint8Array, contentType: string) {
    if (this.failPut?.(key)) throw new Error(`simulated failure writing ${key}`);
    this.puts.push(key);
    await this.inner.put(key, body, contentType);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  stat(key: string) {
    return this.inner.stat(key);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}

/** A GET with exactly these headers (fetch() adds its own and decodes gzip). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) })).on('error', reject);
    }).on('error', reject);
  });
}

type StoreKind = 'local-directory' | 's3';
const SUITES: Array<[TestEngine, StoreKind]> = [['pglite', 'local-directory'], ['postgres', 'local-directory'], ['pglite', 's3']];

for (const [engine, storeKind] of SUITES) {
  describe(`log tiles (C2SP tlog-tiles) on ${engine} with the ${storeKind} store`, function () {
    this.timeout(240_000);
    let t: TestDatabase;
    let dir: string | null = null;
    let store: ObjectStore;
    let objects: RecordingStore;
    let keyPrefix: string;
    let logs: KnexLogStore;
    let anchorer: Anchorer;
    let publisher: LogTilePublisher;
    let server: ReturnType<express.Express['listen']>;
    let base: string;
    let vkey: string;
    const appended = new Map<string, string[]>([[LICENCES, []], [ACCESSES, []]]);
    /** Every checkpoint the reader saw over HTTP, per origin, in order. */
    const seen = new Map<string, ParsedCheckpoint[]>([[LICENCES, []], [ACCESSES, []]]);

    const fetchFrom = (origin: string, headers: Record<string, string> = {}): FetchTileResource => async (resource) => {
      const res = await fetch(`${base}/tlog/${originSlug(origin)}/${resource}`, { headers });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`GET ${resource}: ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    };

    async function append(origin: string, n: number) {
      const list = appended.get(origin)!;
      const entries = Array.from({ length: n }, (_, k) => ({ origin, subject: `s${list.length + k}`, leaf: { kind: 'tiles.test', i: list.length + k, documentSha256: crypto.randomBytes(32).toString('hex'), note: '证照 ✓' } }));
      await t.db.transaction((trx) => appendLeaves(trx, entries));
      list.push(...entries.map((e) => canonicalLeaf(e.leaf)));
    }

    /** What an auditor does after each checkpoint: fetch it, verify it, rebuild its root from the tiles alone. */
    async function readCheckpoint(origin: string): Promise<ParsedCheckpoint> {
      const reader = new TiledLogReader(fetchFrom(origin));
      const checkpoint = await reader.checkpoint(vkey, origin);
      expect(hex(await reader.root(checkpoint.size)), `root of ${origin} at ${checkpoint.size}`).to.equal(hex(checkpoint.rootHash));
      const list = seen.get(origin)!;
      if (list.at(-1)?.size !== checkpoint.size) list.push(checkpoint);
      return checkpoint;
    }

    before(async function () {
      await skipUnlessAvailable(this, engine);
      keyPrefix = 'tlog';
      if (storeKind === 's3') {
        const cfg = await loadS3TestConfig();
        if ('skipReason' in cfg) {
          console.warn(`\n  !!! log tiles on S3 SKIPPED: ${cfg.skipReason}\n`);
          this.skip();
        }
        store = await createS3ObjectStore(cfg);
        keyPrefix = `${cfg.keyPrefix}tlog`;
      } else {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-tiles-'));
        store = await createLocalDirectoryStore(dir);
      }
      objects = new RecordingStore(store);
      t = await openTestDatabase(engine);
      logs = new KnexLogStore(t.db);
      const keys = generateCheckpointSigner(LICENCES);
      vkey = keys.vkey;
      publisher = new LogTilePublisher({ logs, objects, keyPrefix, logger: createLogger('silent') });
      anchorer = new Anchorer({
        db: t.db, logs, ledger: new EmbeddedLedger(t.db, crypto.randomBytes(32)), origins: [LICENCES, ACCESSES], signer: parseSigner(keys.skey),
        batchLeaves: 1000, intervalMs: 3_600_000, logger: createLogger('silent'),
        onCheckpoint: publisher.checkpointHook(),
      });
      const app = express();
      app.use('/tlog/guarded', tileRoutes({ objects: store, origins: [LICENCES], keyPrefix, authorizeEntries: async (req) => {
        if (req.headers.authorization !== 'Bearer auditor') throw DomainError.authenticationRequired();
      } }));
      app.use('/tlog', tileRoutes({ objects: store, origins: [LICENCES, ACCESSES], keyPrefix }));
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      await anchorer?.stop();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(null)));
      if (storeKind === 's3' && store) {
        for (const key of await store.list(keyPrefix.slice(0, keyPrefix.indexOf('/') + 1))) await store.delete(key);
      }
      await store?.close();
      await t?.dispose();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('publishes both logs as tiles as they grow; a reader of the tiles alone verifies every checkpoint', async () => {
      // Sizes that cross tile edges at levels 0, 1 and 2 (256, 65 536), in uneven steps.
      const steps = [1, 2, 252, 1, 1, 10, 500, 1000, 3000, 227, 20_000, 41_000, 541, 1, 2, 70];
      for (const [k, n] of steps.entries()) {
        await append(LICENCES, n);
        if (k % 3 === 0) await append(ACCESSES, 1 + crypto.randomInt(0, 400));
        const cycle = await anchorer.runOnce(true);
        expect(cycle.error).to.equal(null);
        const checkpoint = await readCheckpoint(LICENCES);
        expect(checkpoint.size).to.equal(appended.get(LICENCES)!.length);
        expect((await readCheckpoint(ACCESSES)).size).to.equal(appended.get(ACCESSES)!.length);
      }
      expect(appended.get(LICENCES)!.length).to.be.above(65_536);

      // Every checkpoint seen stays verifiable from tiles: its partial tiles are kept.
      for (const origin of [LICENCES, ACCESSES]) {
        const reader = new TiledLogReader(fetchFrom(origin));
        const checkpoints = seen.get(origin)!;
        expect(checkpoints.length).to.be.at.least(origin === LICENCES ? steps.length : 5);
        const leaves = appended.get(origin)!;
        for (const [k, checkpoint] of checkpoints.entries()) {
          expect(hex(await reader.root(checkpoint.size))).to.equal(hex(checkpoint.rootHash));
          for (let j = 0; j < 8; j++) {
            const index = crypto.randomInt(0, checkpoint.size);
            const entry = await reader.entry(index, checkpoint.size);
            expect(Buffer.from(entry).toString('utf8')).to.equal(leaves[index]);
            verifyInclusion(hashLeaf(entry), index, checkpoint.size, await reader.inclusionProof(index, checkpoint.size), checkpoint.rootHash);
          }
          const previous = checkpoints[k - 1];
          if (previous) verifyConsistency(previous.size, checkpoint.size, await reader.consistencyProof(previous.size, checkpoint.size), previous.rootHash, checkpoint.rootHash);
        }
        // The whole log, as a monitor mirrors it: every bundle hashes to its tile, every tile to the one above.
        const latest = checkpoints.at(-1)!;
        let next = 0;
        const audit = await auditTiledLog(fetchFrom(origin, { 'Accept-Encoding': 'gzip' }), latest, {
          onEntries: (first, entries) => {
            expect(first).to.equal(next);
            entries.forEach((e, i) => expect(Buffer.from(e).toString('utf8')).to.equal(leaves[first + i]));
            next += entries.length;
          },
        });
        expect(audit.entries).to.equal(leaves.length);
      }
    });

    it('wrote every tile once, each before the checkpoint object that needs it', async () => {
      const counts = new Map<string, number>();
      for (const key of objects.puts) counts.set(key, (counts.get(key) ?? 0) + 1);
      // Replay the puts: at each checkpoint write, every tile of that tree is already there.
      const sizesWritten = new Map<string, number[]>([[LICENCES, []], [ACCESSES, []]]);
      for (const origin of [LICENCES, ACCESSES]) sizesWritten.set(origin, seen.get(origin)!.map((c) => c.size));
      const have = new Set<string>();
      const cursor = new Map<string, number>([[LICENCES, 0], [ACCESSES, 0]]);
      for (const key of objects.puts) {
        if (!key.endsWith('/checkpoint')) {
          have.add(key);
          continue;
        }
        const origin = key === publisher.key(LICENCES, { kind: 'checkpoint' }) ? LICENCES : ACCESSES;
        const size = sizesWritten.get(origin)![cursor.get(origin)!]!;
        cursor.set(origin, cursor.get(origin)! + 1);
        for (const tile of treeTiles(size)) {
          expect(have.has(publisher.key(origin, { kind: 'hashes', ...tile })), `${tilePath(tile)} before checkpoint ${size}`).to.equal(true);
          if (tile.level === 0) expect(have.has(publisher.key(origin, { kind: 'entries', ...tile })), `${entriesPath(tile.index, tile.width)} before checkpoint ${size}`).to.equal(true);
        }
      }
      for (const [key, n] of counts) {
        if (key.endsWith('/checkpoint')) continue;
        expect(n, `${key} written ${n} times`).to.equal(1);
      }
      expect(counts.get(publisher.key(LICENCES, { kind: 'checkpoint' }))).to.equal(seen.get(LICENCES)!.length);
      // The object listing holds exactly the tiles of the checkpoints made, and their checkpoint.
      const listed = await store.list(`${keyPrefix}/${originSlug(LICENCES)}/`);
      expect(listed.sort()).to.deep.equal([...counts.keys()].filter((k) => k.includes(`/${originSlug(LICENCES)}/`)).sort());
    });

    it('writes nothing when run again for the same size, in this process or a new one', async () => {
      const before = objects.puts.length;
      expect(await publisher.publish(LICENCES)).to.include({ checkpoints: 0, tilesWritten: 0 });
      const fresh = new LogTilePublisher({ logs, objects, keyPrefix });
      expect(await fresh.publish(LICENCES)).to.include({ checkpoints: 0, tilesWritten: 0, tilesFound: 0 });
      expect((await anchorer.runOnce(true)).error).to.equal(null);
      expect(objects.puts.length).to.equal(before);
    });

    it('completes a publication interrupted before its checkpoint object, writing no tile twice', async () => {
      // 1. The checkpoint object's write fails: the tiles are there, the checkpoint is saved, the cycle goes on.
      await append(LICENCES, 700);
      const checkpointKey = publisher.key(LICENCES, { kind: 'checkpoint' });
      objects.failPut = (key) => key === checkpointKey;
      const failed = await anchorer.runOnce(true);
      expect(failed.error).to.equal(null);
      expect(failed.checkpointsCreated).to.equal(1);
      expect((await logs.latestCheckpoint(LICENCES))!.size).to.equal(appended.get(LICENCES)!.length);
      const published = await new TiledLogReader(fetchFrom(LICENCES)).checkpoint(vkey);
      expect(published.size).to.equal(seen.get(LICENCES)!.at(-1)!.size); // readers still see the previous one
      objects.failPut = null;
      // The anchorer calls the hook again on its next cycle, with nothing new to checkpoint.
      const putsBefore = objects.puts.length;
      const retried = await anchorer.runOnce(true);
      expect(retried).to.include({ checkpointsCreated: 0, error: null });
      expect(objects.puts.slice(putsBefore)).to.deep.equal([checkpointKey]);
      expect((await readCheckpoint(LICENCES)).size).to.equal(appended.get(LICENCES)!.length);

      // 2. A crash half-way through the tiles: a new process (a new publisher) finishes the job.
      await append(LICENCES, 1300);
      let tilesLeft = 3;
      objects.failPut = (key) => key === checkpointKey || (!key.endsWith('/checkpoint') && tilesLeft-- <= 0);
      await anchorer.runOnce(true);
      objects.failPut = null;
      const restarted = new LogTilePublisher({ logs, objects, keyPrefix });
      const report = await restarted.publish(LICENCES);
      expect(report.checkpoints).to.equal(1);
      expect(report.tilesFound).to.equal(3);
      expect((await readCheckpoint(LICENCES)).size).to.equal(appended.get(LICENCES)!.length);
      const counts = new Map<string, number>();
      for (const key of objects.puts) counts.set(key, (counts.get(key) ?? 0) + 1);
      for (const [key, n] of counts) if (!key.endsWith('/checkpoint')) expect(n, key).to.equal(1);
    });

    it('catches up on a long log over several calls, into an empty store, every checkpoint included', async () => {
      const catchUpPrefix = `${keyPrefix}-catch-up`;
      const fresh = new LogTilePublisher({ logs, objects: store, keyPrefix: catchUpPrefix });
      const checkpoints = (await logs.checkpointsAfter(LICENCES, 0, 1000)).length;
      const hook = fresh.checkpointHook(4);
      let calls = 1;
      while (!(await hook(LICENCES))) calls += 1;
      expect(calls).to.equal(Math.ceil(checkpoints / 4));
      const reader = new TiledLogReader((resource) => store.get(`${catchUpPrefix}/${originSlug(LICENCES)}/${resource}`));
      const checkpoint = await reader.checkpoint(vkey, LICENCES);
      expect(checkpoint.size).to.equal(appended.get(LICENCES)!.length);
      for (const earlier of seen.get(LICENCES)!) expect(hex(await reader.root(earlier.size))).to.equal(hex(earlier.rootHash));
      // The same objects as the publication that followed the log as it grew.
      const grown = (await store.list(`${keyPrefix}/${originSlug(LICENCES)}/`)).map((k) => k.slice(keyPrefix.length));
      const caughtUp = (await store.list(`${catchUpPrefix}/${originSlug(LICENCES)}/`)).map((k) => k.slice(catchUpPrefix.length));
      expect(caughtUp).to.deep.equal(grown);
    });

    it('never overwrites tiles of another tree (TILES_DIVERGED)', async () => {
      const origin = 'tiles.test.example/diverged';
      const other = generateCheckpointSigner(origin);
      appended.set(origin, []);
      await append(origin, 300);
      const size = 300;
      await logs.saveCheckpoint(origin, size, await logs.root(origin, size), signCheckpoint({ origin, size, rootHash: await logs.root(origin, size) }, other.skey), new Date());
      // Someone else's checkpoint of that origin (another deployment sharing the bucket) is published there.
      const key = publisher.key(origin, { kind: 'checkpoint' });
      await store.put(key, UTF8.encode(signCheckpoint({ origin, size: 200, rootHash: crypto.randomBytes(32) }, other.skey)), 'text/plain; charset=utf-8');
      const before = objects.puts.length;
      const error = await publisher.publish(origin).then(() => null, (e) => e);
      expect(error).to.be.instanceOf(TileError);
      expect(error).to.have.property('code', 'TILES_DIVERGED');
      expect(objects.puts.length).to.equal(before);
    });

    it('serves tiles over HTTP with the spec\'s content types and caching, and nothing else', async () => {
      const prefix = `${base}/tlog/${originSlug(LICENCES)}`;
      const checkpoint = await fetch(`${prefix}/checkpoint`);
      expect(checkpoint.status).to.equal(200);
      expect(checkpoint.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
      expect(checkpoint.headers.get('cache-control')).to.equal('public, no-cache');
      expect(checkpoint.headers.get('access-control-allow-origin')).to.equal('*');
      const etag = checkpoint.headers.get('etag')!;
      // (fetch() sends Cache-Control: no-cache with a conditional request, so a plain HTTP client asks.)
      expect((await rawGet(`${prefix}/checkpoint`, { 'If-None-Match': etag })).status).to.equal(304);

      const full = await fetch(`${prefix}/tile/0/000`);
      expect(full.status).to.equal(200);
      expect(full.headers.get('content-type')).to.equal('application/octet-stream');
      expect(full.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
      expect((await full.arrayBuffer()).byteLength).to.equal(8192);
      const head = await fetch(`${prefix}/tile/1/000`, { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(head.headers.get('content-length')).to.equal('8192');

      // A partial bundle of some checkpoint (the newest size may be a multiple of 256).
      const partialSize = seen.get(LICENCES)!.map((c) => c.size).reverse().find((s) => s % 256 !== 0)!;
      const partial = treeTiles(partialSize).find((tile) => tile.level === 0 && tile.width < 256)!;
      const bundlePath = `${prefix}/${entriesPath(partial.index, partial.width)}`;
      const gz = await rawGet(bundlePath, { 'Accept-Encoding': 'gzip' });
      expect(gz.headers['content-encoding']).to.equal('gzip');
      expect(gz.headers['vary']).to.match(/Accept-Encoding/i);
      const plainAnswer = await rawGet(bundlePath);
      expect(plainAnswer.headers['content-encoding']).to.equal(undefined);
      const plain = plainAnswer.body;
      expect(gunzipSync(gz.body).equals(plain)).to.equal(true);

      const expectProblem = async (url: string, status: number, code: string, init?: RequestInit) => {
        const res = await fetch(url, init);
        expect(res.status, url).to.equal(status);
        if (init?.method !== 'HEAD') expect((await res.json()).code, url).to.equal(code);
        return res;
      };
      const future = (await expectProblem(`${prefix}/tile/0/x009/000`, 404, 'TILE_NOT_FOUND'));
      expect(future.headers.get('cache-control')).to.equal('no-store');
      await expectProblem(`${prefix}/tile/0/x000/000`, 404, 'TILE_NOT_FOUND'); // not canonical
      await expectProblem(`${prefix}/tile/0/000.p/256`, 404, 'TILE_NOT_FOUND');
      await expectProblem(`${prefix}/tile/entries/000.p/4`, 404, 'TILE_NOT_FOUND'); // a partial tile no checkpoint had
      await expectProblem(`${base}/tlog/nosuchlog/checkpoint`, 404, 'LOG_NOT_FOUND');
      await expectProblem(`${base}/tlog/${originSlug(LICENCES)}`, 404, 'LOG_NOT_FOUND');
      const post = await expectProblem(`${prefix}/checkpoint`, 405, 'METHOD_NOT_ALLOWED', { method: 'POST' });
      expect(post.headers.get('allow')).to.equal('GET, HEAD');
      await expectProblem(`${prefix}/tile/0/000`, 405, 'METHOD_NOT_ALLOWED', { method: 'PUT', body: 'x' });

      // With a guard, entry bundles need it; hash tiles and the checkpoint stay public.
      const guarded = `${base}/tlog/guarded/${originSlug(LICENCES)}`;
      await expectProblem(`${guarded}/tile/entries/000`, 401, 'AUTHENTICATION_REQUIRED');
      const allowed = await fetch(`${guarded}/tile/entries/000`, { headers: { Authorization: 'Bearer auditor' } });
      expect(allowed.status).to.equal(200);
      expect(allowed.headers.get('cache-control')).to.equal('private, max-age=31536000, immutable');
      expect((await fetch(`${guarded}/tile/0/000`)).status).to.equal(200);
      expect((await fetch(`${guarded}/checkpoint`)).status).to.equal(200);
    });
  });
}

describe('anchorer onCheckpoint hook', function () {
  this.timeout(60_000);
  let t: TestDatabase;
  after(async () => t?.dispose());

  it('is called for every origin on the first cycle, then after each new checkpoint, again after a failure or "more to do"', async () => {
    t = await openTestDatabase('pglite');
    const keys = generateCheckpointSigner(LICENCES);
    const calls: string[] = [];
    let answer: () => Promise<boolean | void> = async () => undefined;
    const anchorer = new Anchorer({
      db: t.db, logs: new KnexLogStore(t.db), ledger: new EmbeddedLedger(t.db, crypto.randomBytes(32)), origins: [LICENCES, ACCESSES], signer: parseSigner(keys.skey),
      batchLeaves: 1000, intervalMs: 3_600_000, logger: createLogger('silent'),
      onCheckpoint: async (origin) => {
        calls.push(origin);
        return answer();
      },
    });
    const cycle = async () => {
      calls.length = 0;
      const report = await anchorer.runOnce(true);
      expect(report.error).to.equal(null);
      return [...calls];
    };
    expect(await cycle()).to.deep.equal([LICENCES, ACCESSES]); // first cycle: both, though nothing is new
    expect(await cycle()).to.deep.equal([]);
    await t.db.transaction((trx) => appendLeaves(trx, [{ origin: ACCESSES, subject: 'a', leaf: { a: 1 } }]));
    expect(await cycle()).to.deep.equal([ACCESSES]);
    await t.db.transaction((trx) => appendLeaves(trx, [{ origin: LICENCES, subject: 'l', leaf: { l: 1 } }]));
    answer = async () => {
      throw new Error('object store down');
    };
    const failed = await anchorer.runOnce(true);
    expect(failed).to.include({ checkpointsCreated: 1, checkpointsAnchored: 1, error: null }); // the checkpoint is saved and anchored
    answer = async () => false;
    expect(await cycle()).to.deep.equal([LICENCES]); // retried after the failure
    answer = async () => true;
    expect(await cycle()).to.deep.equal([LICENCES]); // called again: it said there was more to do
    expect(await cycle()).to.deep.equal([]);
    await anchorer.stop();
  });
});
