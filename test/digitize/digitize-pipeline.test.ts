/**
 * Digitization end to end: a generated messy manifest (UTF-8 with BOM, and GB18030 without BOM) through
 * the real pipeline and LicenceService, with exact counts; re-runs issue nothing twice; a digitized PDF
 * passes the independent signature checks and its scans' hashes are in the log leaf.
 */
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { digitize } from '../../src/digitize/digitize-pipeline.ts';
import type { DigitizeSummary } from '../../src/digitize/digitize-pipeline.ts';
import { LicenceTypeCatalogue } from '../../src/catalogue/catalogue.ts';
import { extractSignature } from '../../src/pdf/pades.ts';
import { TestVault } from '../support/test-vault.ts';
import { generateMessyManifest } from './messy-manifest-generator.ts';
import type { GeneratedManifest } from './messy-manifest-generator.ts';

describe('digitization pipeline', function () {
  this.timeout(180_000);
  let vault: TestVault;
  let dir: string;
  const catalogue = LicenceTypeCatalogue.load();

  before(async () => {
    vault = await TestVault.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-digitize-'));
  });
  after(async () => {
    await vault?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (generated: GeneratedManifest, extra: Partial<Parameters<typeof digitize>[1]> = {}, on: TestVault = vault) =>
    digitize(
      { licences: on.vault.licences, catalogue, missingGlyphs: (t) => on.vault.documents.missingGlyphs(t) },
      { manifest: generated.manifestPath, scansDir: generated.scansDir, errorReport: `${generated.manifestPath}.errors.csv`, ...extra },
    );

  const expectCounts = (summary: DigitizeSummary, generated: GeneratedManifest) => {
    const { expected } = generated;
    expect(summary.rows).to.equal(expected.totalRows);
    expect(summary.issued + summary.alreadyDone).to.equal(expected.issued);
    expect(summary.duplicatesInManifest).to.equal(expected.duplicates);
    expect(summary.conflicts).to.equal(expected.conflicts);
    const { CONFLICT, ...rejected } = summary.rejected;
    expect(CONFLICT ?? 0).to.equal(expected.conflicts);
    expect(rejected).to.deep.equal(expected.rejected);
  };

  let first: GeneratedManifest;

  it('issues exactly the good rows of a messy UTF-8 manifest and reports every bad one by reason', async () => {
    first = generateMessyManifest({ dir: path.join(dir, 'utf8'), rows: 240, seed: 11 });
    const summary = await run(first);
    expectCounts(summary, first);
    expect(summary.issued).to.equal(first.expected.issued);
    expect(first.expected.traits['id-15-digit']).to.be.greaterThan(0);
    expect(first.expected.traits['non-bmp-name']).to.be.greaterThan(0);
    // the error report names the row number, field and reason of every rejected row
    const report = fs.readFileSync(summary.errorReport, 'utf8');
    for (const [rowNumber, code] of first.rejectedRows) expect(report, `row ${rowNumber}`).to.match(new RegExp(`^${rowNumber},.*,${code},`, 'm'));
    const rows = await vault.vault.db('licences').whereNotNull('provenance');
    expect(rows).to.have.length(first.expected.issued);
  });

  it('re-running the same manifest issues nothing again and reports the rows as already done', async () => {
    const summary = await run(first);
    expect(summary.issued).to.equal(0);
    expect(summary.alreadyDone).to.equal(first.expected.issued);
    expect(await vault.vault.db('licences').whereNotNull('provenance')).to.have.length(first.expected.issued);
  });

  it('reports a changed row for an already digitized record as a conflict and does not re-issue it', async () => {
    const jsonl = generateMessyManifest({ dir: path.join(dir, 'changed'), rows: 240, seed: 11, format: 'jsonl' });
    const lines = fs.readFileSync(jsonl.manifestPath, 'utf8').split('\n').filter(Boolean);
    const changed = lines.map((line) => {
      try {
        const row = JSON.parse(line);
        if (typeof row.archive_location === 'string' && row.archive_location.trim()) row.archive_location = `${row.archive_location} (moved)`;
        return JSON.stringify(row);
      } catch {
        return line; // the generator's deliberately broken lines stay broken
      }
    });
    fs.writeFileSync(jsonl.manifestPath, `${changed.join('\n')}\n`);
    const before = (await vault.vault.db('licences').count({ n: '*' }))[0]!.n;
    const summary = await run({ ...jsonl, scansDir: first.scansDir });
    expect(summary.issued).to.equal(0);
    expect(summary.conflicts).to.equal(first.expected.issued + jsonl.expected.conflicts);
    expect((await vault.vault.db('licences').count({ n: '*' }))[0]!.n).to.equal(before);
  });

  it('reads a GB18030 CSV without BOM (auto-detected) with the same result', async () => {
    const gb = generateMessyManifest({ dir: path.join(dir, 'gb'), rows: 120, seed: 23, encoding: 'gb18030' });
    expect(fs.readFileSync(gb.manifestPath).subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).to.equal(false);
    // Its own vault: generated manifests reuse source record ids, which would (rightly) be conflicts here.
    const fresh = await TestVault.start();
    try {
      expectCounts(await run(gb, {}, fresh), gb);
    } finally {
      await fresh.stop();
    }
  });

  it('a dry run classifies rows without issuing anything', async () => {
    const dry = generateMessyManifest({ dir: path.join(dir, 'dry'), rows: 60, seed: 31 });
    const before = (await vault.vault.db('licences').count({ n: '*' }))[0]!.n;
    const summary = await run(dry, { dryRun: true });
    expect(summary.issued).to.equal(0);
    expect((await vault.vault.db('licences').count({ n: '*' }))[0]!.n).to.equal(before);
    expect(summary.rejected).to.deep.include(dry.expected.rejected);
  });

  it('a digitized PDF passes pdfsig and openssl, embeds its scans, and its scan hashes are in the log leaf', async () => {
    const row = await vault.vault.db('licences').whereNotNull('provenance').orderBy('issued_at').first();
    const pdf = await vault.vault.objects.get(row.document_key);
    const file = path.join(dir, 'digitized.pdf');
    fs.writeFileSync(file, pdf!);
    const pdfsig = spawnSync('pdfsig', [file], { encoding: 'utf8' });
    expect(pdfsig.stdout).to.include('Signature is Valid.');
    expect(pdfsig.stdout).to.include('Total document signed');
    const { cmsDer, signedBytes } = extractSignature(pdf!);
    fs.writeFileSync(path.join(dir, 'd.der'), cmsDer);
    fs.writeFileSync(path.join(dir, 'd.bin'), signedBytes);
    const verify = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(dir, 'd.der'), '-content', path.join(dir, 'd.bin'), '-CAfile', vault.issuerCaPath, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).to.equal(0);
    const leaf = JSON.parse((await vault.vault.db('log_leaves').where({ subject: row.id }).first()).leaf_data);
    expect(leaf.digitizedFromPaper).to.include({ kind: 'digitized-from-paper', sourceSystem: row.provenance.sourceSystem });
    // The scans are in the leaf by hash, in the record's order; their file names (and the clerk, the original
    // ID) only as salted commitments.
    const scans = leaf.digitizedFromPaper.scans as Array<{ sha256: string; mediaType: string }>;
    expect(scans).to.have.length(row.provenance.scans.length);
    row.provenance.scans.forEach((scan: { fileName: string }, i: number) => {
      const bytes = fs.readFileSync(path.join(first.scansDir, scan.fileName));
      expect(crypto.createHash('sha256').update(bytes).digest('hex')).to.equal(scans[i]!.sha256);
    });
    expect(leaf.digitizedFromPaper).to.not.have.property('reviewingClerk');
    expect(leaf.digitizedFromPaper.commitments).to.have.keys('holderIdOriginal', 'aliases', 'reviewingClerk', 'sourceRecordId', 'scanFileNames');
    const pages = Number(/Pages:\s+(\d+)/.exec(spawnSync('pdfinfo', [file], { encoding: 'utf8' }).stdout)![1]);
    expect(pages).to.be.greaterThan(1); // the licence page and at least one scan page (or an attached PDF scan)
    const text = spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' }).stdout;
    expect(text).to.include(row.holder_name);
  });
});
