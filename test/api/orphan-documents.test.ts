/**
 * Orphaned licence PDFs (stored, then the database write failed): the sweep deletes only unreferenced
 * documents older than the grace period, keeps everything a licence points at, keys it does not know and
 * a document a row came to point at while it was looking; the `gc-documents` command does the same from
 * the command line.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { sweepOrphanDocuments } from '../../src/licences/orphan-documents.ts';
import type { ObjectStore } from '../../src/storage/object-store.ts';
import { runCli } from '../support/cli.ts';
import { businessLicenceRequest, DEPARTMENTS, TestVault } from '../support/test-vault.ts';

const DAY = 24 * 3600_000;
const inTwoDays = () => new Date(Date.now() + 2 * DAY);

describe('orphaned licence documents', function () {
  this.timeout(120_000);
  let dataDir: string;
  let vault: TestVault;
  let issued: Array<{ id: string; sha256: string }>;

  const orphanKey = () => `licences/sha256/${crypto.randomBytes(32).toString('hex')}.pdf`;
  const put = (key: string) => vault.vault.objects.put(key, new TextEncoder().encode('%PDF-1.7 orphan'), 'application/pdf');

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-orphans-'));
    vault = await TestVault.start({ dataDir });
    const market = await vault.departmentToken(DEPARTMENTS.market);
    issued = [];
    for (let i = 0; i < 3; i++) {
      const res = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
      issued.push({ id: res.body.id, sha256: res.body.document.sha256 });
    }
  });
  after(async () => {
    await vault?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports old unreferenced documents in a dry run and deletes nothing', async () => {
    const orphan = orphanKey();
    await put(orphan);
    const report = await sweepOrphanDocuments({ db: vault.vault.db, objects: vault.vault.objects }, { graceMs: DAY, dryRun: true, now: inTwoDays });
    expect(report).to.deep.include({ referenced: issued.length, tooYoung: 0, unrecognised: 0, deleted: 0 });
    expect(report.orphans).to.deep.equal([orphan]);
    expect(await vault.vault.objects.stat(orphan)).to.not.equal(null);
    await vault.vault.objects.delete(orphan);
  });

  it('deletes them for real, keeping every referenced document, young ones and keys it does not know', async () => {
    const [old, young] = [orphanKey(), orphanKey()];
    await put(old);
    await put(young);
    const unknown = 'licences/sha256/notes.txt';
    await put(unknown);
    const stores = vault.vault.objects;
    // `young` was written just now; `old` is made two days old by asking about it two days from now.
    const aged: ObjectStore = { ...stores, list: (p) => stores.list(p), delete: (k) => stores.delete(k), stat: async (k) => {
      const info = await stores.stat(k);
      return info && k === old ? { ...info, modifiedAt: new Date(Date.now() - 2 * DAY).toISOString() } : info;
    } };
    const report = await sweepOrphanDocuments({ db: vault.vault.db, objects: aged }, { graceMs: DAY, dryRun: false });
    expect(report).to.deep.include({ referenced: issued.length, tooYoung: 1, unrecognised: 1, deleted: 1, orphans: [old] });
    expect(await stores.stat(old)).to.equal(null);
    expect(await stores.stat(young)).to.not.equal(null);
    expect(await stores.stat(unknown)).to.not.equal(null);
    const holderToken = await vault.holderToken(businessLicenceRequest().holder.id);
    for (const { id } of issued) expect((await vault.request('GET', `/licences/${id}/document`, { token: holderToken })).status).to.equal(200);
    await stores.delete(young);
    await stores.delete(unknown);
  });

  it('keeps a document that a licence row came to point at while the sweep was looking', async () => {
    const late = orphanKey();
    await put(late);
    const sha256 = /([0-9a-f]{64})/.exec(late)![1]!;
    const stores = vault.vault.objects;
    // Between the first look and the deletion, a licence row commits pointing at the object.
    const racing: ObjectStore = { ...stores, list: (p) => stores.list(p), delete: (k) => stores.delete(k), stat: async (k) => {
      if (k === late) await vault.vault.db('licences').where({ id: issued[0]!.id }).update({ document_sha256: sha256 });
      return stores.stat(k);
    } };
    try {
      const report = await sweepOrphanDocuments({ db: vault.vault.db, objects: racing }, { graceMs: DAY, dryRun: false, now: inTwoDays });
      expect(report.orphans).to.not.include(late);
      expect(await stores.stat(late)).to.not.equal(null);
    } finally {
      await vault.vault.db('licences').where({ id: issued[0]!.id }).update({ document_sha256: issued[0]!.sha256 });
      await stores.delete(late);
    }
  });

  it('gc-documents does it from the command line, on the data the service left', async () => {
    const orphan = orphanKey();
    await put(orphan);
    await vault.stop(); // embedded PGlite: one process at a time on a data directory
    const run = (...args: string[]) => runCli(['gc-documents', ...args], { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const young = await run('--dry-run');
    expect(young.status, young.stderr).to.equal(0);
    expect(young.stdout).to.match(/3 referenced, 1 unreferenced but younger than 24 h \(kept\).*0 orphaned/);
    const refused = await run('--older-than-hours', '0');
    expect(refused.status).to.equal(2);
    expect(refused.stderr).to.match(/--older-than-hours must be a number of hours ≥ 1/);
    vault = await TestVault.start({ dataDir });
    expect(await vault.vault.objects.stat(orphan)).to.not.equal(null);
  });
});
