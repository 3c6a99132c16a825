/**
 * Corrections a holder asks for: the holder names the misread fields (or name), says why and attaches a
 * scan; the issuing department sees its queue and approves (the next version is issued with the corrected
 * values, verifies, and the old one is superseded by correction with the successor on its card) or rejects
 * with a reason; requests past the department's own deadline are listed as overdue and counted in /metrics.
 * Nobody corrects another's licence, and no department decides on one it did not issue. Both engines.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { openTestDatabase, TEST_ENGINES } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { DEPARTMENTS, HOLDERS, TestVault, qualificationRequest } from '../support/test-vault.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

for (const engine of TEST_ENGINES) {
  describe(`licence corrections (${engine})`, function () {
    this.timeout(120_000);
    let t: TestDatabase;
    let vault: TestVault;
    let clock: Date;
    let hrss: string;
    let market: string;
    let audit: string;
    let personA: string;
    let personB: string;

    before(async () => {
      t = await openTestDatabase(engine);
      clock = new Date();
      vault = await TestVault.start({ overrides: { db: t.db, now: () => clock } });
      [hrss, market, audit] = await Promise.all([vault.departmentToken(DEPARTMENTS.hrss), vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.audit)]);
      [personA, personB] = await Promise.all([vault.holderToken(HOLDERS.personA), vault.holderToken(HOLDERS.personB)]);
    });
    after(async () => {
      await vault?.stop();
      await t?.dispose();
    });

    async function issue(name = '张吉'): Promise<{ id: string; verificationCode: string }> {
      const res = await vault.request('POST', '/licences', { token: hrss, json: qualificationRequest(HOLDERS.personA, name) });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body;
    }
    const ask = (token: string, licenceId: string, body: Record<string, unknown>) => vault.request('POST', `/me/licences/${licenceId}/corrections`, { token, json: body });

    it('corrects a misread name: request with evidence, approval, a new version that verifies, the old one superseded by correction', async () => {
      const licence = await issue('张吉');
      const asked = await ask(personA, licence.id, { fields: { holderName: '张𠮷', level: '高级' }, reason: '数字化时姓名识别错误，原件为“张𠮷”。', evidence: { fileName: '原件.png', contentBase64: PNG.toString('base64') } });
      expect(asked.status, JSON.stringify(asked.body)).to.equal(201);
      expect(asked.body).to.include({ status: 'pending', licenceId: licence.id, issuer: DEPARTMENTS.hrss, overdue: false });
      expect(asked.body.evidence).to.include({ mediaType: 'image/png', size: PNG.length });
      expect(asked.headers.get('location')).to.equal(`/corrections/${asked.body.id}`);
      const days = (Date.parse(asked.body.deadline) - clock.getTime()) / 86400_000;
      expect(days).to.be.closeTo(15, 0.01);

      // The department's queue has it; its evidence is the uploaded file, as a download.
      const queue = await vault.request('GET', '/corrections?status=pending', { token: hrss });
      expect(queue.body.items.map((c: { id: string }) => c.id)).to.include(asked.body.id);
      const evidence = await vault.request('GET', `/corrections/${asked.body.id}/evidence`, { token: hrss });
      expect(evidence.status).to.equal(200);
      expect(Buffer.from(evidence.bytes).equals(PNG)).to.equal(true);
      expect(evidence.headers.get('content-disposition')).to.match(/^attachment/);
      // A second request while one waits is refused.
      expect((await ask(personA, licence.id, { fields: { level: '初级' }, reason: 'x' })).body.code).to.equal('CORRECTION_PENDING');

      const approved = await vault.request('POST', `/corrections/${asked.body.id}/approval`, { token: hrss, json: { reason: '经核对档案原件，姓名应为“张𠮷”。' } });
      expect(approved.status, JSON.stringify(approved.body)).to.equal(201);
      const next = approved.body.licence;
      expect(approved.body.correction).to.include({ status: 'approved', successorId: next.id });
      expect(next).to.include({ previousId: licence.id, version: 2, status: 'active' });
      expect(next.holder.name).to.equal('张𠮷');
      expect(next.fields.level).to.equal('高级');
      expect(next.fields.qualificationName).to.equal('注册会计师');

      // The old version: superseded, by correction, with the request's id in its history; its card names the successor.
      const history = await vault.request('GET', `/licences/${licence.id}/history`, { token: personA });
      const last = history.body.items.at(-1);
      expect(last).to.include({ action: 'correct', toStatus: 'superseded' });
      expect(last.reason).to.contain(asked.body.id);
      const oldCard = await vault.request('POST', '/verify/licence-card', { json: { licenceId: licence.id, code: licence.verificationCode } });
      expect(oldCard.body.verdict).to.include({ verdict: 'superseded', acceptable: false });
      expect(oldCard.body.successor).to.deep.equal({ licenceId: next.id });
      const newCard = await vault.request('POST', '/verify/licence-card', { json: { licenceId: next.id, code: approved.body.verificationCode } });
      expect(newCard.body.verdict.verdict).to.equal('valid');

      // The corrected PDF verifies as the vault's own document, once anchored.
      await vault.vault.anchorer.runOnce(true);
      const pdf = await vault.request('GET', `/licences/${next.id}/document`, { token: personA });
      const verified = await vault.request('POST', '/verify', { json: { pdf: Buffer.from(pdf.bytes).toString('base64') } });
      expect(verified.status, JSON.stringify(verified.body)).to.equal(200);
      expect(verified.body.licenceId).to.equal(next.id);
      expect(verified.body.verdict.verdict).to.equal('valid');

      // The log and the ledger commit to the request's id only, never to the department's words (which quote the name).
      const leaves = (await t.db('log_leaves').where({ subject: licence.id }).orWhere({ subject: next.id }).select('leaf_data')).map((r: { leaf_data: string }) => r.leaf_data);
      expect(leaves.join('\n')).to.not.contain('𠮷');
      const statusLeaf = JSON.parse(leaves.find((l: string) => l.includes('"licence.status"'))!);
      expect(statusLeaf).to.include({ action: 'correct', status: 'superseded', reasonSha256: crypto.createHash('sha256').update(`correction ${asked.body.id}`).digest('hex') });

      // The holder sees the decision; a decided request is not decided again.
      const mine = await vault.request('GET', '/me/corrections', { token: personA });
      expect(mine.body.items[0]).to.include({ id: asked.body.id, status: 'approved', successorId: next.id });
      expect((await vault.request('POST', `/corrections/${asked.body.id}/rejection`, { token: hrss, json: { reason: 'late' } })).status).to.equal(409);
    });

    it('rejects with a reason, and the licence stays as it was', async () => {
      const licence = await issue();
      const asked = await ask(personA, licence.id, { fields: { approvedOn: '2019-09-02' }, reason: '批准日期有误' });
      expect(asked.status, JSON.stringify(asked.body)).to.equal(201);
      const noReason = await vault.request('POST', `/corrections/${asked.body.id}/rejection`, { token: hrss, json: { reason: '  ' } });
      expect(noReason.status).to.equal(400);
      const rejected = await vault.request('POST', `/corrections/${asked.body.id}/rejection`, { token: hrss, json: { reason: '档案原件记载与证书一致' } });
      expect(rejected.status).to.equal(200);
      expect(rejected.body).to.include({ status: 'rejected', decisionReason: '档案原件记载与证书一致', successorId: null });
      const after = await vault.request('GET', `/licences/${licence.id}`, { token: personA });
      expect(after.body).to.include({ status: 'active', version: 1 });
      expect(after.body.fields.approvedOn).to.equal('2019-09-01');
    });

    it('refuses requests that could never be approved, with the field named', async () => {
      const licence = await issue();
      const unknown = await ask(personA, licence.id, { fields: { favouriteColour: '红' }, reason: 'x' });
      expect(unknown.status).to.equal(400);
      expect(unknown.body.errors).to.deep.include({ field: 'fields.favouriteColour', message: 'is not a field of this licence' });
      const same = await ask(personA, licence.id, { fields: { level: '中级' }, reason: 'x' });
      expect(same.body.errors).to.deep.include({ field: 'fields.level', message: 'is already this value' });
      const badDate = await ask(personA, licence.id, { fields: { approvedOn: '2019-13-45' }, reason: 'x' });
      expect(badDate.status).to.equal(400);
      const notAnImage = await ask(personA, licence.id, { fields: { level: '高级' }, reason: 'x', evidence: { fileName: 'a.exe', contentBase64: Buffer.from('MZ\x90\x00').toString('base64') } });
      expect(notAnImage.status).to.equal(400);
      expect(notAnImage.body.code).to.equal('EVIDENCE_INVALID');
      expect((await vault.request('GET', '/me/corrections', { token: personA })).body.items.filter((c: { licenceId: string }) => c.licenceId === licence.id)).to.have.length(0);
    });

    it('lets nobody correct another holder\'s licence, and no department decide on one it did not issue', async () => {
      const licence = await issue();
      const byOther = await ask(personB, licence.id, { fields: { level: '高级' }, reason: '想改' });
      expect(byOther.status).to.equal(404);
      const byDepartment = await ask(hrss, licence.id, { fields: { level: '高级' }, reason: 'x' });
      expect(byDepartment.status).to.equal(403);
      const asked = await ask(personA, licence.id, { fields: { level: '高级' }, reason: '等级有误' });
      expect(asked.status).to.equal(201);
      for (const [method, p, body] of [['GET', `/corrections/${asked.body.id}`, undefined], ['POST', `/corrections/${asked.body.id}/approval`, { reason: 'x' }], ['POST', `/corrections/${asked.body.id}/rejection`, { reason: 'x' }]] as const) {
        const res = await vault.request(method, p, { token: market, json: body });
        expect(res.status, `${method} ${p}`).to.equal(404);
      }
      expect((await vault.request('GET', `/corrections/${asked.body.id}`, { token: personB })).status).to.equal(404);
      expect((await vault.request('POST', `/corrections/${asked.body.id}/approval`, { token: personA, json: { reason: 'x' } })).status).to.equal(403);
      expect((await vault.request('GET', '/corrections', { token: market })).body.items.map((c: { id: string }) => c.id)).to.not.include(asked.body.id);
      expect((await vault.request('GET', '/corrections', { token: personA })).status).to.equal(403);
      expect((await vault.request('GET', `/corrections/${asked.body.id}`)).status).to.equal(401);
    });

    it('lists requests past the department\'s own deadline as overdue, for the department and auditors, and counts them in /metrics', async () => {
      const set = await vault.request('PUT', '/corrections/settings', { token: hrss, json: { deadlineDays: 3 } });
      expect(set.body).to.deep.equal({ deadlineDays: 3 });
      expect((await vault.request('PUT', '/corrections/settings', { token: hrss, json: { deadlineDays: 0 } })).status).to.equal(400);
      expect((await vault.request('PUT', '/corrections/settings', { token: personA, json: { deadlineDays: 5 } })).status).to.equal(403);
      const licence = await issue();
      const asked = await ask(personA, licence.id, { fields: { level: '高级' }, reason: '等级有误' });
      expect((Date.parse(asked.body.deadline) - clock.getTime()) / 86400_000).to.be.closeTo(3, 0.01);
      const started = clock;
      try {
        clock = new Date(started.getTime() + 4 * 86400_000);
        const overdue = await vault.request('GET', '/corrections?overdue=true', { token: audit });
        expect(overdue.status).to.equal(200);
        const mine = overdue.body.items.find((c: { id: string }) => c.id === asked.body.id);
        expect(mine).to.include({ overdue: true, status: 'pending' });
        expect((await vault.request('GET', '/corrections?overdue=true', { token: hrss })).body.items.map((c: { id: string }) => c.id)).to.include(asked.body.id);
        const metrics = await (await fetch(`${vault.baseUrl}/metrics`)).text();
        const line = metrics.split('\n').find((l) => l.startsWith(`corrections_overdue{issuer="${DEPARTMENTS.hrss}"}`));
        expect(line, metrics.split('\n').filter((l) => l.startsWith('corrections')).join('\n')).to.match(/ [1-9]\d*$/);
      } finally {
        clock = started;
        await vault.request('PUT', '/corrections/settings', { token: hrss, json: { deadlineDays: 15 } });
      }
    });
  });
}
