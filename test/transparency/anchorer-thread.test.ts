/**
 * On PostgreSQL the service runs its anchorer on a worker thread of its own: it anchors, reports its cycles
 * to the request thread's metrics, is started again when it dies, and releases the anchoring lock when
 * the service closes.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import knexFactory from 'knex';
import { ANCHORER_LOCK_KEY } from '../../src/transparency/anchorer.ts';
import { appendLeaves, KnexLogStore } from '../../src/log/log-store.ts';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { TestVault } from '../support/test-vault.ts';


async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the anchorer thread on PostgreSQL', function () {
  this.timeout(90_000);
  let t: TestDatabase;
  let vault: TestVault;
  let logs: KnexLogStore;
  let LICENCE_LOG: string;

  before(async function () {
    await skipUnlessAvailable(this, 'postgres');
    t = await openTestDatabase('postgres');
    logs = new KnexLogStore(t.db);
    vault = await TestVault.start({ env: { DATABASE_URL: t.url!, ANCHORER_ENABLED: 'true', ANCHOR_INTERVAL_MS: '100', ANCHOR_BATCH_LEAVES: '1' } });
    LICENCE_LOG = vault.config.transparency.logOrigin;
  });
  after(async () => {
    await vault?.stop();
    await t?.dispose();
  });

  const addLeaves = (n: number) => t.db.transaction((trx) => appendLeaves(trx, Array.from({ length: n }, (_, i) => ({ origin: LICENCE_LOG, subject: `s${i}`, leaf: { i, r: crypto.randomUUID() } }))));
  const anchoredSize = async () => (await logs.latestCheckpoint(LICENCE_LOG, { anchoredOnly: true }))?.size ?? 0;
  /** checkpoints_anchored_total as a scraper reads it from /metrics (served by the request thread). */
  const anchoredCount = async () => {
    const text = Buffer.from((await vault.request('GET', '/metrics')).bytes).toString('utf8');
    const line = text.split('\n').find((l) => l.startsWith('checkpoints_anchored_total '));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  };

  it('anchors on its own thread, holding the anchoring lock, and its cycles reach the metrics', async () => {
    expect(vault.vault.anchorerThread, 'the anchorer runs on a thread').to.not.equal(null);
    await addLeaves(3);
    await until('the three leaves to be anchored', async () => (await anchoredSize()) === 3);
    // The request thread's anchorer is not running: asked to run once, it finds the lock held by the thread.
    expect((await vault.vault.anchorer.runOnce(true)).leader).to.equal(false);
    expect(await until('the thread to report an anchored checkpoint', async () => (await anchoredCount()) > 0)).to.equal(true);
  });

  it('is started again after its thread dies, and anchors again, also when the request thread anchored meanwhile', async () => {
    const thread = vault.vault.anchorerThread!;
    await thread.worker!.terminate();
    // Before the restart (1 s later) the request thread's anchorer, asked to run, wins the lock; it must
    // give it back, or the restarted thread would wait on standby for good and nothing would be anchored.
    await until('the request thread to win the lock', async () => (await vault.vault.anchorer.runOnce(true)).leader, 900);
    await until('the thread to be started again', async () => thread.restarts === 1 && thread.worker !== null);
    const before = await anchoredSize();
    await addLeaves(2);
    await until('the new leaves to be anchored', async () => (await anchoredSize()) === before + 2);
  });

  it('ends cleanly when the service closes, releasing the anchoring lock', async () => {
    const exitCode = new Promise<number>((resolve) => vault.vault.anchorerThread!.worker!.once('exit', resolve));
    await vault.stop();
    expect(await exitCode, 'exit code (a forced end gives 1)').to.equal(0);
    const other = knexFactory({ client: 'pg', connection: t.url!, pool: { min: 0, max: 1 } });
    try {
      const { rows } = await other.raw('select pg_try_advisory_lock(?) as ok', [ANCHORER_LOCK_KEY.toString()]);
      expect(rows[0].ok).to.equal(true);
    } finally {
      await other.destroy();
    }
    vault = undefined as never;
  });
});
