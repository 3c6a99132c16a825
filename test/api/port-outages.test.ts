/**
 * A port that does not answer is an outage, answered 503 with Retry-After, never a 500: the ledger here (the
 * database and the object store have their own suites: test/db/database-unavailable.test.ts and the S3
 * proxy in test/api/licence-api-production-engines.test.ts). The client is told to come back, and the
 * CLI says "could not check" (exit 2) with a JSON report, not "a check failed".
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { EmbeddedLedger } from '../../src/ledger/embedded-ledger.ts';
import { runCli } from '../support/cli.ts';
import { openTestDatabase } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { SwitchableLedger } from '../support/switchable-ledger.ts';
import { businessLicenceRequest, DEPARTMENTS, TestVault } from '../support/test-vault.ts';

describe('port outages at the edge: the ledger', function () {
  this.timeout(120_000);
  let t: TestDatabase;
  let vault: TestVault;
  let ledger: SwitchableLedger;
  let licenceId: string;
  let pdf: Uint8Array;
  let auditor: string;

  before(async () => {
    t = await openTestDatabase('pglite');
    ledger = new SwitchableLedger(new EmbeddedLedger(t.db, crypto.randomBytes(32)));
    vault = await TestVault.start({ overrides: { db: t.db, ledger } });
    const market = await vault.departmentToken(DEPARTMENTS.market);
    auditor = await vault.departmentToken(DEPARTMENTS.audit);
    const issued = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body;
    licenceId = issued.id;
    await vault.vault.anchorer.runOnce(true);
    pdf = (await vault.vault.licences.documentForLink(licenceId))!.bytes;
  });
  after(async () => {
    await vault?.stop();
    await t?.dispose();
  });
  afterEach(() => {
    ledger.down = false;
  });

  const expectOutage = (res: { status: number; headers: Headers; body: any }, what: string) => {
    expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(503);
    expect(res.headers.get('retry-after'), what).to.match(/^\d+$/);
    expect(res.headers.get('content-type'), what).to.match(/^application\/problem\+json/);
    expect(res.body.code, what).to.equal('LEDGER_UNAVAILABLE');
    expect(JSON.stringify(res.body), what).to.not.match(/simulated|stack|at \w+ \(/);
  };

  it('answers 503 with Retry-After on /licences/{id}/validity, /ledger/facts and POST /verify while the ledger is down, and 200 again after', async () => {
    const calls = {
      validity: () => vault.request('GET', `/licences/${licenceId}/validity`, { token: auditor }),
      facts: () => vault.request('GET', `/ledger/facts?licenceId=${encodeURIComponent(licenceId)}`),
      verify: () => vault.request('POST', '/verify', { json: { pdf: Buffer.from(pdf).toString('base64') } }),
    };
    ledger.down = true;
    for (const [what, call] of Object.entries(calls)) expectOutage(await call(), what);
    const ready = await vault.request('GET', '/readyz');
    expect(ready.status).to.equal(200);
    expect(ready.body.status).to.equal('degraded');
    expect(ready.body.checks.ledger.ok).to.equal(false);
    ledger.down = false;
    for (const [what, call] of Object.entries(calls)) expect((await call()).status, what).to.equal(200);
  });

  it('CLI verify exits 2 ("could not check") with a JSON report while the ledger is down, 0 once it is back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-outage-'));
    const file = path.join(dir, 'licence.pdf');
    fs.writeFileSync(file, pdf);
    const receipt = (await vault.request('GET', `/licences/${licenceId}/receipt`, { token: auditor })).body;
    fs.writeFileSync(path.join(dir, 'receipt.json'), JSON.stringify(receipt));
    const args = ['verify', file, '--receipt', path.join(dir, 'receipt.json'), '--url', vault.baseUrl, '--json'];
    ledger.down = true;
    const down = await runCli(args);
    expect(down.status, down.stderr).to.equal(2);
    const report = JSON.parse(down.stdout);
    expect(report).to.include({ ok: false, verdict: 'could-not-check', licenceId });
    expect(report.couldNotCheck.reason).to.match(/ledger\/facts.*503/);
    ledger.down = false;
    const up = await runCli(args);
    expect(up.status, up.stderr + up.stdout).to.equal(0);
    expect(JSON.parse(up.stdout)).to.include({ ok: true, complete: true });
  });
});
