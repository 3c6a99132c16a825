/**
 * 亮证: a holder's short-lived signed presentation of their own licence, verified offline against the
 * published key by the same pure code the verification page runs; expired, tampered or foreign ones are
 * refused; only the holder (or a company's agent with the licences scope) may present.
 */
import { expect } from 'chai';
import { presentationTokenFrom, verifyPresentation } from '../../src/verify/presentation.ts';
import type { PresentationNames, PublicJwk } from '../../src/verify/presentation.ts';
import { DEPARTMENTS, HOLDERS, qualificationRequest, TestVault } from '../support/test-vault.ts';

describe('licence presentations (亮证)', function () {
  this.timeout(60_000);
  let vault: TestVault;
  let licenceId: string;
  let holder: string;
  let keys: PublicJwk[];
  let names: PresentationNames;

  before(async () => {
    vault = await TestVault.start();
    const hrss = await vault.departmentToken(DEPARTMENTS.hrss);
    licenceId = (await vault.request('POST', '/licences', { token: hrss, json: qualificationRequest(HOLDERS.personA) })).body.id;
    holder = await vault.holderToken(HOLDERS.personA);
    keys = (await vault.request('GET', '/.well-known/jwks.json')).body.keys;
    names = { types: (await vault.request('GET', '/licence-types')).body.items, departments: (await vault.request('GET', '/departments')).body.items };
  });
  after(async () => vault?.stop());

  const present = (token: string | undefined, body: unknown = {}, id = licenceId) => vault.request('POST', `/me/licences/${id}/presentations`, { token, json: body });

  it('signs a presentation with the chosen fields and purpose that verifies offline with the published key', async () => {
    const res = await present(holder, { fields: ['qualificationName', 'level'], purpose: '餐饮服务许可' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.refreshAfterSeconds).to.equal(60);
    expect(Date.parse(res.body.expiresAt) - Date.now()).to.be.within(290_000, 301_000);
    const token = presentationTokenFrom(res.body.verifyUrl);
    expect(token).to.equal(res.body.token);
    const check = verifyPresentation(token!, keys, new Date(), names);
    expect(check.ok, JSON.stringify(check)).to.equal(true);
    if (!check.ok) return;
    const { licence, purpose } = check.claims;
    expect(licence).to.include({ id: licenceId, status: 'active', version: 1 });
    expect(licence.holder).to.deep.equal({ kind: 'person', name: '张*', id: `${HOLDERS.personA.slice(0, 4)}**********${HOLDERS.personA.slice(-4)}` });
    expect(licence.fields).to.deep.equal([
      { name: 'qualificationName', labelZh: '资格名称', labelEn: 'Qualification', value: '注册会计师' },
      { name: 'level', labelZh: '资格级别', labelEn: 'Level', value: '中级' },
    ]);
    expect(purpose).to.equal('餐饮服务许可');
    expect(licence.issuer.nameZh).to.equal('朝阳区人力资源和社会保障局');
    expect(licence.type).to.include({ code: 'PQ', nameZh: '专业技术人员职业资格证书' });
    // Small enough for a camera across a counter: about 530 characters, a version-16 QR code at level L.
    expect(res.body.verifyUrl.length).to.be.below(560);
    // Without the catalogue (a page that never saw it) the codes stand in for the names.
    const bare = verifyPresentation(token!, keys);
    expect(bare.ok && bare.claims.licence.issuer.nameZh).to.equal(DEPARTMENTS.hrss);
  });

  it('refuses an expired presentation, one replayed after its expiry, a tampered one and one signed by another key', async () => {
    const { token } = (await present(holder)).body;
    expect(verifyPresentation(token, keys, new Date(Date.now() + 6 * 60_000))).to.deep.include({ ok: false, reason: 'EXPIRED' });
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    claims.s = 'active';
    claims.exp += 3600; // stretched
    const stretched = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    expect(verifyPresentation(stretched, keys)).to.deep.include({ ok: false, reason: 'SIGNATURE_INVALID' });
    expect(verifyPresentation(token, [])).to.deep.include({ ok: false, reason: 'UNKNOWN_KEY' });
    expect(verifyPresentation('not.a.token', keys).ok).to.equal(false);
    expect(presentationTokenFrom('https://elsewhere.example/#q=1')).to.equal(null);
  });

  it('lets only the holder present: another holder 404, a department 403, nobody 401, an unknown field 400', async () => {
    expect((await present(await vault.holderToken(HOLDERS.personB))).status).to.equal(404);
    expect((await present(await vault.departmentToken(DEPARTMENTS.hrss))).status).to.equal(403);
    expect((await present(undefined)).status).to.equal(401);
    const bad = await present(holder, { fields: ['noSuchField'] });
    expect(bad.status).to.equal(400);
    expect(bad.body.code).to.equal('FIELD_UNKNOWN');
    expect((await present(holder, { purpose: '很'.repeat(41) })).body.code).to.equal('PURPOSE_INVALID');
  });
});
