/**
 * The access log in plain words: the holder's data tracker names the department, the service item, the
 * licences and fields, and says the outcome in a sentence; it filters by department and date; the
 * notification feed tells of new accesses, licences expiring within 30 days and consent requests; the
 * auditor filters the log by department, holder, date and result, and downloads it as CSV.
 */
import { expect } from 'chai';
import { DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';

const ITEM = '11110105000010030Y-0002'; // 餐饮企业发票领用
const FOOD = () => ({
  type: 'food-business-licence',
  holder: { id: HOLDERS.companyA, name: '北京𠮷𪚥餐饮管理有限公司' },
  fields: { legalRepresentative: '张𠮷', premises: '北京市朝阳区建国路1号', mainBusinessFormat: '餐饮服务经营者', businessItems: '热食类食品制售', supervisoryAuthority: '建外市场监督管理所' },
});

describe('the access log in plain words, notifications, and the auditor\'s export', function () {
  this.timeout(60_000);
  let vault: TestVault;
  let tax: string;
  let admin: string;
  let auditor: string;
  let companyA: string;
  let foodId: string;
  let legalBasisId: string;
  const query = (basis: unknown, fields = ['premises']) => vault.request('POST', '/exchange/queries', {
    token: tax, json: { holderId: HOLDERS.companyA, serviceItem: ITEM, caseNumber: 'TAX-2026-0100', officialId: 'official-007', basis, query: { kind: 'verify', licenceId: foodId }, fields },
  });

  before(async () => {
    vault = await TestVault.start();
    const market = await vault.departmentToken(DEPARTMENTS.market);
    [tax, admin, auditor, companyA] = await Promise.all([vault.departmentToken(DEPARTMENTS.tax), vault.departmentToken(DEPARTMENTS.admin), vault.departmentToken(DEPARTMENTS.audit), vault.holderToken(HOLDERS.companyA)]);
    foodId = (await vault.request('POST', '/licences', { token: market, json: FOOD() })).body.id;
    // A food licence that expires in 10 days.
    const soon = new Date(Date.now() + 10 * 86400_000 + 8 * 3600_000).toISOString().slice(0, 10);
    expect((await vault.request('POST', '/licences', { token: market, json: { ...FOOD(), validFrom: '2022-01-01', validUntil: soon } })).status).to.equal(201);
    legalBasisId = (await vault.request('POST', '/exchange/legal-bases', { token: admin, json: { requester: DEPARTMENTS.tax, serviceItem: { code: ITEM, name: '餐饮企业发票领用' }, licenceTypes: ['food-business-licence'], fields: ['premises'], legalReference: '《发票管理办法》第十五条' } })).body.id;
    await vault.vault.anchorer.runOnce(true);
  });
  after(async () => vault?.stop());

  it('tells the holder who looked at what, for which service, and why a refusal was a refusal', async () => {
    expect((await query({ kind: 'legal-basis', legalBasisId })).status).to.equal(200);
    expect((await query({ kind: 'consent', consentId: 'cns_none' })).status).to.equal(403);
    const items = (await vault.request('GET', '/me/accesses', { token: companyA })).body.items as Array<{ record: { result: string }; described: Record<string, any> }>;
    const allowed = items.find((i) => i.record.result === 'ALLOWED')!.described;
    expect(allowed.requester).to.deep.include({ nameZh: '朝阳区税务局', nameEn: 'Chaoyang District Tax Bureau' });
    expect(allowed.serviceItem).to.deep.include({ code: ITEM, nameZh: '餐饮企业发票领用' });
    expect(allowed.licences).to.deep.equal([{ id: foodId, typeKey: 'food-business-licence', typeNameZh: '食品经营许可证', typeNameEn: 'Food Business Licence' }]);
    expect(allowed.fields).to.deep.equal([{ name: 'premises', labelZh: '经营场所', labelEn: 'Business premises' }]);
    expect(allowed.basis.zh).to.equal('依法律规定');
    expect(allowed.outcome).to.deep.equal({ allowed: true, zh: '已查看', en: 'Looked at' });
    const refused = items.find((i) => i.record.result === 'REFUSED')!.described;
    expect(refused.outcome.zh).to.equal('已拒绝：您没有同意，也没有法律依据');
    // Filters: another department, a window before everything.
    expect((await vault.request('GET', `/me/accesses?requester=${DEPARTMENTS.health}`, { token: companyA })).body.items).to.have.length(0);
    expect((await vault.request('GET', `/me/accesses?to=${encodeURIComponent('2020-01-01T00:00:00Z')}`, { token: companyA })).body.items).to.have.length(0);
    expect((await vault.request('GET', `/me/accesses?requester=${DEPARTMENTS.tax}`, { token: companyA })).body.items.length).to.be.greaterThanOrEqual(2);
  });

  it('keeps a notification feed: accesses, a licence about to expire, a consent request; read marks count', async () => {
    await vault.request('POST', '/consent-requests', { token: tax, json: { holderId: HOLDERS.companyA, serviceItem: ITEM, consentValidUntil: new Date(Date.now() + 86400_000).toISOString(), maxUses: 1 } });
    const feed = (await vault.request('GET', '/me/notifications', { token: companyA })).body;
    const kinds = new Set(feed.items.map((i: { kind: string }) => i.kind));
    expect([...kinds].sort()).to.deep.equal(['access', 'consent-request', 'expiring']);
    const sentences = feed.items.map((i: { zh: string }) => i.zh).join('\n');
    expect(sentences).to.include('朝阳区税务局为办理“餐饮企业发票领用”查看了您的食品经营许可证（经营场所）');
    expect(sentences).to.match(/您的食品经营许可证将于\d{4}年\d{1,2}月\d{1,2}日到期（还有1[01]天）/);
    expect(sentences).to.include('朝阳区税务局请求您授权，用于办理“餐饮企业发票领用”');
    expect(feed.unread).to.equal(feed.items.length);
    expect((await vault.request('POST', '/me/notifications/seen', { token: companyA, json: {} })).status).to.equal(204);
    expect((await vault.request('GET', '/me/notifications', { token: companyA })).body.unread).to.equal(0);
    await new Promise((r) => setTimeout(r, 5));
    await query({ kind: 'legal-basis', legalBasisId });
    const after = (await vault.request('GET', '/me/notifications', { token: companyA })).body;
    expect(after.unread).to.equal(1);
    expect(after.items[0]).to.include({ kind: 'access', unread: true });
    expect((await vault.request('GET', '/me/notifications', { token: tax })).status).to.equal(403);
  });

  it('lets the auditor filter by department, holder, date and result, and download CSV', async () => {
    const all = (await vault.request('GET', `/exchange/access-log?holderId=${HOLDERS.companyA}`, { token: auditor })).body.items as Array<{ result: string; holderId: string }>;
    expect(all.length).to.be.greaterThanOrEqual(3);
    const refused = (await vault.request('GET', `/exchange/access-log?holderId=${HOLDERS.companyA}&result=REFUSED`, { token: auditor })).body.items as Array<{ result: string }>;
    expect(refused.length).to.be.greaterThan(0);
    expect(refused.every((r) => r.result === 'REFUSED')).to.equal(true);
    expect((await vault.request('GET', `/exchange/access-log?requester=${DEPARTMENTS.health}`, { token: auditor })).body.items).to.have.length(0);
    const csv = await vault.request('GET', `/exchange/access-log?holderId=${HOLDERS.companyA}&format=csv`, { token: auditor });
    expect(csv.status).to.equal(200);
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).to.match(/attachment; filename="access-log-\d{4}-\d{2}-\d{2}\.csv"/);
    const text = Buffer.from(csv.bytes).toString('utf8');
    expect(text.charCodeAt(0)).to.equal(0xfeff);
    const lines = text.slice(1).trim().split(/\r?\n/);
    expect(lines[0]).to.include('部门名称 department name');
    expect(lines).to.have.length(all.length + 1);
    expect(text).to.include('朝阳区税务局').and.include('餐饮企业发票领用').and.include('已拒绝：您没有同意，也没有法律依据');
    expect((await vault.request('GET', '/exchange/access-log?format=csv', { token: companyA })).status).to.equal(403);
  });
});
