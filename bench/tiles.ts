/**
 * Tile figures (C2SP tlog-tiles, src/log/log-tiles.ts):
 *   1. objects written to the object store per 1 000 leaves at the default checkpoint policy (a checkpoint
 *      every 1 000 leaves or 10 s), with the real Anchorer and its onCheckpoint publisher on a simulated clock;
 *   2. a 10^6-leaf log (a real Merkle tree, built in SQL) with a checkpoint every 1 000 leaves: the time to
 *      publish all of it into an empty store (a first deployment on an existing log), then the time a monitor
 *      takes to read back and verify the whole log from the tiles: every entry bundle against its level-0
 *      tile, every tile against the level below, the root against the signed checkpoint; from the local
 *      directory store directly, and over HTTP through the tile routes.
 * Called by bench/run.ts (`npm run bench tiles`), or alone: `npx tsx bench/tiles.ts`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';
import type { Database } from '../src/db/database.ts';
import { EmbeddedLedger } from '../src/ledger/embedded-ledger.ts';
import { appendLeaves, KnexLogStore } from '../src/log/log-store.ts';
import { auditTiledLog, LogTilePublisher, originSlug, TiledLogReader } from '../src/log/log-tiles.ts';
import { createLogger } from '../src/observability/logger.ts';
import { generateCheckpointSigner, parseSigner, signCheckpoint } from '../src/proofs/checkpoint.ts';
import { createLocalDirectoryStore } from '../src/storage/local-directory-store.ts';
import type { ObjectStore } from '../src/storage/object-store.ts';
import { Anchorer } from '../src/transparency/anchorer.ts';
import { tileRoutes } from '../src/transparency/tile-routes.ts';
import { openTestDatabase, postgresUnavailableReason } from '../test/support/databases.ts';

const LEAVES = Number(process.env.BENCH_TILES_LEAVES ?? 1_000_000);

/** Counts puts (objects and bytes) on the way to a store. */
function counting(inner: ObjectStore) {
  const counts = { objects: 0, bytes: 0, checkpoints: 0 };
  const store: ObjectStore = Object.create(inner, {
    put: {
      value: async (key: string, body: Uint8Array, type: string) => {
        counts.objects += 1;
        counts.bytes += body.length;
        if (key.endsWith('/checkpoint')) counts.checkpoints += 1;
        await inner.put(key, body, type);
      },
    },
  });
  return { store, counts };
}

