/** Digitization as an API batch job: multipart upload of a manifest and a zip of scans, poll, error report. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import { LicenceTypeCatalogue } from '../../src/catalogue/catalogue.ts';
import { DigitizeJobs } from '../../src/digitize/digitize-jobs.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { zipStore } from '../support/zip.ts';
import { expectedOutcome } from './expected-outcome.ts';
import { generateMessyManifest, makeJpeg } from './messy-manifest-generator.ts';

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
    // Uploads are streamed to the object store: a refused one leaves nothing there, nor on the disk.
    const diskBefore = fs.readdirSync(vault.config.dataDir).sort();
    const objectsBefore = (await vault.vault.objects.list('digitize-jobs/')).length;
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
    await new Promise((resolve) => setTimeout(resolve, 100)); // the refused uploads' parts are removed when their answers close
    expect(fs.readdirSync(vault.config.dataDir).sort(), 'refused uploads left files behind').to.deep.equal(diskBefore);
    expect((await vault.vault.objects.list('digitize-jobs/')).length, 'refused uploads left objects behind').to.equal(objectsBefore);
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

describe('digitization API jobs: ranges, hand-over and the century pivot', function () {
  this.timeout(120_000);
  let vault: TestVault;
  let market: string;
  let dir: string;

  before(async () => {
    vault = await TestVault.start();
    market = await vault.departmentToken(DEPARTMENTS.market);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-jobs-ranges-'));
  });
  after(async () => {
    await vault?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const upload = (manifest: string, scans: Array<{ name: string; bytes: Uint8Array }>, extra: Record<string, string> = {}) => {
    const data = new FormData();
    data.set('manifest', new Blob([manifest]), 'manifest.csv');
    data.set('scans', new Blob([Buffer.from(zipStore(scans))]), 'scans.zip');
    for (const [k, v] of Object.entries(extra)) data.set(k, v);
    return data;
  };
  const HEADER = 'source_system,source_record_id,licence_type,holder_id,holder_name,original_issue_date,valid_from,valid_until,field.entityType,field.legalRepresentative,field.registeredCapital,field.establishedOn,field.address,field.businessScope,scans,archive_location,reviewing_clerk';
  const scan = { name: 'p1.jpg', bytes: new Uint8Array(makeJpeg('pivot scan')) };
  const pivotManifest = [HEADER, `GSJ-PIVOT,P1,business-licence,${HOLDERS.companyA},北京建国餐饮管理有限公司,03.12.1,2003-12-01,长期,有限责任公司,张伟,人民币壹佰万元整,98年3月5日,北京市朝阳区建国路1号,餐饮服务,p1.jpg,档案室2号柜,陳志強`].join('\r\n') + '\r\n';

  it('refuses two-digit years without the century pivot, naming the ambiguity and the option', async () => {
    const submitted = await vault.request('POST', '/digitize/jobs', { token: market, body: upload(pivotManifest, [scan]) });
    expect(submitted.status, JSON.stringify(submitted.body)).to.equal(202);
    await vault.vault.digitizeJobs.idle();
    const job = (await vault.request('GET', `/digitize/jobs/${submitted.body.id}`, { token: market })).body;
    expect(job.summary).to.deep.include({ issued: 0, rejectedRows: 1, rejected: { BAD_DATE: 1, FIELD_INVALID: 1 } });
    const report = Buffer.from((await vault.request('GET', `/digitize/jobs/${submitted.body.id}/errors`, { token: market })).bytes).toString('utf8');
    expect(report).to.include('"""03.12.1"" has a two-digit year (03), which could be 1903 or 2003: give the century pivot to read it (--century-pivot <yy> (API: the centuryPivot form field)), or write the year in full"');
    expect(report).to.include('fields.establishedOn');
  });

  it('reads them with the centuryPivot form field and keeps the original text beside the date', async () => {
    expect((await vault.request('POST', '/digitize/jobs', { token: market, body: upload(pivotManifest, [scan], { centuryPivot: '130' }) })).status).to.equal(400);
    const submitted = await vault.request('POST', '/digitize/jobs', { token: market, body: upload(pivotManifest, [scan], { centuryPivot: '30' }) });
    expect(submitted.status, JSON.stringify(submitted.body)).to.equal(202);
    expect(submitted.body.options).to.deep.include({ centuryPivot: 30 });
    await vault.vault.digitizeJobs.idle();
    const job = (await vault.request('GET', `/digitize/jobs/${submitted.body.id}`, { token: market })).body;
    expect(job.summary, JSON.stringify(job)).to.deep.include({ issued: 1, rejectedRows: 0 });
    const licence = await vault.vault.db('licences').whereRaw(`provenance->>'sourceRecordId' = 'P1'`).first();
    expect(licence.provenance.originalIssueDate).to.equal('2003-12-01');
    expect(licence.fields.establishedOn ?? JSON.parse(licence.fields).establishedOn).to.equal('1998-03-05');
    expect(licence.provenance.dateOriginals).to.deep.equal({ original_issue_date: '03.12.1', 'fields.establishedOn': '98年3月5日' });
  });

  it('splits a batch into row ranges; a range whose time is up hands the rest on; counts and report merge', async () => {
    const generated = generateMessyManifest({ dir: path.join(dir, 'ranges'), rows: 150, seed: 53, richScans: false });
    const expected = await expectedOutcome(generated, DEPARTMENTS.market);
    // A replica of its own with 25-row ranges and no time at all: each range stops after its first row and hands the rest on.
    const jobs = new DigitizeJobs({
      db: vault.vault.db, licences: vault.vault.licences, catalogue: LicenceTypeCatalogue.load(), missingGlyphs: (t) => vault.vault.documents.missingGlyphs(t),
      objects: vault.vault.objects, logger: createLogger('silent'), rowsPerTask: 25, leaseSeconds: 0,
    });
    jobs.start();
    try {
      // The upload streamed straight into the object store, as the multipart parser does it.
      const target = jobs.newUpload();
      await pipeline(fs.createReadStream(generated.manifestPath), target.open('manifest.csv'));
      const zip = zipStore(fs.readdirSync(generated.scansDir).map((name) => ({ name, bytes: new Uint8Array(fs.readFileSync(path.join(generated.scansDir, name))) })));
      await pipeline(Readable.from([Buffer.from(zip)]), target.open('scans.zip'));
      const principal = { kind: 'department', code: DEPARTMENTS.market, roles: ['issuer'], tokenId: 't' } as const;
      const submitted = await jobs.submit(principal as never, { id: target.id, manifestName: 'manifest.csv' });
      await jobs.idle();
      const job = await jobs.get(principal as never, submitted.id);
      expect(job.state, job.error ?? '').to.equal('done');
      const ranges = await vault.vault.db('digitize_tasks').where({ job_id: submitted.id }).orderBy('first_row');
      expect(ranges.length, 'one range per row: each handed its rest on').to.equal(150);
      expect(ranges.every((r, i) => i === 0 || r.first_row === ranges[i - 1].last_row + 1), 'ranges tile the manifest').to.equal(true);
      expect(ranges.at(-1).last_row).to.equal(150);
      expect(job.summary).to.deep.include({ rows: 150, duplicatesInManifest: generated.expected.duplicates, conflicts: generated.expected.conflicts });
      expect((job.summary as any).issued + (job.summary as any).alreadyDone).to.equal(expected.issuedKeys.length);
      expect((job.summary as any).rejected).to.deep.equal(expected.rejected);
      const report = parse(Buffer.from(await jobs.errorReport(principal as never, submitted.id)).toString('utf8'), { bom: true, columns: true }) as Array<Record<string, string>>;
      expect(report.length).to.equal(Object.values(expected.rejected).reduce((a, b) => a + b, 0));
      expect(report.map((l) => Number(l.row_number))).to.deep.equal(report.map((l) => Number(l.row_number)).sort((a, b) => a - b));
    } finally {
      await jobs.stop();
    }
  });
});
