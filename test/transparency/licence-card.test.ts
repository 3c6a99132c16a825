/**
 * The public licence card behind a QR code: released for the licence's verification code or the SHA-256 of
 * its PDF, never for the number alone; an unknown number and a wrong code get the same answer; one headline
 * decided by the worst fact (valid, revoked with its date, suspended, expired, superseded with its
 * successor, could not check while the ledger is down); the holder masked.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { EmbeddedLedger } from '../../src/ledger/embedded-ledger.ts';
import { openTestDatabase } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { SwitchableLedger } from '../support/switchable-ledger.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';

describe('public licence card (QR landing)', function () {
  this.timeout(90_000);
  let t: TestDatabase;
  let ledger: SwitchableLedger;
  let vault: TestVault;
  let market: string;
  let hrss: string;

  before(async () => {
    t = await openTestDatabase('pglite');
    ledger = new SwitchableLedger(new EmbeddedLedger(t.db, crypto.randomBytes(32)));
    vault = await TestVault.start({ overrides: { db: t.db, ledger } });
    [market, hrss] = await Promise.all([vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.hrss)]);
  });
  after(async () => {
    await vault?.stop();
    await t?.dispose();
  });

  const issue = async (token = market, json: unknown = businessLicenceRequest()) => {
    const res = await vault.request('POST', '/licences', { token, json });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.verificationCode).to.match(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    return res.body as { id: string; verificationCode: string; document: { sha256: string } };
  };
  const card = (licenceId: string, code: string) => vault.request('POST', '/verify/licence-card', { json: { licenceId, code } });

  it('shows a valid licence as a card with a masked holder, the issuer by name and one headline', async () => {
    const licence = await issue();
    await vault.vault.anchorer.runOnce(true);
    const res = await card(licence.id, licence.verificationCode);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.include({ licenceId: licence.id, validUntil: res.body.validUntil, successor: null, documentSha256: licence.document.sha256 });
    expect(res.body.holder).to.deep.equal({ kind: 'organisation', name: '北京𠮷**有限公司', id: `${HOLDERS.companyA.slice(0, 4)}**********${HOLDERS.companyA.slice(-4)}` });
    expect(res.body.issuer).to.deep.include({ code: DEPARTMENTS.market, nameZh: '朝阳区市场监督管理局' });
    expect(res.body.type).to.deep.include({ key: 'business-licence', nameZh: '营业执照' });
    expect(res.body.status).to.deep.include({ value: 'active', since: null, ledger: 'confirmed' });
    expect(res.body.verdict).to.deep.equal({ verdict: 'valid', acceptable: true, because: ['ALL_CHECKS_PASSED'] });
    expect(res.body.receipt.licenceId).to.equal(licence.id);
    // The code as people type it: lower case, without dashes, O for 0 and I for 1 (Crockford).
    const typed = licence.verificationCode.toLowerCase().replace(/-/g, ' ');
    expect((await card(licence.id, typed)).status).to.equal(200);
    // By the PDF's hash, for a verifier holding the file.
    const byDocument = await vault.request('GET', `/verify/documents/${licence.document.sha256}`);
    expect(byDocument.status).to.equal(200);
    expect(byDocument.body.licenceId).to.equal(licence.id);
  });

  it('answers an unknown number, a wrong code and an unknown document alike: 404 LICENCE_NOT_FOUND, nothing else', async () => {
    const licence = await issue();
    const made = (await card(licence.id, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ')).body;
    const other = licence.id.replace(/\.(\d{10})\./, (_m, serial: string) => `.${String(Number(serial) + 500).padStart(10, '0')}.`);
    const answers = [
      await card(licence.id, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ'),
      await card(licence.id, 'not a code'),
      await card('BL.111101050000100149.0000000099.01.U', licence.verificationCode),
    ];
    for (const a of answers) {
      expect(a.status).to.equal(404);
      expect(a.body.code).to.equal('LICENCE_NOT_FOUND');
      expect(a.body.detail).to.equal(made.detail);
    }
    expect((await vault.request('GET', `/verify/documents/${'ab'.repeat(32)}`)).status).to.equal(404);
    // A number with a wrong check character is a plain 400 saying so (the page shows it in words).
    const bad = await card('BL.111101050000100149.0000000001.01.A', licence.verificationCode);
    expect(bad.status).to.equal(400);
    expect(bad.body.code).to.equal('LICENCE_ID_INVALID');
    expect(other).to.not.equal(licence.id);
  });

  it('says revoked (with the date of the change), suspended and superseded (with the successor), never valid', async () => {
    const revoked = await issue();
    await vault.request('POST', `/licences/${revoked.id}/status-changes`, { token: market, json: { action: 'revoke', reason: 'fraud' } });
    const r = (await card(revoked.id, revoked.verificationCode)).body;
    expect(r.verdict.verdict).to.equal('revoked');
    expect(r.status.value).to.equal('revoked');
    expect(r.status.ledger).to.equal('pending'); // the vault knows before the ledger does, and says so
    expect(Date.parse(r.status.since)).to.be.closeTo(Date.now(), 60_000);
    await vault.vault.anchorer.runOnce(true);
    expect((await card(revoked.id, revoked.verificationCode)).body.status.ledger).to.equal('confirmed');

    const suspended = await issue();
    await vault.request('POST', `/licences/${suspended.id}/status-changes`, { token: market, json: { action: 'suspend', reason: 'inspection' } });
    expect((await card(suspended.id, suspended.verificationCode)).body.verdict.verdict).to.equal('suspended');

    const old = await issue();
    const renewed = await vault.request('POST', `/licences/${old.id}/renewals`, { token: market, json: { reason: 'renewal' } });
    expect(renewed.status).to.equal(201);
    const s = (await card(old.id, old.verificationCode)).body;
    expect(s.verdict).to.include({ verdict: 'superseded', acceptable: false });
    expect(s.successor).to.deep.equal({ licenceId: renewed.body.id });
    expect((await card(renewed.body.id, renewed.body.verificationCode)).body.verdict.verdict).to.equal('valid');
  });

  it('says expired for a licence whose validity ended, whatever its status', async () => {
    const expired = await issue(hrss, { type: 'health-certificate', holder: { id: HOLDERS.personA, name: '张𠮷' }, fields: { examinedOn: '2024-02-20', examiningInstitution: '朝阳区疾病预防控制中心', conclusion: '合格' }, validFrom: '2024-02-20', validUntil: '2025-02-19' });
    await vault.vault.anchorer.runOnce(true);
    const res = (await card(expired.id, expired.verificationCode)).body;
    expect(res.status.value).to.equal('active');
    expect(res.verdict).to.deep.include({ verdict: 'expired', acceptable: false });
    expect(res.holder.name).to.equal('张*');
  });

  it('says "could not check" while the ledger does not answer — never valid — and still shows the card', async () => {
    const licence = await issue();
    await vault.vault.anchorer.runOnce(true);
    ledger.down = true;
    try {
      const res = await card(licence.id, licence.verificationCode);
      expect(res.status).to.equal(200);
      expect(res.body.verdict).to.deep.include({ verdict: 'could-not-check', acceptable: false });
      expect(res.body.status.ledger).to.equal('unreachable');
      expect(res.body.type.nameZh).to.equal('营业执照');
    } finally {
      ledger.down = false;
    }
  });

  it('redirects the QR target to the page for any number, keeping the code in the fragment', async () => {
    const res = await fetch(`${vault.baseUrl}/verify/BL.111101050000100149.0000000001.01.A`, { redirect: 'manual' });
    expect(res.status).to.equal(302);
    expect(res.headers.get('location')).to.equal('/app/verify.html?licence=BL.111101050000100149.0000000001.01.A');
  });
});
