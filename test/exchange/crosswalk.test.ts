/**
 * Old identifiers that still find their holder: a licence digitized with a 15-digit resident ID and an old
 * registration number is found by an exchange query with each of the 15-digit ID, the 18-digit ID, the
 * registration number and (for a company) the organisation code its USCC embeds; the answer names the
 * canonical ID and the identifier that matched; the access log records the identifier used. A second
 * holder claiming an identifier is a conflict: reported to the admin, and the identifier then leads to
 * nobody. An issuer adds an identifier with a reason; a holder never sees another holder through one.
 * On PGlite and PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { expect } from 'chai';
import { LicenceTypeCatalogue } from '../../src/catalogue/catalogue.ts';
import { digitize } from '../../src/digitize/digitize-pipeline.ts';
import { openTestDatabase, TEST_ENGINES } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';

const REGISTRATION = '110105000123456';
const ORG_CODE = HOLDERS.companyA.slice(8, 17); // M000100Y4
const PERSON_15 = '110105491231002'; // HOLDERS.personA before 1999

for (const engine of TEST_ENGINES) {
  describe(`crosswalk of holder identifiers (${engine})`, function () {
    this.timeout(120_000);
    let t: TestDatabase;
    let vault: TestVault;
    let dir: string;
    let market: string;
    let hrss: string;
    let tax: string;
    let health: string;
    let admin: string;
    let companyLicence: string;
    let personLicence: string;

    before(async () => {
      t = await openTestDatabase(engine);
      vault = await TestVault.start({ overrides: { db: t.db } });
      [market, hrss, tax, health, admin] = await Promise.all([DEPARTMENTS.market, DEPARTMENTS.hrss, DEPARTMENTS.tax, DEPARTMENTS.health, DEPARTMENTS.admin].map((d) => vault.departmentToken(d))) as [string, string, string, string, string];
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-crosswalk-'));
      const scans = path.join(dir, 'scans');
      fs.mkdirSync(scans);
      const png = await sharp({ create: { width: 60, height: 80, channels: 3, background: '#eeeeee' } }).png().toBuffer();
      for (const name of ['B1.png', 'P1.png', 'B2.png']) fs.writeFileSync(path.join(scans, name), png);
      const rows = [
        { source_system: 'GSJ-1998', source_record_id: 'B1', licence_type: 'business-licence', holder_id: HOLDERS.companyA, holder_name: '北京𠮷𪚥餐饮管理有限公司', original_issue_date: '2003-12-01', valid_from: '2003-12-01', valid_until: '', fields: { entityType: '有限责任公司', legalRepresentative: '张𠮷', registeredCapital: '人民币壹佰万元整', establishedOn: '1998-03-05', address: '北京市朝阳区建国路1号', businessScope: '餐饮服务' }, scans: 'B1.png', archive_location: '档案室2号柜', reviewing_clerk: '陳志強', old_registration_number: REGISTRATION },
        { source_system: 'RSJ-ARCHIVE', source_record_id: 'P1', licence_type: 'professional-qualification', holder_id: PERSON_15, holder_name: '张𠮷', original_issue_date: '1998-03-05', valid_from: '1998-03-05', valid_until: '', fields: { qualificationName: '注册会计师', level: '中级', approvedOn: '1998-03-01', managementNumber: 'GL123456' }, scans: 'P1.png', archive_location: '档案室1号柜', reviewing_clerk: '刘芳' },
        // Another company claims the same old registration number: a conflict, never a guess.
        { source_system: 'GSJ-1998', source_record_id: 'B2', licence_type: 'business-licence', holder_id: HOLDERS.companyB, holder_name: '北京市某某科技有限公司', original_issue_date: '2005-06-01', valid_from: '2005-06-01', valid_until: '', fields: { entityType: '有限责任公司', legalRepresentative: '李四', registeredCapital: '人民币伍拾万元整', establishedOn: '2005-05-20', address: '北京市海淀区中关村大街1号', businessScope: '技术开发' }, scans: 'B2.png', archive_location: '档案室3号柜', reviewing_clerk: '陳志強', old_registration_number: '110105000999999' },
      ];
      fs.writeFileSync(path.join(dir, 'manifest.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
      const summary = await digitize(
        { licences: vault.vault.licences, catalogue: LicenceTypeCatalogue.load(), missingGlyphs: (s) => vault.vault.documents.missingGlyphs(s) },
        { manifest: path.join(dir, 'manifest.jsonl'), scansDir: scans, errorReport: path.join(dir, 'errors.csv') },
      );
      expect(summary.issued, fs.existsSync(path.join(dir, 'errors.csv')) ? fs.readFileSync(path.join(dir, 'errors.csv'), 'utf8') : '').to.equal(3);
      companyLicence = (await t.db('licences').where({ holder_id: HOLDERS.companyA }).first()).id;
      personLicence = (await t.db('licences').where({ holder_id: HOLDERS.personA }).first()).id;
      await vault.vault.anchorer.runOnce(true);
    });
    after(async () => {
      await vault?.stop();
      await t?.dispose();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const query = (token: string, holderId: string, body: Record<string, unknown>) => vault.request('POST', '/exchange/queries', {
      token, json: { holderId, serviceItem: '11110105000010030Y-0001', caseNumber: 'C-1', officialId: 'official-1', fields: [], ...body },
    });

    it('finds a company by its USCC, its old registration number and the organisation code in its USCC', async () => {
      for (const [identifier, kind] of [[HOLDERS.companyA, 'uscc'], [REGISTRATION, 'registration-number'], [ORG_CODE, 'organisation-code'], [`${ORG_CODE.slice(0, 8)}-${ORG_CODE.slice(8)}`, 'organisation-code']]) {
        const res = await query(tax, identifier!, { basis: { kind: 'unconditional' }, query: { kind: 'list', licenceType: 'business-licence' } });
        expect(res.status, `${identifier}: ${JSON.stringify(res.body)}`).to.equal(200);
        expect(res.body.holder).to.deep.equal({ id: HOLDERS.companyA, matchedBy: { identifier: identifier!.replace('-', ''), kind } });
        expect(res.body.results.map((r: { licenceId: string }) => r.licenceId)).to.deep.equal([companyLicence]);
      }
      const records = (await vault.request('GET', `/exchange/access-log?holderId=${HOLDERS.companyA}`, { token: admin })).body.items as Array<{ identifierUsed?: string }>;
      expect(records.map((r) => r.identifierUsed ?? null).sort()).to.deep.equal([null, ORG_CODE, ORG_CODE, REGISTRATION].sort());
    });

    it('finds a person by the 15-digit resident ID of the paper record and by the 18-digit one', async () => {
      const basis = (await vault.request('POST', '/exchange/legal-bases', { token: admin, json: { requester: DEPARTMENTS.health, serviceItem: { code: '11110105000010065H-0002', name: '医疗机构执业人员备案' }, licenceTypes: ['professional-qualification'], fields: ['qualificationName'], legalReference: '《执业医师法》' } })).body;
      for (const [identifier, kind] of [[PERSON_15, 'resident-id-15'], [HOLDERS.personA, 'resident-id']]) {
        const res = await query(health, identifier!, { serviceItem: '11110105000010065H-0002', basis: { kind: 'legal-basis', legalBasisId: basis.id }, query: { kind: 'verify', licenceId: personLicence }, fields: ['qualificationName'] });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.holder).to.deep.equal({ id: HOLDERS.personA, matchedBy: { identifier, kind } });
        expect(res.body.results[0].disclosedFields.map((f: { name: string }) => f.name)).to.deep.equal(['qualificationName']);
      }
      const ids = ((await vault.request('GET', '/exchange/access-log', { token: admin })).body.items as Array<{ holderId: string; identifierUsed?: string }>).filter((r) => r.holderId === HOLDERS.personA);
      expect(ids.some((r) => r.identifierUsed === PERSON_15)).to.equal(true);
    });

    it('reports an identifier claimed for two holders to the admin, and then leads to neither', async () => {
      // The second company tries to take the first one's registration number (an issuer adds it, with a reason).
      const taken = await vault.request('POST', `/holders/${HOLDERS.companyB}/identifiers`, { token: market, json: { identifier: REGISTRATION, kind: 'registration-number', reason: '2005年档案所载注册号' } });
      expect(taken.status).to.equal(409);
      expect(taken.body.code).to.equal('IDENTIFIER_CONFLICT');
      const conflicts = (await vault.request('GET', '/identifier-conflicts', { token: admin })).body.items as Array<Record<string, unknown>>;
      expect(conflicts.some((c) => c.identifier === REGISTRATION && c.claimedHolderId === HOLDERS.companyB && c.existingHolderId === HOLDERS.companyA && c.source === 'issuer')).to.equal(true);
      const ambiguous = await query(tax, REGISTRATION, { basis: { kind: 'unconditional' }, query: { kind: 'list', licenceType: 'business-licence' } });
      expect(ambiguous.status).to.equal(409);
      expect(ambiguous.body.code).to.equal('IDENTIFIER_AMBIGUOUS');
      expect((await vault.request('GET', '/identifier-conflicts', { token: tax })).status).to.equal(403);
    });

    it('lets an issuer add an identifier with a reason, logged, and find licences by it; others cannot', async () => {
      const added = await vault.request('POST', `/holders/${HOLDERS.companyB}/identifiers`, { token: market, json: { identifier: '110105000555555', kind: 'registration-number', reason: '2008年换照前的注册号' } });
      expect(added.status, JSON.stringify(added.body)).to.equal(201);
      expect(added.body).to.include({ holderId: HOLDERS.companyB, addedBy: DEPARTMENTS.market, reason: '2008年换照前的注册号', source: 'issuer' });
      const listed = (await vault.request('GET', `/licences?holderId=110105000555555`, { token: market })).body.items as Array<{ holder: { id: string } }>;
      expect(listed.length).to.be.greaterThan(0);
      expect(listed.every((l) => l.holder.id === HOLDERS.companyB)).to.equal(true);
      // An issuer that never issued to the holder, a requester, another holder: not theirs to add or see.
      expect((await vault.request('POST', `/holders/${HOLDERS.companyB}/identifiers`, { token: hrss, json: { identifier: '110105000666666', kind: 'registration-number', reason: 'x' } })).status).to.equal(404);
      expect((await vault.request('POST', `/holders/${HOLDERS.companyB}/identifiers`, { token: tax, json: { identifier: '110105000666666', kind: 'registration-number', reason: 'x' } })).status).to.equal(403);
      expect((await vault.request('POST', `/holders/${HOLDERS.companyB}/identifiers`, { token: market, json: { identifier: 'X1234567-1', kind: 'organisation-code', reason: 'x' } })).status).to.equal(400);
      const companyA = await vault.holderToken(HOLDERS.companyA);
      expect((await vault.request('GET', `/holders/${HOLDERS.companyB}/identifiers`, { token: companyA })).status).to.equal(404);
      expect((await vault.request('GET', `/holders/${HOLDERS.companyA}/identifiers`, { token: companyA })).body.items.map((a: { identifier: string }) => a.identifier).sort()).to.deep.equal([ORG_CODE, REGISTRATION].sort());
      // A holder's own list never shows another holder through an alias.
      const mine = (await vault.request('GET', '/licences?holderId=110105000555555', { token: companyA })).body.items as Array<{ holder: { id: string } }>;
      expect(mine.every((l) => l.holder.id === HOLDERS.companyA)).to.equal(true);
    });
  });
}
