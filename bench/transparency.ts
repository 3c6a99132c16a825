/**
 * Transparency figures: log appends per second, inclusion-proof latency at 10^4, 10^6 and 10^7 leaves
 * (stays logarithmic), ledger transactions per 1 M licences at the default checkpoint policy, and
 * verify-a-PDF latency. Called by bench/run.ts.
 */
import crypto from 'node:crypto';
import { EmbeddedLedger } from '../src/ledger/embedded-ledger.ts';
import { createLogger } from '../src/observability/logger.ts';
import { Anchorer } from '../src/transparency/anchorer.ts';
import { generateCheckpointSigner, parseSigner, signCheckpoint, base64Encode } from '../src/proofs/checkpoint.ts';
import { appendLeaves, KnexLogStore } from '../src/log/log-store.ts';
import { hashLeaf } from '../src/proofs/merkle.ts';
import type { Database } from '../src/db/database.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../src/pki/dev-pki.ts';
import { DEFAULT_FONT_PATHS, loadFontChain } from '../src/pdf/fonts.ts';
import { renderSignedLicencePdf } from '../src/pdf/render-licence.ts';
import { sampleLicenceInput } from '../src/pdf/sample-input.ts';
import { verifyLicence } from '../src/verify/index.ts';
import { openTestDatabase, postgresUnavailableReason } from '../test/support/databases.ts';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function appendRate(db: Database, n: number, concurrency: number) {
  const origin = `bench.append/${crypto.randomUUID()}`;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      await db.transaction((trx) => appendLeaves(trx, [{ origin, subject: `s${i}`, leaf: { i, documentSha256: crypto.randomBytes(32).toString('hex') } }]));
    }
  }));
  return +(n / ((performance.now() - t0) / 1000)).toFixed(0);
}

/** Writes the perfect-subtree table of an n-leaf log with SQL (hash values are stand-ins: this measures reads). */
async function synthesiseLog(db: Database, origin: string, n: number) {
  const t0 = performance.now();
  for (let level = 0; 2 ** level <= n; level++) {
    const count = Math.floor(n / 2 ** level);
    await db.raw(
      `INSERT INTO log_nodes (origin, level, node_index, hash)
       SELECT ?, ?, g, decode(md5(g::text || ?) || md5(?::text || g::text), 'hex') FROM generate_series(0, ? - 1) g`,
      [origin, level, String(level), String(level), count],
    );
  }
  await db('log_heads').insert({ origin, size: n });
  await db.raw('ANALYZE log_nodes');
  return +((performance.now() - t0) / 1000).toFixed(1);
}

async function proofLatency(db: Database, n: number) {
  const origin = `bench.proof/${n}/${crypto.randomUUID()}`;
  const buildSeconds = await synthesiseLog(db, origin, n);
  const logs = new KnexLogStore(db);
  const samples: number[] = [];
  const consistency: number[] = [];
  for (let i = 0; i < 20; i++) await logs.inclusionProof(origin, Math.floor(Math.random() * n), n); // warm-up
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const proof = await logs.inclusionProof(origin, Math.floor(Math.random() * n), n);
    samples.push(performance.now() - t);
    if (proof.length > 64) throw new Error('proof too long');
    const t2 = performance.now();
    await logs.consistencyProof(origin, 1 + Math.floor(Math.random() * (n - 1)), n);
    consistency.push(performance.now() - t2);
  }
  samples.sort((a, b) => a - b);
  consistency.sort((a, b) => a - b);
  return { leaves: n, buildSeconds, inclusionP50Ms: +percentile(samples, 0.5).toFixed(2), inclusionP99Ms: +percentile(samples, 0.99).toFixed(2), consistencyP50Ms: +percentile(consistency, 0.5).toFixed(2), proofLength: Math.ceil(Math.log2(n)) };
}