/** The real anchorer and publisher, leaves arriving at `rate` per second, the clock simulated (as bench/transparency.ts). */
async function objectsPer1000Leaves(rate: number, leaves: number) {
  const t = await openTestDatabase('pglite');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-bench-tiles-'));
  try {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const origin = 'bench.tiles/policy';
    const logs = new KnexLogStore(t.db);
    const { store, counts } = counting(await createLocalDirectoryStore(dir));
    const publisher = new LogTilePublisher({ logs, objects: store });
    const anchorer = new Anchorer({
      db: t.db, logs, ledger: new EmbeddedLedger(t.db, crypto.randomBytes(32), () => new Date(now)), origins: [origin], signer: parseSigner(generateCheckpointSigner(origin).skey),
      batchLeaves: 1000, intervalMs: 10_000, logger: createLogger('silent'), now: () => new Date(now), onCheckpoint: publisher.checkpointHook(),
    });
    const pollMs = 1000; // the anchorer's default poll period
    const perPoll = Math.max(1, Math.round((rate * pollMs) / 1000));
    for (let done = 0; done < leaves; done += perPoll) {
      await t.db.transaction((trx) => appendLeaves(trx, Array.from({ length: perPoll }, (_, i) => ({ origin, subject: `s${done + i}`, leaf: { i: done + i, documentSha256: crypto.randomBytes(32).toString('hex') } }))));
      now += pollMs;
      await anchorer.runOnce();
    }
    const per1000 = (n: number) => +((n * 1000) / leaves).toFixed(2);
    return {
      licencesPerSecond: rate, simulatedLeaves: leaves, checkpoints: counts.checkpoints,
      objectsPer1000Leaves: per1000(counts.objects), tilesAndBundlesPer1000Leaves: per1000(counts.objects - counts.checkpoints),
      kibPer1000Leaves: +((counts.bytes * 1000) / leaves / 1024).toFixed(1),
    };
  } finally {
    await t.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A real n-leaf log, built in SQL: leaves (canonical JSON, as the service writes them), their RFC 9162 leaf
 * hashes, every perfect subtree hash level by level, and a signed checkpoint every `every` leaves.
 */
async function synthesiseLog(db: Database, origin: string, n: number, every: number, skey: string) {
  const t0 = performance.now();
  await db.raw(
    `INSERT INTO log_leaves (origin, leaf_index, leaf_data, leaf_hash, subject)
     SELECT ?, g, d, sha256('\\x00'::bytea || convert_to(d, 'UTF8')), 's' || g
     FROM (SELECT g, '{"documentSha256":"' || encode(sha256(int8send(g)), 'hex') || '","i":' || g || ',"kind":"bench.tiles"}' AS d FROM generate_series(0, ? - 1) g) x`,
    [origin, n],
  );
  await db.raw(`INSERT INTO log_nodes (origin, level, node_index, hash) SELECT origin, 0, leaf_index, leaf_hash FROM log_leaves WHERE origin = ?`, [origin]);
  for (let level = 1; 2 ** level <= n; level++) {
    await db.raw(
      `INSERT INTO log_nodes (origin, level, node_index, hash)
       SELECT origin, ?, node_index / 2, sha256('\\x01'::bytea || hash || right_hash)
       FROM (SELECT origin, node_index, hash, lead(hash) OVER (ORDER BY node_index) AS right_hash FROM log_nodes WHERE origin = ? AND level = ?) pairs
       WHERE node_index % 2 = 0 AND right_hash IS NOT NULL`,
      [level, origin, level - 1],
    );
  }
  await db('log_heads').insert({ origin, size: n });
  await db.raw('ANALYZE log_nodes');
  await db.raw('ANALYZE log_leaves');
  const logs = new KnexLogStore(db);
  for (let size = every; size <= n; size += every) {
    const rootHash = await logs.root(origin, size);
    await logs.saveCheckpoint(origin, size, rootHash, signCheckpoint({ origin, size, rootHash }, skey), new Date());
  }
  return +((performance.now() - t0) / 1000).toFixed(1);
}

async function millionLeafLog(n: number) {
  const engine = (await postgresUnavailableReason()) === null ? 'postgres' : 'pglite';
  const t = await openTestDatabase(engine);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-bench-tiles-'));
  let server: ReturnType<express.Express['listen']> | null = null;
  try {
    const origin = 'bench.tiles/million';
    const keys = generateCheckpointSigner(origin);
    const buildSeconds = await synthesiseLog(t.db, origin, n, 1000, keys.skey);
    const local = await createLocalDirectoryStore(dir);
    const { store, counts } = counting(local);
    const publisher = new LogTilePublisher({ logs: new KnexLogStore(t.db), objects: store });
    let t0 = performance.now();
    const published = await publisher.publish(origin);
    const publishSeconds = (performance.now() - t0) / 1000;
    if (!published.complete || published.toSize !== n) throw new Error('the publisher did not publish the whole log');

    const prefix = `tlog/${originSlug(origin)}`;
    const fromStore = (resource: string) => local.get(`${prefix}/${resource}`);
    const readBack = async (label: string, fetch: (resource: string) => Promise<Uint8Array | null>) => {
      const t1 = performance.now();
      const checkpoint = await new TiledLogReader(fetch).checkpoint(keys.vkey, origin);
      let bytes = 0;
      const audit = await auditTiledLog(async (resource) => {
        const b = await fetch(resource);
        bytes += b?.length ?? 0;
        return b;
      }, checkpoint, { concurrency: 16 });
      const seconds = (performance.now() - t1) / 1000;
      if (audit.entries !== n) throw new Error('the read-back did not see every entry');
      return { from: label, leaves: n, tiles: audit.tiles, entryBundles: audit.entryBundles, mib: +(bytes / 2 ** 20).toFixed(1), seconds: +seconds.toFixed(1), leavesPerSecond: Math.round(n / seconds) };
    };
    const reads = [await readBack('local directory store', fromStore)];

    const app = express();
    app.use('/tlog', tileRoutes({ objects: local, origins: [origin] }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server!.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tlog/${originSlug(origin)}`;
    reads.push(await readBack('HTTP (tile routes, gzip bundles)', async (resource) => {
      const res = await fetch(`${base}/${resource}`, { headers: { 'Accept-Encoding': 'gzip' } });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`GET ${resource}: ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    }));

    // One inclusion proof for a random leaf, the way a verifier with one receipt would get it from tiles.
    t0 = performance.now();
    for (let i = 0; i < 100; i++) await new TiledLogReader(fromStore).inclusionProof(crypto.randomInt(0, n), n);
    const proofMs = +((performance.now() - t0) / 100).toFixed(2);

    return {
      build: { engine, leaves: n, checkpoints: n / 1000, buildSeconds },
      publish: {
        leaves: n, checkpoints: published.checkpoints, objects: counts.objects, objectsPer1000Leaves: +((counts.objects * 1000) / n).toFixed(2),
        mib: +(counts.bytes / 2 ** 20).toFixed(1), seconds: +publishSeconds.toFixed(1), leavesPerSecond: Math.round(n / publishSeconds),
      },
      reads,
      inclusionProofFromTilesMs: proofMs,
    };
  } finally {
    if (server) await new Promise((resolve) => server!.close(resolve));
    await t.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function tilesBench(results: Record<string, unknown>) {
  console.log('\n— transparency log tiles (C2SP tlog-tiles) —');
  const policy = [await objectsPer1000Leaves(100, 20_000), await objectsPer1000Leaves(1000, 50_000)];
  console.log('Objects written per 1 000 leaves at the default checkpoint policy (every 1 000 leaves or 10 s), tiles + entry bundles + checkpoint objects:');
  console.table(policy);
  const million = await millionLeafLog(LEAVES);
  console.log(`A ${LEAVES}-leaf log with a checkpoint every 1 000 leaves (${million.build.engine}, built in ${million.build.buildSeconds} s):`);
  console.log('Publishing all of it into an empty local directory store (a first run on an existing log):');
  console.table([million.publish]);
  console.log('Reading back and verifying the whole log from tiles (every entry, every tile, the signed root), 16 fetches in flight:');
  console.table(million.reads);
  console.log(`One inclusion proof built from tiles (cold reader, local store): ${million.inclusionProofFromTilesMs} ms`);
  Object.assign(results, { tiles: { policy, million } });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results: Record<string, unknown> = {};
  await tilesBench(results);
  console.log(JSON.stringify(results, null, 2));
}
