/**
 * Scale-out: two anchorers (as two replicas would run) on one PostgreSQL database. Exactly one holds the
 * advisory lock and works; when its session dies (a killed replica), the other takes over.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { EmbeddedLedger } from '../../src/ledger/embedded-ledger.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { Anchorer, ANCHORER_LOCK_KEY } from '../../src/transparency/anchorer.ts';
import { generateCheckpointSigner, parseSigner } from '../../src/proofs/checkpoint.ts';
import { appendLeaves, KnexLogStore } from '../../src/log/log-store.ts';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';

const ORIGIN = 'leadership.test/log';

describe('anchorer leadership on PostgreSQL', function () {
  this.timeout(60_000);
  let t: TestDatabase;
  let a: Anchorer;
  let b: Anchorer;
  let logs: KnexLogStore;

  before(async function () {
    await skipUnlessAvailable(this, 'postgres');
    t = await openTestDatabase('postgres');
    logs = new KnexLogStore(t.db);
    const ledger = new EmbeddedLedger(t.db, crypto.randomBytes(32));
    const signer = parseSigner(generateCheckpointSigner(ORIGIN).skey);
    const make = () => new Anchorer({ db: t.db, logs, ledger, origins: [ORIGIN], signer, batchLeaves: 1, intervalMs: 0, logger: createLogger('silent') });
    a = make();
    b = make();
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await t?.dispose();
  });

  const addLeaves = (n: number) => t.db.transaction((trx) => appendLeaves(trx, Array.from({ length: n }, (_, i) => ({ origin: ORIGIN, subject: `s${i}`, leaf: { i, r: crypto.randomUUID() } }))));

  it('lets exactly one of two anchorers work', async () => {
    await addLeaves(5);
    const [ra, rb] = await Promise.all([a.runOnce(true), b.runOnce(true)]);
    expect([ra.leader, rb.leader].filter(Boolean)).to.have.length(1);
    const leader = ra.leader ? ra : rb;
    expect(leader.checkpointsAnchored).to.equal(1);
    await addLeaves(3);
    const again = await Promise.all([a.runOnce(true), b.runOnce(true)]);
    expect(again.map((r) => r.leader)).to.deep.equal([ra.leader, rb.leader]); // leadership is sticky
    expect((await logs.latestCheckpoint(ORIGIN, { anchoredOnly: true }))?.size).to.equal(8);
  });

  it('hands over when the leader’s database session dies', async () => {
    const leaderIsA = (await a.runOnce(true)).leader;
    const [leader, follower] = leaderIsA ? [a, b] : [b, a];
    // Kill the leader's lock-holding session, as a crashed replica's connection would vanish.
    await t.db.raw('select pg_terminate_backend(pid) from pg_locks where locktype = ? and objid = ? and granted', ['advisory', Number(ANCHORER_LOCK_KEY & 0xffffffffn)]);
    await addLeaves(4);
    const takeover = await follower.runOnce(true);
    expect(takeover.leader).to.equal(true);
    expect(takeover.checkpointsAnchored).to.equal(1);
    expect((await logs.latestCheckpoint(ORIGIN, { anchoredOnly: true }))?.size).to.equal(12);
    const old = await leader.runOnce(true);
    expect(old.leader).to.equal(false); // the old leader notices it lost the lock and stands by
  });
});