/** Drives the real Anchorer with a simulated clock: leaves arriving at `rate` per second. */
async function ledgerTransactionsPer1M(rate: number, leaves: number) {
  const t = await openTestDatabase('pglite');
  try {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const ledger = new EmbeddedLedger(t.db, crypto.randomBytes(32), () => new Date(now));
    let anchors = 0;
    const counting = Object.create(ledger, { anchorCheckpoint: { value: async (r: Parameters<typeof ledger.anchorCheckpoint>[0]) => { anchors += 1; return ledger.anchorCheckpoint(r); } } });
    const origin = 'bench.policy/log';
    const logs = new KnexLogStore(t.db);
    const anchorer = new Anchorer({ db: t.db, logs, ledger: counting, origins: [origin], signer: parseSigner(generateCheckpointSigner(origin).skey), batchLeaves: 1000, intervalMs: 10_000, logger: createLogger('silent'), now: () => new Date(now) });
    const pollMs = 1000; // the anchorer's default poll period
    const perPoll = Math.max(1, Math.round((rate * pollMs) / 1000));
    for (let done = 0; done < leaves; done += perPoll) {
      await t.db.transaction((trx) => appendLeaves(trx, Array.from({ length: perPoll }, (_, i) => ({ origin, subject: `s${done + i}`, leaf: { i: done + i } }))));
      now += pollMs;
      await anchorer.runOnce();
    }
    return { licencesPerSecond: rate, simulatedLeaves: leaves, anchors, ledgerTxPer1M: Math.round((anchors * 1_000_000) / leaves) };
  } finally {
    await t.dispose();
  }
}

async function verifyLatency() {
  const ca = await generateIssuerCa({ commonName: 'Bench CA', organization: 'Bench' });
  const signer = await issueDepartmentSigningCert(ca, { commonName: 'Bench', organization: 'Bench', departmentCode: '111101050000100149' });
  const { pdf } = await renderSignedLicencePdf(sampleLicenceInput(), loadFontChain(DEFAULT_FONT_PATHS), signer, { signingTime: new Date() });
  const documentSha256 = crypto.createHash('sha256').update(pdf).digest('hex');
  const leafData = JSON.stringify({ documentSha256, kind: 'licence.issued', licenceId: 'X' });
  const rootHash = hashLeaf(new TextEncoder().encode(leafData));
  const origin = 'bench.verify/log';
  const keys = generateCheckpointSigner(origin);
  const receipt = { licenceId: 'X', leafIndex: 0, treeSize: 1, leafData, inclusionProof: [], checkpoint: signCheckpoint({ origin, size: 1, rootHash }, keys.skey), anchor: null };
  const trust = { issuerCaCertsDer: [new Uint8Array(new crypto.X509Certificate(ca.certPem).raw)], checkpointVkey: keys.vkey, logOrigin: origin };
  const ledger = { anchoredCheckpoint: { origin, size: 1, rootHashBase64: base64Encode(rootHash) }, licenceStatus: null };
  const samples: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t = performance.now();
    const report = await verifyLicence(pdf, receipt, trust, ledger);
    if (i >= 10) samples.push(performance.now() - t);
    if (!report.ok) throw new Error('bench PDF did not verify');
  }
  samples.sort((a, b) => a - b);
  return { pdfBytes: pdf.length, p50Ms: +percentile(samples, 0.5).toFixed(1), p99Ms: +percentile(samples, 0.99).toFixed(1) };
}

export async function transparencyBench(results: Record<string, unknown>) {
  console.log('\n— transparency log —');
  const pglite = await openTestDatabase('pglite');
  const appends: Array<Record<string, unknown>> = [{ engine: 'pglite', concurrency: 1, appendsPerSecond: await appendRate(pglite.db, 2000, 1) }];
  const proofs: Array<Record<string, unknown>> = [];
  for (const n of [10_000, 1_000_000]) proofs.push({ engine: 'pglite', ...(await proofLatency(pglite.db, n)) });
  await pglite.dispose();
  const pgReason = await postgresUnavailableReason();
  if (!pgReason) {
    const pg = await openTestDatabase('postgres');
    appends.push({ engine: 'postgres', concurrency: 1, appendsPerSecond: await appendRate(pg.db, 2000, 1) });
    appends.push({ engine: 'postgres', concurrency: 8, appendsPerSecond: await appendRate(pg.db, 4000, 8) });
    for (const n of [10_000, 1_000_000, 10_000_000]) proofs.push({ engine: 'postgres', ...(await proofLatency(pg.db, n)) });
    await pg.dispose();
  } else {
    console.log(`PostgreSQL figures skipped: ${pgReason}`);
  }
  console.log('Log appends (one leaf per transaction, as issuance does):');
  console.table(appends);
  console.log('Proof latency from the stored subtree table (random index; stays logarithmic in n):');
  console.table(proofs);
  const policy = [await ledgerTransactionsPer1M(100, 20_000), await ledgerTransactionsPer1M(1000, 50_000)];
  console.log('Ledger anchoring transactions per 1 M licences at the default policy (every 1 000 leaves or 10 s), target ≤ 1 000:');
  console.table(policy);
  const verify = await verifyLatency();
  console.log('Verify one PDF (signature, chain, hash, inclusion, checkpoint, anchor, status):');
  console.table([verify]);
  Object.assign(results, { transparency: { appends, proofs, policy, verify } });
}
