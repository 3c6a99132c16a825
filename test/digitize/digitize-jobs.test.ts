/** Digitization as an API batch job: multipart upload of a manifest and a zip of scans, poll, error report. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';
import { zipStore } from '../support/zip.ts';
import { generateMessyManifest } from './messy-manifest-generator.ts';

describe('digitization API jobs', function () {
  this.timeout(120_000);
  let vault: TestVault;
  let market: string;
  let dir: string;

  before(async () => {
    vault = await TestVault.start();
    market = await vault.departmentToken(DEPARTMENTS.market);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-jobs-'));
  });
  after(async () => {
    await vault?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const form = (manifestPath: string, scansDir: string, extra: Record<string, string> = {}) => {
    const data = new FormData();
    data.set('manifest', new Blob([fs.readFileSync(manifestPath)]), path.basename(manifestPath));
    const files = fs.readdirSync(scansDir).map((name) => ({ name, bytes: new Uint8Array(fs.readFileSync(path.join(scansDir, name))) }));
    data.set('scans', new Blob([Buffer.from(zipStore(files))]), 'scans.zip');
    for (const [k, v] of Object.entries(extra)) data.set(k, v);
    return data;
  };

  it('runs an uploaded batch in the background and serves its error report', async () => {
    const generated = generateMessyManifest({ dir: path.join(dir, 'm1'), rows: 80, seed: 41 });
    const submitted = await vault.request('POST', '/digitize/jobs', { token: market, body: form(generated.manifestPath, generated.scansDir) });
    expect(submitted.status, JSON.stringify(submitted.body)).to.equal(202);
    expect(submitted.headers.get('location')).to.equal(`/digitize/jobs/${submitted.body.id}`);
    await vault.vault.digitizeJobs.idle();
    const job = (await vault.request('GET', `/digitize/jobs/${submitted.body.id}`, { token: market })).body;
    expect(job.state, job.error).to.equal('done');
    // The market regulator issues business and food licences; the qualification rows are not its own.
    const ownTypes = ['business-licence', 'food-business-licence'];
    expect(job.summary.rows).to.equal(generated.expected.totalRows);
    expect(job.summary.rejected.WRONG_ISSUER ?? 0).to.be.greaterThan(0);
    const issuedRows = await vault.vault.db('licences').whereNotNull('provenance').whereIn('type_key', ownTypes);
    expect(issuedRows.length).to.equal(job.summary.issued);
    const report = await vault.request('GET', `/digitize/jobs/${submitted.body.id}/errors`, { token: market });
    expect(report.status).to.equal(200);
    const text = Buffer.from(report.bytes).toString('utf8');
    expect(text.startsWith('\uFEFFrow_number,source_system,source_record_id,field,code,reason')).to.equal(true);
    expect(text).to.include('WRONG_ISSUER');
  });

  it('refuses uploads without a token, without the issuer role, or without the files, and keeps none of their files', async () => {
    const generated = generateMessyManifest({ dir: path.join(dir, 'm2'), rows: 5, seed: 43 });
    const jobsDir = path.join(vault.config.dataDir, 'digitize-jobs');
    const uploadsBefore = fs.existsSync(jobsDir) ? fs.readdirSync(jobsDir).length : 0;
    expect((await vault.request('POST', '/digitize/jobs', { body: form(generated.manifestPath, generated.scansDir) })).status).to.equal(401);
    const tax = await vault.departmentToken(DEPARTMENTS.tax);
    expect((await vault.request('POST', '/digitize/jobs', { token: tax, body: form(generated.manifestPath, generated.scansDir) })).status).to.equal(403);
    const onlyManifest = new FormData();
    onlyManifest.set('manifest', new Blob([fs.readFileSync(generated.manifestPath)]), 'm.csv');
    const missing = await vault.request('POST', '/digitize/jobs', { token: market, body: onlyManifest });
    expect(missing.status).to.equal(400);
    expect(missing.body.code).to.equal('UPLOAD_INVALID');
    // A person acting for a company is no issuer either: refused before the body is stored.
    const person = await vault.holderToken(HOLDERS.personA);
    const acting = await vault.request('POST', '/digitize/jobs', { token: person, headers: { 'x-acting-for': HOLDERS.companyA }, body: form(generated.manifestPath, generated.scansDir) });
    expect(acting.status).to.equal(403);
    expect(fs.readdirSync(jobsDir).length, 'refused uploads left files behind').to.equal(uploadsBefore);
    const other = await vault.departmentToken(DEPARTMENTS.hrss);
    const submitted = await vault.request('POST', '/digitize/jobs', { token: market, body: form(generated.manifestPath, generated.scansDir) });
    expect((await vault.request('GET', `/digitize/jobs/${submitted.body.id}`, { token: other })).status).to.equal(404);
    await vault.vault.digitizeJobs.idle();
  });

  it('fails a job whose scans are not a zip, with a reason', async () => {
    const generated = generateMessyManifest({ dir: path.join(dir, 'm3'), rows: 5, seed: 47 });
    const data = new FormData();
    data.set('manifest', new Blob([fs.readFileSync(generated.manifestPath)]), 'm.csv');
    data.set('scans', new Blob([new TextEncoder().encode('not a zip')]), 'scans.zip');
    const submitted = await vault.request('POST', '/digitize/jobs', { token: market, body: data });
    await vault.vault.digitizeJobs.idle();
    const job = (await vault.request('GET', `/digitize/jobs/${submitted.body.id}`, { token: market })).body;
    expect(job.state).to.equal('failed');
    expect(job.error).to.match(/zip/);
  });
});
