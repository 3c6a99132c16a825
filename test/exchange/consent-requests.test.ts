/**
 * Department-initiated consent: the window raises a request from the service-item catalogue, the citizen
 * opens its link, sees who asks for what in plain words and approves (or declines); the department's query
 * then succeeds under the consent and the access is in the citizen's data tracker. No request makes a
 * second identical consent, a request is answered once, and only by the holder it names.
 */
import { expect } from 'chai';
import { DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';

const FOOD = () => ({
  type: 'food-business-licence',
  holder: { id: HOLDERS.companyA, name: '北京𠮷𪚥餐饮管理有限公司' },
  fields: { legalRepresentative: '张𠮷', premises: '北京市朝阳区建国路1号', mainBusinessFormat: '餐饮服务经营者', businessItems: '热食类食品制售', supervisoryAuthority: '建外市场监督管理所' },
});
const ITEM = '11110105000010030Y-0002'; // 餐饮企业发票领用, the tax bureau's

describe('department-initiated consent requests', function () {
  this.timeout(60_000);
  let vault: TestVault;
  let tax: string;
  let health: string;
  let companyA: string;
  let companyB: string;
  let foodId: string;
  const inAWeek = () => new Date(Date.now() + 7 * 86400_000).toISOString();
  const raise = (body: Record<string, unknown> = {}, token = tax) => vault.request('POST', '/consent-requests', { token, json: { holderId: HOLDERS.companyA, serviceItem: ITEM, consentValidUntil: inAWeek(), maxUses: 3, caseNumber: 'TAX-2026-0042', ...body } });

  before(async () => {
    vault = await TestVault.start();
    const market = await vault.departmentToken(DEPARTMENTS.market);
    [tax, health, companyA, companyB] = await Promise.all([vault.departmentToken(DEPARTMENTS.tax), vault.departmentToken(DEPARTMENTS.health), vault.holderToken(HOLDERS.companyA), vault.holderToken(HOLDERS.companyB)]);
    foodId = (await vault.request('POST', '/licences', { token: market, json: FOOD() })).body.id;
    await vault.vault.anchorer.runOnce(true);
  });
  after(async () => vault?.stop());

  it('is raised at the window, approved on the phone in plain words, and the department\'s query then succeeds and is in the tracker', async () => {
    const raised = await raise();
    expect(raised.status, JSON.stringify(raised.body)).to.equal(201);
    expect(raised.body.link).to.match(/\/app\/portal\.html#consent-request=cr_[A-Za-z0-9_-]{22}$/);
    expect(raised.body).to.deep.include({ status: 'pending', consentId: null });
    // What the citizen sees: names, not codes.
    const opened = (await vault.request('GET', `/me/consent-requests/${raised.body.id}`, { token: companyA })).body;
    expect(opened.requester).to.deep.include({ nameZh: '朝阳区税务局' });
    expect(opened.serviceItem).to.deep.include({ nameZh: '餐饮企业发票领用' });
    expect(opened.licenceTypes).to.deep.equal([{ key: 'food-business-licence', nameZh: '食品经营许可证', nameEn: 'Food Business Licence' }]);
    expect(opened.fields.map((f: { labelZh: string }) => f.labelZh)).to.include('经营场所');
    expect((await vault.request('GET', '/me/consent-requests', { token: companyA })).body.items.map((r: { id: string }) => r.id)).to.include(raised.body.id);

    const approved = await vault.request('POST', `/me/consent-requests/${raised.body.id}/approval`, { token: companyA });
    expect(approved.status).to.equal(201);
    const consentId = approved.body.consent.id;
    expect(approved.body.consent).to.deep.include({ requester: DEPARTMENTS.tax, purpose: { code: ITEM, text: '餐饮企业发票领用' }, status: 'ACTIVE', maxUses: 3 });
    expect((await vault.request('GET', `/consent-requests/${raised.body.id}`, { token: tax })).body).to.deep.include({ status: 'approved', consentId });

    const query = await vault.request('POST', '/exchange/queries', {
      token: tax,
      json: { holderId: HOLDERS.companyA, serviceItem: ITEM, caseNumber: 'TAX-2026-0042', officialId: 'official-007', basis: { kind: 'consent', consentId }, query: { kind: 'verify', licenceId: foodId }, fields: ['premises'] },
    });
    expect(query.status, JSON.stringify(query.body)).to.equal(200);
    const tracker = (await vault.request('GET', '/me/accesses', { token: companyA })).body.items as Array<{ record: { basisId: string; result: string } }>;
    expect(tracker.some((i) => i.record.basisId === consentId && i.record.result === 'ALLOWED')).to.equal(true);
  });

  it('never makes a second identical consent: a second answer is refused, a new request on the same terms reuses the consent', async () => {
    const first = (await raise({ caseNumber: 'TAX-2026-0050' })).body;
    const approved = await vault.request('POST', `/me/consent-requests/${first.id}/approval`, { token: companyA });
    expect(approved.status).to.be.oneOf([200, 201]);
    const again = await vault.request('POST', `/me/consent-requests/${first.id}/approval`, { token: companyA });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('CONSENT_REQUEST_ANSWERED');
    const second = (await raise({ caseNumber: 'TAX-2026-0051' })).body;
    const reused = await vault.request('POST', `/me/consent-requests/${second.id}/approval`, { token: companyA });
    expect(reused.status).to.equal(200);
    expect(reused.body.consent.id).to.equal(approved.body.consent.id);
    const active = ((await vault.request('GET', '/me/consents', { token: companyA })).body.items as Array<{ status: string; purpose: { code: string } }>).filter((c) => c.status === 'ACTIVE' && c.purpose.code === ITEM);
    expect(active).to.have.length(1);
    // The holder's own grant of the same terms is refused too, pointing at the consent in force.
    const consent = reused.body.consent;
    const duplicate = await vault.request('POST', '/me/consents', { token: companyA, json: { requester: consent.requester, purpose: consent.purpose, licenceTypes: consent.licenceTypes, fields: consent.fields, validUntil: consent.validUntil, maxUses: consent.maxUses } });
    expect(duplicate.status).to.equal(409);
    expect(duplicate.body).to.include({ code: 'CONSENT_DUPLICATE', consentId: consent.id });
  });

  it('can be declined, which grants nothing', async () => {
    const request = (await raise({ caseNumber: 'TAX-2026-0060', fields: ['legalRepresentative'] })).body;
    const declined = await vault.request('POST', `/me/consent-requests/${request.id}/decline`, { token: companyA, json: { reason: '不是本店的业务' } });
    expect(declined.status).to.equal(200);
    expect(declined.body).to.deep.include({ status: 'declined', consentId: null });
    expect((await vault.request('GET', `/consent-requests/${request.id}`, { token: tax })).body.status).to.equal('declined');
    expect((await vault.request('POST', `/me/consent-requests/${request.id}/approval`, { token: companyA })).status).to.equal(409);
  });

  it('is answered only by the holder it names, and seen only by the department that raised it', async () => {
    const request = (await raise({ caseNumber: 'TAX-2026-0070' })).body;
    expect((await vault.request('GET', `/me/consent-requests/${request.id}`, { token: companyB })).status).to.equal(404);
    expect((await vault.request('POST', `/me/consent-requests/${request.id}/approval`, { token: companyB })).status).to.equal(404);
    expect((await vault.request('GET', `/consent-requests/${request.id}`, { token: health })).status).to.equal(404);
    expect((await vault.request('GET', `/me/consent-requests/${request.id}`, { token: tax })).status).to.equal(403);
    expect((await vault.request('GET', `/me/consent-requests/${request.id}`)).status).to.equal(401);
  });

  it('asks only for what the catalogue names for the department\'s own service item', async () => {
    const beyond = await raise({ fields: ['supervisoryAuthority'] });
    expect(beyond.status).to.equal(400);
    expect(beyond.body.errors.map((e: { field: string }) => e.field)).to.include('fields');
    expect((await raise({ serviceItem: '11110105000010065H-0001' })).status).to.equal(400); // the health commission's item
    expect((await raise({}, companyA)).status).to.equal(403);
    expect((await raise({ serviceItem: 'NO-SUCH-ITEM' })).body.errors[0].field).to.equal('serviceItem');
  });
});
