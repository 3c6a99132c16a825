/**
 * Scale-out: two service processes (this one and a child started like `npm start`) on one PostgreSQL
 * database and one object directory issue licences concurrently. The log has no gap and no duplicate,
 * every licence has exactly one leaf, and one anchoring pass covers them all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { ACCESS_LOG_ORIGIN, assertAnchoredCheckpointMatchesLeaves, assertLicenceLogConsistent, LICENCE_LOG_ORIGIN } from '../support/log-consistency.ts';
import { departmentToken, freePort, ServiceProcess } from '../support/service-process.ts';
import { businessLicenceRequest, DEPARTMENTS, PUBLIC_BASE_URL, TestVault } from '../support/test-vault.ts';

describe('two service processes on one PostgreSQL', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let dataDir: string;
  let local: TestVault;
  let child: ServiceProcess | undefined;

  before(async function () {
    await skipUnlessAvailable(this, 'postgres');
    db = await openTestDatabase('postgres', { migrate: false });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-scale-'));
    // Both name the logs alike (the child is started with these origins): the first to start pins them.
    const env = { DATABASE_URL: db.url!, SEED_DEV_DATA: 'true', RENDER_WORKERS: '0', LOG_ORIGIN: LICENCE_LOG_ORIGIN, ACCESS_LOG_ORIGIN };
    // The first instance migrates and seeds the shared data directory; the second joins it.
    local = await TestVault.start({ dataDir, env });
    child = await ServiceProcess.start({ dataDir, databaseUrl: db.url!, port: await freePort(), publicBaseUrl: PUBLIC_BASE_URL, env: { ...env, ANCHORER_ENABLED: 'false' } });
  });
  after(async () => {
    await child?.stop();
    await local?.stop();
    await db?.dispose();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('issues concurrently from both without log gaps or duplicates', async () => {
    // A token from one instance works on the other: they share the signing key in the data directory.
    const token = await departmentToken(child!.baseUrl, dataDir, DEPARTMENTS.market, PUBLIC_BASE_URL);
    const issue = (base: string) => fetch(`${base}/licences`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(businessLicenceRequest()) });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => issue(i % 2 ? child!.baseUrl : local.baseUrl)));
    expect(results.map((r) => r.status)).to.deep.equal(Array(40).fill(201));
    const ids = await Promise.all(results.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).to.equal(40);

    expect(await assertLicenceLogConsistent(db.db)).to.deep.equal({ size: 40, licences: 40 });
    const cycle = await local.vault.anchorer.runOnce(true);
    expect(cycle).to.include({ leader: true, error: null });
    expect((await local.vault.transparency.latestCheckpoint()).size).to.equal(40);
    await assertAnchoredCheckpointMatchesLeaves(db.db, { ledger: local.vault.ledger });
  });
});
