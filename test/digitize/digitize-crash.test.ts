/**
 * Crash safety: a child process digitizing 2 000 rows is killed with SIGKILL at several points; after a
 * final run, exactly the expected licences exist, each once, with exactly one log leaf each, and the log
 * has no gap. Runs on PostgreSQL (the production engine; skipped loudly where it is missing, not on CI).
 */
import { childEnvironment } from '../support/child-environment.ts';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { ACCESS_LOG_ORIGIN, assertLicenceLogConsistent, LICENCE_LOG_ORIGIN } from '../support/log-consistency.ts';
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

  /** Licences digitized so far; 0 while the schema does not exist yet (a kill can land before the migrations). */
  const digitized = async () => {
    const table = await t.db.raw(`select to_regclass('public.licences') as name`);
    if (table.rows[0].name === null) return 0;
    return Number((await t.db.raw('select count(*) as n from licences where provenance is not null')).rows[0].n);
  };

  /**
   * Runs the CLI; with a `kill`, SIGKILLs it `afterMs` after it has issued its first licence of this run
   * (or `afterMs` after the start when `afterProgress` is false). Progress, not the clock since the start,
   * decides, so that a slow machine, where start-up and migrations alone can take seconds, still sees kills
   * in the middle of the batch.
   */
  const runCli = (manifest: string, scans: string, kill: { afterProgress: boolean; afterMs: number } | null) =>
    new Promise<{ code: number | null; signal: string | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'digitize', manifest, '--scans', scans, '--no-progress', '--error-report', path.join(dir, 'errors.csv')], {
        env: childEnvironment({ DATABASE_URL: t.url!, DATA_DIR: path.join(dir, 'data'), SEED_DEV_DATA: 'true', RENDER_WORKERS: '2', LOG_LEVEL: 'silent', LOG_ORIGIN: LICENCE_LOG_ORIGIN, ACCESS_LOG_ORIGIN }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let exited = false;
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', () => undefined);
      child.on('exit', (code, signal) => {
        exited = true;
        resolve({ code, signal, stdout });
      });
      if (kill) killWhenDue(kill, () => exited, () => child.kill('SIGKILL')).catch(reject);
    });

  const killWhenDue = async (kill: { afterProgress: boolean; afterMs: number }, exited: () => boolean, doKill: () => void) => {
    if (kill.afterProgress) {
      const before = await digitized();
      while (!exited() && (await digitized()) <= before) await sleep(50);
    }
    await sleep(kill.afterMs);
    if (!exited()) doKill();
  };

  const count = async (sql: string) => Number((await t.db.raw(sql)).rows[0].n);

  it('issues each good row exactly once, with one leaf each, across SIGKILLs', async () => {
    const generated = generateMessyManifest({ dir: path.join(dir, 'manifest'), rows: 2000, seed: 5, richScans: false });
    const counts: number[] = [];
    // The first kill lands early, often during start-up or the migrations; the others mid-batch.
    const kills = [{ afterProgress: false, afterMs: 1500 }, { afterProgress: true, afterMs: 0 }, { afterProgress: true, afterMs: 1500 }, { afterProgress: true, afterMs: 3000 }];
    for (const kill of kills) {
      const result = await runCli(generated.manifestPath, generated.scansDir, kill);
      if (result.signal !== 'SIGKILL') break; // finished before the kill: nothing left to interrupt
      counts.push(await digitized());
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
