/**
 * No personal data in any log leaf, ever: the logs are public and append-only, and cannot forget. A vault
 * on each engine writes every kind of leaf it can (issuance of person and organisation licences,
 * digitization with 15-digit IDs, old registration numbers, clerks and file names, status changes, a
 * renewal, allowed and refused exchange requests), then every leaf of both logs is walked: no value may be
 * a resident ID, a holder's USCC, a name, an original ID, an alias, a clerk or a scan's file name — as a
 * whole value or inside a longer string.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { LicenceTypeCatalogue } from '../../src/catalogue/catalogue.ts';
import { digitize } from '../../src/digitize/digitize-pipeline.ts';
import { checkResidentId } from '../../src/identity/resident-id.ts';
import { checkUscc } from '../../src/identity/uscc.ts';
import { generateMessyManifest } from '../digitize/messy-manifest-generator.ts';
import { openTestDatabase, TEST_ENGINES } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, qualificationRequest, TestVault } from '../support/test-vault.ts';

const FOOD = (holderId: string) => ({
  type: 'food-business-licence',
  holder: { id: holderId, name: '北京𠮷𪚥餐饮管理有限公司' },
  fields: { legalRepresentative: '张𠮷', premises: '北京市朝阳区建国路1号', mainBusinessFormat: '餐饮服务经营者', businessItems: '热食类食品制售', supervisoryAuthority: '建外市场监督管理所' },
});
const HEALTH = (holderId: string) => ({
  type: 'health-certificate',
  holder: { id: holderId, name: '张𠮷' },
  fields: { examinedOn: '2026-03-01', examiningInstitution: '朝阳区疾病预防控制中心', conclusion: '合格' },
});

/** Every string in a JSON value, with where it is. */
function strings(value: unknown, at = '$'): Array<{ at: string; text: string }> {
  if (typeof value === 'string') return [{ at, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [...strings(k, `${at}.<key>`), ...strings(v, `${at}.${k}`)]);
  return [];
}

for (const engine of TEST_ENGINES) {
  describe(`log leaves hold no personal data (${engine})`, function () {
    this.timeout(240_000);
    let t: TestDatabase;
    let vault: TestVault;
    let dir: string;

    before(async function () {
      t = await openTestDatabase(engine);
      vault = await TestVault.start({ overrides: { db: t.db } });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-privacy-'));
    });
    after(async () => {
      await vault?.stop();
      await t?.dispose();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('writes every kind of leaf, and none carries an identifier, a name, an original ID, an alias, a clerk or a file name', async () => {
      const [market, hrss, tax, admin] = (await Promise.all([DEPARTMENTS.market, DEPARTMENTS.hrss, DEPARTMENTS.tax, DEPARTMENTS.admin].map((d) => vault.departmentToken(d)))) as [string, string, string, string];
      const issue = async (token: string, json: unknown) => {
        const res = await vault.request('POST', '/licences', { token, json });
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        return res.body.id as string;
      };
      // Issuance: organisations and persons.
      const business = await issue(market, businessLicenceRequest());
      const food = await issue(market, FOOD(HOLDERS.companyA));
      await issue(hrss, HEALTH(HOLDERS.personA));
      const qualification = await issue(hrss, qualificationRequest(HOLDERS.personA));
      // Digitization: 15-digit IDs, old registration numbers, clerks, scans named by the department.
      const manifest = generateMessyManifest({ dir: path.join(dir, 'manifest'), rows: 40, seed: 17 });
      const summary = await digitize(
        { licences: vault.vault.licences, catalogue: LicenceTypeCatalogue.load(), missingGlyphs: (s) => vault.vault.documents.missingGlyphs(s) },
        { manifest: manifest.manifestPath, scansDir: manifest.scansDir, errorReport: path.join(dir, 'errors.csv') },
      );
      expect(summary.issued).to.be.greaterThan(5);
      // Status changes and a renewal.
      for (const action of ['suspend', 'reinstate', 'revoke']) {
        expect((await vault.request('POST', `/licences/${business}/status-changes`, { token: market, json: { action, reason: `${action}: 张𠮷 asked, ID 11010519491231002X` } })).status).to.equal(200);
      }
      expect((await vault.request('POST', `/licences/${qualification}/renewals`, { token: hrss, json: { reason: 'renewed for 张𠮷' } })).status).to.equal(201);
      // Exchange: one allowed request (legal basis), one refused (no consent).
      const basis = (await vault.request('POST', '/exchange/legal-bases', {
        token: admin,
        json: { requester: DEPARTMENTS.tax, serviceItem: { code: 'TAX-REG-0001', name: '税务登记' }, licenceTypes: ['food-business-licence'], fields: ['premises'], legalReference: '《税收征收管理法》第十五条' },
      })).body;
      const query = (b: unknown) => vault.request('POST', '/exchange/queries', {
        token: tax,
        json: { holderId: HOLDERS.companyA, serviceItem: 'TAX-REG-0001', caseNumber: `case of ${HOLDERS.companyA}`, officialId: '张𠮷', fields: ['premises'], basis: b, query: { kind: 'verify', licenceId: food } },
      });
      expect((await query({ kind: 'legal-basis', legalBasisId: basis.id })).status).to.equal(200);
      expect((await query({ kind: 'consent', consentId: 'cns_missing' })).status).to.equal(403);
      await vault.vault.anchorer.runOnce(true);

      // Everything personal the vault knows about these licences, from its own records.
      const personal = new Set<string>();
      for (const row of await t.db('licences').select('holder_id', 'holder_name', 'provenance')) {
        personal.add(row.holder_id);
        personal.add(row.holder_name);
        const p = typeof row.provenance === 'string' ? JSON.parse(row.provenance) : row.provenance;
        if (!p) continue;
        // (The source record id is committed too, but it is the source system's record number, not a person's:
        // the generated manifest files its archive location under it, which is fine to show.)
        for (const v of [p.holderIdOriginal, p.reviewingClerk, ...Object.values(p.aliases ?? {}), ...p.scans.map((s: { fileName: string }) => s.fileName)]) {
          if (typeof v === 'string' && v.length >= 2) personal.add(v);
        }
      }
      for (const row of await t.db('access_log').select('holder_id', 'official_id', 'case_number')) for (const v of Object.values(row)) personal.add(String(v));
      expect([...personal].some((v) => /^\d{15}$/.test(v)), 'the digitized rows include 15-digit original IDs').to.equal(true);
      const departments = new Set(Object.values(DEPARTMENTS) as string[]);

      const leaves = await t.db('log_leaves').select('origin', 'leaf_index', 'leaf_data');
      const kinds = new Set(leaves.map((l) => JSON.parse(l.leaf_data).kind));
      expect([...kinds].sort()).to.deep.equal(['access', 'licence.issued', 'licence.status']);
      expect(leaves.some((l) => JSON.parse(l.leaf_data).digitizedFromPaper), 'a digitization leaf').to.equal(true);
      expect(leaves.filter((l) => JSON.parse(l.leaf_data).kind === 'access').length).to.be.greaterThanOrEqual(2);

      const findings: string[] = [];
      for (const leaf of leaves) {
        for (const { at, text } of strings(JSON.parse(leaf.leaf_data))) {
          const where = `${leaf.origin}#${leaf.leaf_index} ${at} = ${JSON.stringify(text)}`;
          if (/^[0-9a-f]{64}$/.test(text)) continue; // hashes and commitments
          for (const value of personal) if (text.includes(value)) findings.push(`${where} contains the personal value ${JSON.stringify(value)}`);
          // Anything shaped like an identifier, even one this test did not write down.
          for (const m of text.matchAll(/(?<![0-9A-Z])(\d{17}[\dX]|\d{15})(?![0-9A-Z])/g)) if (checkResidentId(m[1]!).ok) findings.push(`${where} holds a resident ID`);
          for (const m of text.matchAll(/(?<![0-9A-Z])([0-9A-HJ-NPQRTUWXY]{18})(?![0-9A-Z])/g)) {
            if (checkUscc(m[1]!).ok && !departments.has(m[1]!)) findings.push(`${where} holds a holder's USCC`);
          }
        }
      }
      expect(findings).to.deep.equal([]);
    });
  });
}
