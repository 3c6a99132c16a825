/**
 * The auditor view in Chromium (issue 21 item 5): an auditor signs in on the page without a terminal (the
 * development staff sign-in, marked as such), filters the access log by department, holder, date and
 * result, downloads the CSV (its content checked against the filters), sees overdue corrections, alarms
 * and a licence's history in Chinese words; screenshots in zh-CN and English at 390 and 1280 px.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, TestVault, qualificationRequest } from '../support/test-vault.ts';
import { launchChromium, setLang, shootAll } from './web-support.ts';
import type { Browsing } from './web-support.ts';

const FOOD = () => ({
  type: 'food-business-licence',
  holder: { id: HOLDERS.companyA, name: '北京𠮷𪚥餐饮管理有限公司' },
  fields: { legalRepresentative: '张𠮷', premises: '北京市朝阳区建国路1号', mainBusinessFormat: '餐饮服务经营者', businessItems: '热食类食品制售', supervisoryAuthority: '建外市场监督管理所' },
});
const ITEM = '11110105000010030Y-0002';

describe('auditor view in a browser', function () {
  this.timeout(180_000);
  let vault: TestVault;
  let browsing: Browsing;
  let page: Page;
  let audit: string;
  let revokedId: string;
  let overdueId: string;
  const consoleErrors: string[] = [];

  /** What the service's own JSON export holds for a filter: what the page must show. */
  const logFor = async (query: string) => (await vault.request('GET', `/exchange/access-log${query}`, { token: audit })).body.items as Array<{ id: string; requester: string; result: string; holderId: string }>;

  before(async () => {
    vault = await TestVault.start();
    const [market, hrss, tax, health] = await Promise.all([vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.hrss), vault.departmentToken(DEPARTMENTS.tax), vault.departmentToken(DEPARTMENTS.health)]);
    audit = await vault.departmentToken(DEPARTMENTS.audit);
    const foodId = (await vault.request('POST', '/licences', { token: market, json: FOOD() })).body.id;
    revokedId = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body.id;
    expect((await vault.request('POST', `/licences/${revokedId}/status-changes`, { token: market, json: { action: 'revoke', reason: '以欺骗手段取得' } })).status).to.equal(200);

    // The tax bureau asks, the company approves; one query within the consent, one beyond it.
    const companyA = await vault.holderToken(HOLDERS.companyA);
    const raised = (await vault.request('POST', '/consent-requests', { token: tax, json: { holderId: HOLDERS.companyA, serviceItem: ITEM, consentValidUntil: new Date(Date.now() + 7 * 86400_000).toISOString(), maxUses: 5, caseNumber: 'TAX-2026-0042' } })).body;
    const consentId = (await vault.request('POST', `/me/consent-requests/${raised.id}/approval`, { token: companyA })).body.consent.id;
    const query = (token: string, fields: string[]) => vault.request('POST', '/exchange/queries', {
      token, json: { holderId: HOLDERS.companyA, serviceItem: ITEM, caseNumber: 'TAX-2026-0042', officialId: 'official-007', basis: { kind: 'consent', consentId }, query: { kind: 'verify', licenceId: foodId }, fields },
    });
    expect((await query(tax, ['premises'])).status).to.equal(200);
    expect((await query(tax, ['businessItems'])).status).to.equal(403);
    await query(health, ['premises']);

    // A correction request left past its department's deadline.
    const personA = await vault.holderToken(HOLDERS.personA);
    const qualification = (await vault.request('POST', '/licences', { token: hrss, json: qualificationRequest() })).body.id;
    overdueId = (await vault.request('POST', `/me/licences/${qualification}/corrections`, { token: personA, json: { fields: { level: '高级' }, reason: '原件为高级' } })).body.id;
    // Time passing, for the test: the deadline moved into the past.
    await vault.vault.db('licence_corrections').where({ id: overdueId }).update({ deadline: new Date(Date.now() - 3 * 86400_000) });
    await vault.vault.anchorer.runOnce(true);

    browsing = await launchChromium();
    page = browsing.page;
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  });
  after(async () => {
    await browsing?.close();
    await vault?.stop();
  });

  it('signs an auditor in on the page, filters the access log and downloads it as CSV', async () => {
    await page.goto(`${vault.baseUrl}/app/auditor.html`);
    await page.locator('#dev-staff-form').waitFor();
    expect(await page.locator('#dev-banner').innerText()).to.match(/^Development sign-in/);
    expect(await page.locator('#staff-idp').innerText()).to.include('OpenID Connect');
    await page.locator('#staff-department option').first().waitFor({ state: 'attached' });
    await shootAll(page, 'auditor-sign-in');
    await page.locator('#staff-department').selectOption(DEPARTMENTS.audit);
    await page.getByLabel('Name (optional)').fill('王芳');
    await page.getByRole('button', { name: 'Sign in (development only)' }).click();
    await page.locator('#session-bar').waitFor();
    expect(await page.locator('#signed-in-as').innerText()).to.equal('王芳, Chaoyang District Audit Office (auditor)');

    const all = await logFor('');
    expect(all.length).to.be.at.least(3);
    await page.locator('#access-log-table tbody tr').first().waitFor();
    expect(await page.locator('#access-log-table tbody tr').count()).to.equal(all.length);
    await shootAll(page, 'auditor-access-log');

    // The tax bureau's refusals of company A today.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    await page.locator('#log-requester').selectOption(DEPARTMENTS.tax);
    await page.getByLabel("Holder's number").fill(HOLDERS.companyA);
    await page.locator('#log-from').fill(today);
    await page.locator('#log-to').fill(today);
    await page.locator('#log-result').selectOption('REFUSED');
    await page.getByRole('button', { name: 'Search' }).click();
    const from = new Date(`${today}T00:00:00+08:00`).toISOString();
    const to = new Date(`${today}T23:59:59.999+08:00`).toISOString();
    const expected = await logFor(`?requester=${DEPARTMENTS.tax}&holderId=${HOLDERS.companyA}&result=REFUSED&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(expected.length).to.equal(1);
    await page.locator(`#access-log-table tr[data-record="${expected[0]!.id}"]`).waitFor();
    expect(await page.locator('#access-log-table tbody tr').count()).to.equal(1);
    const row = page.locator('#access-log-table tbody tr').first();
    expect(await row.innerText()).to.include('Refused: more details asked than allowed');
    expect(await row.innerText()).to.include('Invoice application for a catering business');
    expect(await row.innerText()).to.include('Chaoyang District Tax Bureau');
    await shootAll(page, 'auditor-access-log-filtered');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).to.match(/^access-log-\d{8}-\d{4}\.csv$/);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    expect(csv.charCodeAt(0), 'UTF-8 with a byte-order mark').to.equal(0xfeff);
    const lines = csv.slice(1).trimEnd().split(/\r?\n/);
    expect(lines.length, csv).to.equal(2); // the header and the one refusal
    expect(lines[1]).to.include(expected[0]!.id);
    expect(lines[1]).to.include('朝阳区税务局');
    expect(lines[1]).to.include(HOLDERS.companyA);
    expect(csv).not.to.include(DEPARTMENTS.health);
    await page.getByText(/Downloaded access-log-.*\.csv \(1 records\)/).waitFor();

    await setLang(page, 'zh-CN');
    expect(await page.locator('#access-log-table thead').innerText()).to.include('用证部门');
    expect(await row.innerText()).to.include('拒绝：所要的信息超出授权范围');
    await setLang(page, 'en');
  });

  it('shows overdue corrections, alarms and a licence history in words of the reader\'s language', async () => {
    const overdue = page.locator(`#overdue-table tr[data-correction="${overdueId}"]`);
    await overdue.waitFor();
    expect(await overdue.innerText()).to.include('Chaoyang District Human Resources and Social Security Bureau');
    expect(await overdue.innerText()).to.match(/\d+ days/);
    expect(await overdue.innerText()).to.include('Level');
    await page.locator('#alarms').getByText('No anchoring alarms.').waitFor();
    await page.getByLabel('Licence number').fill(revokedId);
    await page.getByRole('button', { name: 'Show history' }).click();
    await page.locator('#history-table').getByText('Active → Revoked').waitFor();
    await shootAll(page, 'auditor-findings');
    await setLang(page, 'zh-CN');
    const history = await page.locator('#history-table').innerText();
    expect(history).to.include('签发');
    expect(history).to.include('撤销');
    expect(history).to.include('有效 → 已撤销');
    expect(history).to.include('以欺骗手段取得');
    expect(history).not.to.match(/\b(issue|revoke|issued)\b/);
    expect(await overdue.innerText()).to.include('资格级别');
    await setLang(page, 'en');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#signin-card').waitFor();
    expect(await page.locator('#access-log-table').count()).to.equal(0);
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('licence-vault.auditor')))).to.deep.equal([]);
    expect(consoleErrors.filter((e) => !/status of 4\d\d/.test(e))).to.deep.equal([]);
  });
});
