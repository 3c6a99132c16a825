/**
 * `npm run bench ledger`: the ledger on the two-organisation Fabric test network (scripts/fabric-test-network.sh):
 * anchor and status submit + commit latency (p50/p99) and throughput through Org1's gateway, with the
 * endorsement policy that needs both organisations; and the time from issuance to an anchored receipt at
 * the default checkpoint policy (every ANCHOR_BATCH_LEAVES leaves or ANCHOR_INTERVAL_MS). Ledger
 * transactions per 1 M licences are measured by the transparency section (the real anchorer driven at
 * 100 and 1 000 licences/s on the embedded ledger: the count depends on the policy, not on the adapter).
 */
import crypto from 'node:crypto';
import { FabricLedger } from '../src/ledger/fabric-ledger.ts';
import { buildConsistencyProof, hashLeaf, rootFromLeafHashes } from '../src/proofs/merkle.ts';
import { openTestDatabase } from '../test/support/databases.ts';
import { loadFabricTestNetwork } from '../test/support/fabric-test-network.ts';
import { businessLicenceRequest, DEPARTMENTS, TestVault } from '../test/support/test-vault.ts';
import { median } from './statistics.ts';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return +sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!.toFixed(1);
}

export async function ledgerBench(results: Record<string, unknown>) {
  const network = await loadFabricTestNetwork();
  if ('skipReason' in network) {
    console.log(`ledger: skipped (${network.skipReason})\n`);
    results.ledger = { skipped: network.skipReason };
    return;
  }
  const ledger = new FabricLedger(network.org1);
  const origin = `bench-${crypto.randomUUID().slice(0, 8)}.test/licences`;
  const N = Number(process.env.BENCH_LEDGER_N ?? 40);

  // Anchors, one after another, each a consistent extension of the last (as the anchorer sends them).
  const leaves = Array.from({ length: N * 10 }, () => hashLeaf(crypto.randomBytes(16)));
  const node = (level: number, index: number) => rootFromLeafHashes(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
  const anchorMs: number[] = [];
  for (let i = 1; i <= N; i++) {
    const size = i * 10;
    const started = performance.now();
    await ledger.anchorCheckpoint({ origin, size, rootHash: rootFromLeafHashes(leaves.slice(0, size)), consistencyProof: i === 1 ? [] : buildConsistencyProof(size - 10, size, node) });
    anchorMs.push(performance.now() - started);
  }
  // Status changes, one after another.
  const statusMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const started = performance.now();
    await ledger.setLicenceStatus({ origin, licenceId: `BENCH.${i}`, status: 'revoked', reasonSha256: 'a'.repeat(64), changedAt: new Date().toISOString() });
    statusMs.push(performance.now() - started);
  }
  // Throughput: status changes of distinct licences, 50 in flight (the outbox drains one licence's changes in order).
  const M = Number(process.env.BENCH_LEDGER_THROUGHPUT_N ?? 300);
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 50 }, async () => {
    for (let i = next++; i < M; i = next++) await ledger.setLicenceStatus({ origin, licenceId: `BENCH.T${i}`, status: 'suspended', reasonSha256: 'b'.repeat(64), changedAt: new Date().toISOString() });
  }));
  const throughput = +(M / ((performance.now() - started) / 1000)).toFixed(1);

  // Issuance → anchored receipt, with the anchorer running at the default policy.
  const db = await openTestDatabase('pglite');
  const vault = await TestVault.start({ overrides: { db: db.db, ledger }, env: { ANCHORER_ENABLED: 'true', LOG_ORIGIN: `bench-${crypto.randomUUID().slice(0, 8)}.test/licences`, ACCESS_LOG_ORIGIN: `bench-${crypto.randomUUID().slice(0, 8)}.test/accesses` } });
  const toReceipt: number[] = [];
  try {
    const market = await vault.departmentToken(DEPARTMENTS.market);
    for (let i = 0; i < 3; i++) {
      const issuedAt = performance.now();
      const id = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body.id;
      for (;;) {
        const receipt = await vault.request('GET', `/licences/${id}/receipt`, { token: market });
        if (receipt.status === 200 && receipt.body.anchor) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      toReceipt.push(performance.now() - issuedAt);
    }
  } finally {
    await vault.stop();
    await db.dispose();
    await ledger.close();
  }

  const rows = [
    { what: 'anchor a checkpoint (submit + commit, both orgs endorse)', n: N, p50: percentile(anchorMs, 50), p99: percentile(anchorMs, 99) },
    { what: 'status change (submit + commit, both orgs endorse)', n: N, p50: percentile(statusMs, 50), p99: percentile(statusMs, 99) },
  ];
  results.ledger = { network: 'fabric, 2 organisations, AND policy', latencyMs: rows, statusChangesPerSecond50InFlight: throughput, issuanceToAnchoredReceiptMs: toReceipt.map((m) => Math.round(m)) };
  console.log('Ledger on the two-organisation Fabric network (Org1\'s gateway; BatchTimeout 200 ms):');
  console.table(rows);
  console.log(`status changes of distinct licences, 50 in flight: ${throughput} transactions/s`);
  console.log(`issuance → anchored receipt at the default policy (ANCHOR_INTERVAL_MS 10 s): median ${Math.round(median(toReceipt))} ms (${toReceipt.map((m) => Math.round(m)).join(', ')})\n`);
}
