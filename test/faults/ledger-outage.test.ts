/**
 * Fault: the ledger is unreachable for 10 minutes. Ten real minutes would make the suite useless, so the
 * anchorer runs on a simulated clock: each cycle advances the clock by exactly the backoff the anchorer
 * asks for, which is what its own scheduler would wait. Issuance (real HTTP requests, real database, a
 * real embedded ledger behind a switch) goes on between cycles. Shows: every issuance succeeds, /readyz
 * stays 200 ("degraded": the replica stays in rotation), the backoff doubles from 1 s and stays capped at
 * 60 s, the anchoring lag and the time since the last anchor grow, and once the ledger is back one cycle
 * anchors everything and drains the status outbox.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { EmbeddedLedger } from '../../src/ledger/embedded-ledger.ts';
import { openTestDatabase } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { assertAnchoredCheckpointMatchesLeaves, assertLicenceLogConsistent } from '../support/log-consistency.ts';
import { standInDocuments } from '../support/stand-in-documents.ts';
import { SwitchableLedger } from '../support/switchable-ledger.ts';
import { businessLicenceRequest, DEPARTMENTS, TestVault } from '../support/test-vault.ts';

const OUTAGE_MS = 10 * 60_000;
const BACKOFF_CAP_MS = 60_000;
const LICENCES_PER_CYCLE = 10;

describe('fault: ledger unreachable for 10 minutes (simulated clock)', function () {
  this.timeout(120_000);
  let t: TestDatabase;
  let vault: TestVault;
  let clock = Date.now(); // the service's and the anchorer's clock; moved by hand during the outage

  before(async () => {
    t = await openTestDatabase('pglite');
  });
  after(async () => {
    await vault?.stop();
    await t?.dispose();
  });

  /** A gauge or counter sample from /metrics, as a scraper would read it. */
  const metric = async (name: string, labels = ''): Promise<number> => {
    const text = Buffer.from((await vault.request('GET', '/metrics')).bytes).toString('utf8');
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  };
  const count = async (table: string, where: (q: any) => any) => Number((await where(t.db(table)).count({ n: '*' }))[0].n);

  it('keeps issuing, backs off to a 60 s cap, lets the lag grow, and anchors everything in one cycle once the ledger returns', async () => {
    const ledger = new SwitchableLedger(new EmbeddedLedger(t.db, crypto.randomBytes(32)));
    vault = await TestVault.start({ overrides: { db: t.db, ledger, documents: standInDocuments, now: () => new Date(clock) } });
    const anchorer = vault.vault.anchorer;
    const market = await vault.departmentToken(DEPARTMENTS.market);
    const issued: string[] = [];
    const issueBatch = async () => {
      const results = await Promise.all(Array.from({ length: LICENCES_PER_CYCLE }, () => vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })));
      for (const r of results) {
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        issued.push(r.body.id);
      }
    };

    // Before the outage: one anchored checkpoint, the reference the lag is measured from.
    await issueBatch();
    expect((await anchorer.runOnce(true)).error).to.equal(null);
    expect(await metric('anchoring_lag_leaves')).to.equal(0);

    const origin = vault.config.transparency.logOrigin;
    const anchoredBeforeOutage = (await ledger.getAnchoredCheckpoint(origin))!.size;

    ledger.down = true;
    // The replica stays in rotation: issuance goes on and anchoring queues (a shared ledger outage must
    // not take every replica out at once), and says it is degraded.
    const duringOutage = await vault.request('GET', '/readyz');
    expect(duringOutage.status).to.equal(200);
    expect(duringOutage.body.status).to.equal('degraded');
    expect(duringOutage.body.checks.ledger).to.deep.include({ ok: false, required: false });
    expect(duringOutage.body.checks.database).to.deep.include({ ok: true, required: true });
    clock = Date.now();
    const outageStart = clock;
    const backoffs: number[] = [];
    const lags: number[] = [];
    const revoked: string[] = [];
    let cycles = 0;
    while (clock - outageStart < OUTAGE_MS) {
      await issueBatch();
      // A revocation every few cycles: status changes queue in the outbox while the ledger is away.
      if (cycles % 4 === 0) {
        const id = issued[cycles]!;
        expect((await vault.request('POST', `/licences/${id}/status-changes`, { token: market, json: { action: 'revoke', reason: 'ledger outage fault' } })).status).to.equal(200);
        revoked.push(id);
      }
      // Not forced: the anchorer's own batch and interval policy decides, on the simulated clock.
      const report = await anchorer.runOnce();
      expect(report.error, `cycle ${cycles} at +${(clock - outageStart) / 1000} s`).to.match(/simulated outage/);
      cycles += 1;
      backoffs.push(anchorer.backoffMs());
      lags.push(await metric('anchoring_lag_leaves'));
      clock += anchorer.backoffMs();
    }
    const simulatedMinutes = (clock - outageStart) / 60_000;

    // 1, 2, 4 … 32 s, then 60 s (the cap) for every cycle after.
    expect(backoffs).to.deep.equal(backoffs.map((_, i) => Math.min(BACKOFF_CAP_MS, 1000 * 2 ** i)));
    expect(backoffs.filter((b) => b === BACKOFF_CAP_MS).length, 'the cap is reached and held').to.be.at.least(5);
    for (let i = 1; i < lags.length; i++) expect(lags[i]!, `lag grows at cycle ${i}`).to.be.greaterThan(lags[i - 1]!);
    const logSize = Number((await t.db('log_heads').where({ origin }).first()).size);
    expect(lags.at(-1), 'nothing logged during the outage is anchored yet').to.equal(logSize - anchoredBeforeOutage);
    expect(await metric('anchoring_seconds_since_last_anchor')).to.be.at.least(600);
    expect(await metric('anchoring_cycles_total', '{outcome="failed"}')).to.equal(cycles);
    expect(await metric('ledger_status_writes_pending')).to.equal(revoked.length);
    // Checkpoints were still signed on schedule during the outage; they wait in the database for the ledger.
    expect(await count('log_checkpoints', (q) => q.where({ origin }).whereNull('anchor'))).to.be.greaterThan(1);

    ledger.down = false;
    expect((await vault.request('GET', '/readyz')).body.status).to.equal('ready');
    let recoveryCycles = 0;
    while ((await metric('anchoring_lag_leaves')) > 0 && recoveryCycles < 3) {
      const report = await anchorer.runOnce();
      expect(report.error).to.equal(null);
      recoveryCycles += 1;
      clock += anchorer.backoffMs();
    }
    expect(recoveryCycles, 'one cycle after the ledger returns anchors everything').to.equal(1);
    expect(anchorer.backoffMs(), 'back to the normal poll interval').to.be.lessThan(BACKOFF_CAP_MS);
    expect((await ledger.getAnchoredCheckpoint(origin))?.size).to.equal(logSize);
    expect(await count('ledger_status_outbox', (q) => q.whereNull('anchor'))).to.equal(0);
    expect(await count('log_checkpoints', (q) => q.where({ origin }).whereNull('anchor'))).to.equal(0);
    for (const id of revoked) expect((await ledger.getLicenceStatus(origin, id))?.status).to.equal('revoked');
    const { licences } = await assertLicenceLogConsistent(t.db, origin);
    expect(licences).to.equal(issued.length);
    await assertAnchoredCheckpointMatchesLeaves(t.db, { origin, ledger });

    console.log(`      ledger outage: ${simulatedMinutes.toFixed(1)} simulated minutes, ${cycles} failed cycles (backoff ${backoffs.map((b) => b / 1000).join(', ')} s), ${issued.length} licences issued (${issued.length - LICENCES_PER_CYCLE} during the outage), ${revoked.length} revocations queued; caught up in ${recoveryCycles} cycle`);
  });
});
