/**
 * Scale-out: two service processes (this one and a child started like `npm start`) on one PostgreSQL
 * database and one object directory issue licences concurrently. The log has no gap and no duplicate,
 * every licence has exactly one leaf, and one anchoring pass covers them all.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { signClientAssertion, tokenRequestForm } from '../../src/auth/client-assertion.ts';
import { dataDirLayout, loadDevClientKey } from '../../src/bootstrap/dev-environment.ts';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { businessLicenceRequest, DEPARTMENTS, PUBLIC_BASE_URL, TestVault } from '../support/test-vault.ts';

const LOG_ORIGIN = 'licence-vault.local/licences';

describe('two service processes on one PostgreSQL', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let dataDir: string;
  let local: TestVault;
  let child: ChildProcess | undefined;
  let childUrl: string;

  before(async function () {
    await skipUnlessAvailable(this, 'postgres');
    db = await openTestDatabase('postgres', { migrate: false });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-scale-'));
    const env = { DATABASE_URL: db.url!, SEED_DEV_DATA: 'true', RENDER_WORKERS: '0' };
    // The first instance migrates and seeds the shared data directory; the second joins it.
    local = await TestVault.start({ dataDir, env });
    const port = 19000 + Math.floor(Math.random() * 1000);
    childUrl = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, ...env, DATA_DIR: dataDir, PORT: String(port), PUBLIC_BASE_URL, LOG_LEVEL: 'warn', ANCHORER_ENABLED: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('running on')) resolve();
      });
      child!.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      child!.on('exit', (code) => reject(new Error(`second instance exited ${code}: ${out.slice(-1500)}`)));
    });
  });
  after(async () => {
    child?.kill('SIGTERM');
    await local?.stop();
    await db?.dispose();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('issues concurrently from both without log gaps or duplicates', async () => {
    const key = await loadDevClientKey(dataDirLayout(dataDir).devClientsDir, DEPARTMENTS.market);
    const tokenFrom = async (base: string) => {
      const res = await fetch(`${base}/oauth/token`, { method: 'POST', body: tokenRequestForm(await signClientAssertion(key, DEPARTMENTS.market, `${PUBLIC_BASE_URL}/oauth/token`)) });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    // A token from one instance works on the other: they share the signing key in the data directory.
    const token = await tokenFrom(childUrl);
    const issue = (base: string) => fetch(`${base}/licences`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(businessLicenceRequest()) });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => issue(i % 2 ? childUrl : local.baseUrl)));
    expect(results.map((r) => r.status)).to.deep.equal(Array(40).fill(201));
    const ids = await Promise.all(results.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).to.equal(40);

    const count = async (sql: string) => Number((await db.db.raw(sql)).rows[0].n);
    const size = await count(`select size as n from log_heads where origin = '${LOG_ORIGIN}'`);
    expect(size).to.equal(40);
    expect(await count(`select count(distinct leaf_index) as n from log_leaves where origin = '${LOG_ORIGIN}'`)).to.equal(40);
    expect(await count(`select max(leaf_index) as n from log_leaves where origin = '${LOG_ORIGIN}'`)).to.equal(39);
    expect(await count(`select count(*) as n from (select subject from log_leaves where origin = '${LOG_ORIGIN}' group by subject having count(*) <> 1) s`)).to.equal(0);
    const cycle = await local.vault.anchorer.runOnce(true);
    expect(cycle).to.include({ leader: true, error: null });
    expect((await local.vault.transparency.latestCheckpoint()).size).to.equal(40);
  });
});
