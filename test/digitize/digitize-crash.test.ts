/**
 * Crash safety: a child process digitizing 2 000 rows is killed with SIGKILL at several points; after a
 * final run, exactly the expected licences exist, each once, with exactly one log leaf each, and the log
 * has no gap. Runs on PostgreSQL (the production engine; skipped loudly where it is missing, not on CI).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { assertLicenceLogConsistent } from '../support/log-consistency.ts';
import { generateMessyManifest } from './messy-manifest-generator.ts';

describe('digitization survives kill -9', function () {
  this.timeout(300_000);
  let t: TestDatabase;
  let dir: string;

  before(async function () {
    await skipUnlessAvailable(this, 'postgres');
    t = await openTestDatabase('postgres', { migrate: false });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-crash-'));
  });
  after(async () => {
    await t?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const runCli = (manifest: string, scans: string, killAfterMs: number | null) =>
    new Promise<{ code: number | null; signal: string | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'digitize', manifest, '--scans', scans, '--no-progress', '--error-report', path.join(dir, 'errors.csv')], {
        env: { ...process.env, DATABASE_URL: t.url!, DATA_DIR: path.join(dir, 'data'), SEED_DEV_DATA: 'true', RENDER_WORKERS: '2', LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', () => undefined);
      const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ code, signal, stdout });
      });
    });

  const count = async (sql: string) => Number((await t.db.raw(sql)).rows[0].n);

  it('issues each good row exactly once, with one leaf each, across SIGKILLs', async () => {
    const generated = generateMessyManifest({ dir: path.join(dir, 'manifest'), rows: 2000, seed: 5, richScans: false });
    const counts: number[] = [];
    for (const killAfter of [4000, 7000, 9500, 12000]) {
      const result = await runCli(generated.manifestPath, generated.scansDir, killAfter);
      if (result.signal !== 'SIGKILL') break; // finished before the kill: nothing left to interrupt
      counts.push(await count('select count(*) as n from licences where provenance is not null'));
    }
    expect(counts.length, 'at least two kills happened mid-run').to.be.at.least(2);
    for (let i = 1; i < counts.length; i++) expect(counts[i]).to.be.at.least(counts[i - 1]!);
    expect(counts.some((n) => n > 0 && n < generated.expected.issued), `killed mid-batch (counts ${counts.join(', ')})`).to.equal(true);

    const final = await runCli(generated.manifestPath, generated.scansDir, null);
    const summary = JSON.parse(/^SUMMARY (.*)$/m.exec(final.stdout)![1]!);
    expect(summary.issued + summary.alreadyDone).to.equal(generated.expected.issued);

    expect(await count('select count(*) as n from licences where provenance is not null')).to.equal(generated.expected.issued);
    expect(await count('select count(distinct idempotency_key) as n from licences where provenance is not null')).to.equal(generated.expected.issued);
    expect(await assertLicenceLogConsistent(t.db)).to.deep.equal({ size: generated.expected.issued, licences: generated.expected.issued });
  });
});
