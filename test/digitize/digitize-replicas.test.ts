/**
 * Digitization shared by every replica (issue 19): three service processes on one PostgreSQL database and
 * the S3 gateway digitize one 3 000-row messy manifest together; one of them is SIGKILLed mid-run. Every
 * good row is issued exactly once with exactly one log leaf, the killed replica's row range is taken over
 * (and the rows it had finished are reported as already done, not issued again), and the merged error
 * report is complete, in row order, UTF-8 with BOM. The job's answer names no server path.
 *
 * Also: two replicas racing on the same rows (two vaults, one database) cannot issue a row twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { expect } from 'chai';
import { digitizeRows } from '../../src/digitize/digitize-pipeline.ts';
import { readManifest } from '../../src/digitize/manifest-reader.ts';
import { scansInDirectory } from '../../src/digitize/scan-reader.ts';
import { LicenceTypeCatalogue } from '../../src/catalogue/catalogue.ts';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { assertLicenceLogConsistent } from '../support/log-consistency.ts';
import { loadS3TestConfig } from '../support/s3-test-config.ts';
import type { S3Cfg } from '../support/s3-test-config.ts';
import { departmentToken, freePort, ServiceProcess, sleep } from '../support/service-process.ts';
import { DEPARTMENTS, TestVault } from '../support/test-vault.ts';
import { zipStore } from '../support/zip.ts';
import { expectedOutcome } from './expected-outcome.ts';
import { generateMessyManifest } from './messy-manifest-generator.ts';

const ROWS = Number(process.env.DIGITIZE_REPLICAS_ROWS ?? 3000);
const PUBLIC_BASE_URL = 'http://replicas.licence-vault.test';

describe('digitization shared by three replicas (PostgreSQL + S3)', function () {
  this.timeout(300_000);
  let db: TestDatabase;
  let s3: S3Cfg;
  let dir: string;
  const services: ServiceProcess[] = [];

  before(async function () {
    await skipUnlessAvailable(this, 'postgres');
    const s3Config = await loadS3TestConfig();
    if ('skipReason' in s3Config) {
      console.warn(`\n  !!! replica digitization test SKIPPED: ${s3Config.skipReason}\n`);
      this.skip();
    }
    s3 = s3Config;
    db = await openTestDatabase('postgres', { migrate: false });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-digitize-replicas-'));
  });
  after(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await db?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const count = async (sql: string, bindings: ReadonlyArray<string | number> = []) => Number((await db.db.raw(sql, bindings)).rows[0].n);

  it(`three processes digitize ${ROWS} rows together; one is SIGKILLed mid-run and its range is taken over`, async () => {
    const started = Date.now();
    const generated = generateMessyManifest({ dir: path.join(dir, 'manifest'), rows: ROWS, seed: 19, richScans: false });
    const expected = await expectedOutcome(generated, DEPARTMENTS.market);
    const scansZip = zipStore(fs.readdirSync(generated.scansDir).map((name) => ({ name, bytes: new Uint8Array(fs.readFileSync(path.join(generated.scansDir, name))) })));

    // One data directory (keys, development clients) for all three, as replicas share their configuration.
    const dataDir = path.join(dir, 'data');
    const env = {
      S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_BUCKET: s3.bucket, S3_REGION: s3.region,
      RENDER_WORKERS: '1', ANCHORER_ENABLED: 'false',
    };
    // Started one after the other: the first one migrates and seeds, the others find it done.
    for (let i = 0; i < 3; i++) services.push(await ServiceProcess.start({ dataDir, databaseUrl: db.url!, port: await freePort(), publicBaseUrl: PUBLIC_BASE_URL, env }));
    const [a, b, c] = services as [ServiceProcess, ServiceProcess, ServiceProcess];
    const startedUp = Date.now();
    const token = await departmentToken(a.baseUrl, dataDir, DEPARTMENTS.market, PUBLIC_BASE_URL);

    const form = new FormData();
    form.set('manifest', new Blob([fs.readFileSync(generated.manifestPath)]), 'manifest.csv');
    form.set('scans', new Blob([Buffer.from(scansZip)]), 'scans.zip');
    const submitted = await fetch(`${a.baseUrl}/digitize/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(submitted.status, await submitted.clone().text()).to.equal(202);
    const jobId = ((await submitted.json()) as { id: string }).id;

    // Mid-run: a fifth of the rows issued and every replica at work on a range of its own.
    const digitized = () => count('select count(*) as n from licences where provenance is not null');
    const activeRanges = () => count(`select count(*) as n from pgboss.job where name = 'digitize-rows' and state = 'active'`);
    for (const deadline = Date.now() + 120_000; (await digitized()) < expected.issuedKeys.length / 5 || (await activeRanges()) < 3; ) {
      expect(Date.now(), `the job did not get going: ${await digitized()} issued\n${a.tail()}`).to.be.below(deadline);
      for (const s of services) expect(s.exited, `a replica died on its own:\n${s.tail()}`).to.equal(false);
      await sleep(100);
    }
    const issuedAtKill = await digitized();
    const killedAt = Date.now();
    expect((await b.kill()).signal).to.equal('SIGKILL');

    let job: any;
    for (const deadline = Date.now() + 180_000; ; ) {
      for (const s of [a, c]) expect(s.exited, `a replica died on its own:\n${s.tail()}`).to.equal(false);
      const res = await fetch(`${c.baseUrl}/digitize/jobs/${jobId}`, { headers: { authorization: `Bearer ${token}` } });
      job = await res.json();
      if (job.state === 'done' || job.state === 'failed') break;
      expect(Date.now(), `job still ${job.state}: ${JSON.stringify(job.progress)}\n${c.tail()}`).to.be.below(deadline);
      await sleep(250);
    }
    const finished = Date.now();
    expect(job.state, JSON.stringify(job)).to.equal('done');

    // The killed replica's range ran again elsewhere; when that happened is when it was taken over.
    const retried = await db.db('digitize_tasks').where({ job_id: jobId }).andWhere('attempts', '>', 1).select('first_row', 'last_row', 'attempts');
    expect(retried.length, 'a range of the killed replica was taken over').to.be.at.least(1);

    // Every good row of the department's types exactly once, each with exactly one issuance leaf.
    const perSource = await db.db.raw(`select provenance->>'sourceSystem' as system, provenance->>'sourceRecordId' as record, count(*) as n from licences where provenance is not null group by 1, 2`);
    expect(perSource.rows.filter((r: { n: string }) => Number(r.n) !== 1), 'source records issued more than once').to.deep.equal([]);
    expect(perSource.rows.map((r: { system: string; record: string }) => `${r.system}/${r.record}`).sort()).to.deep.equal([...expected.issuedKeys].sort());
    const leavesPerLicence = await db.db.raw(`select l.id, count(g.leaf_index) as n from licences l left join log_leaves g on g.subject = l.id and (g.leaf_data::jsonb)->>'kind' = 'licence.issued' group by l.id having count(g.leaf_index) <> 1`);
    expect(leavesPerLicence.rows, 'licences without exactly one issuance leaf').to.deep.equal([]);
    await assertLicenceLogConsistent(db.db);

    // The summary merges every range: exact counts.
    const summary = job.summary;
    expect(summary.rows).to.equal(ROWS);
    expect(summary.issued + summary.alreadyDone).to.equal(expected.issuedKeys.length);
    expect(summary.duplicatesInManifest).to.equal(generated.expected.duplicates);
    expect(summary.conflicts).to.equal(generated.expected.conflicts);
    expect(summary.rejected).to.deep.equal(expected.rejected);
    expect(job.progress).to.include({ rows: ROWS, processed: ROWS, issued: summary.issued });

    // No internal path anywhere in the answer: the report is an API URL.
    expect(summary.errorReport).to.equal(`/digitize/jobs/${jobId}/errors`);
    expect(job.links.errors).to.equal(`/digitize/jobs/${jobId}/errors`);
    expect(JSON.stringify(job), 'no server path in the job').to.not.match(/\/(tmp|var|home|root|work)\/|digitize-jobs\/|[A-Za-z]:\\\\/);

    // The merged error report, from another replica: complete, in row order, UTF-8 with BOM.
    const reportRes = await fetch(`${a.baseUrl}/digitize/jobs/${jobId}/errors`, { headers: { authorization: `Bearer ${token}` } });
    expect(reportRes.status).to.equal(200);
    const reportBytes = Buffer.from(await reportRes.arrayBuffer());
    expect([...reportBytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const lines = parse(reportBytes.toString('utf8'), { bom: true, columns: true }) as Array<Record<string, string>>;
    const linesPerCode: Record<string, number> = {};
    for (const l of lines) linesPerCode[l.code!] = (linesPerCode[l.code!] ?? 0) + 1;
    expect(linesPerCode).to.deep.equal(expected.rejected);
    const rowNumbers = lines.map((l) => Number(l.row_number));
    expect(rowNumbers.every((n, i) => i === 0 || n >= rowNumbers[i - 1]!), 'report rows in row order').to.equal(true);
    const byRow = new Map(lines.map((l) => [Number(l.row_number), l.code]));
    for (const [row, code] of generated.rejectedRows) expect(byRow.get(row), `row ${row}`).to.be.oneOf([code, 'WRONG_ISSUER']);
    for (const row of expected.wrongIssuerRows) expect(byRow.get(row), `row ${row}`).to.equal('WRONG_ISSUER');

    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    console.log(`      ${ROWS} rows, 3 replicas (one killed at ${issuedAtKill} of ${expected.issuedKeys.length} licences): issued ${summary.issued}, already done ${summary.alreadyDone} (the killed replica's finished rows), ` +
      `ranges re-run ${retried.map((r: { first_row: number; last_row: number; attempts: number }) => `${r.first_row}–${r.last_row}×${r.attempts}`).join(', ')}; ` +
      `start-up ${seconds(startedUp - started)} s, job ${seconds(finished - startedUp)} s (${seconds(finished - killedAt)} s after the kill), ${(ROWS / ((finished - startedUp) / 1000)).toFixed(1)} rows/s`);
  });

  it('two replicas racing on the same rows issue each row once', async () => {
    const generated = generateMessyManifest({ dir: path.join(dir, 'race'), rows: 60, seed: 23, richScans: false });
    const raceDb = await openTestDatabase('postgres', { migrate: false });
    const replicas = [await TestVault.start({ env: { DATABASE_URL: raceDb.url! } })];
    replicas.push(await TestVault.start({ env: { DATABASE_URL: raceDb.url! }, dataDir: replicas[0]!.config.dataDir }));
    try {
      const catalogue = LicenceTypeCatalogue.load();
      // Both run every row at once, as two replicas would if a range were handed to both.
      const outcomes = await Promise.all(replicas.map((r) =>
        digitizeRows(
          { licences: r.vault.licences, catalogue, missingGlyphs: (t) => r.vault.documents.missingGlyphs(t) },
          readManifest(generated.manifestPath), scansInDirectory(generated.scansDir), { write: async () => undefined }, { concurrency: 8 },
        )));
      const [one, two] = outcomes.map((o) => o.counts);
      expect(one!.issued + two!.issued, 'each row issued by one of them').to.equal(generated.expected.issued);
      expect(one!.alreadyDone + two!.alreadyDone, 'and found done by the other').to.equal(generated.expected.issued);
      const perKey = await raceDb.db.raw('select idempotency_key, count(*) as n from licences where provenance is not null group by 1');
      expect(perKey.rows.length).to.equal(generated.expected.issued);
      expect(perKey.rows.filter((r: { n: string }) => Number(r.n) !== 1)).to.deep.equal([]);
      expect(await assertLicenceLogConsistent(raceDb.db, replicas[0]!.config.transparency.logOrigin)).to.deep.include({ licences: generated.expected.issued });
    } finally {
      for (const r of replicas) await r.stop();
      await raceDb.dispose();
    }
  });
});
