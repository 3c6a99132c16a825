/**
 * The citizen portal in Chromium (issue 21 items 1–4, issue 20 corrections), asserting visible text, with
 * screenshots of every state in zh-CN and English at 390 and 1280 px (test-output/web/portal-*.png):
 * licences as cards grouped by what is valid today (an expired health certificate is expired, never
 * green), a licence read as HTML with its history in words, a correction asked for and approved, errors in
 * the reader's language, sign-out leaving nothing of one holder for the next, a department's consent
 * request opened from its link on a phone and approved (the department's query then succeeds and is in
 * the holder's log and feed), withdrawal only after a confirmation, and the development banner — on with
 * development sign-in, absent with it off (PostgreSQL without an identity provider).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { DEPARTMENTS, HOLDERS, TestVault, qualificationRequest } from '../support/test-vault.ts';
import { launchChromium, setLang, shootAll } from './web-support.ts';
import type { Browsing } from './web-support.ts';

const HEALTH = () => ({
  type: 'health-certificate',
  holder: { id: HOLDERS.personA, name: '张𠮷' },
  fields: { examinedOn: '2024-02-18', examiningInstitution: '朝阳区疾病预防控制中心', conclusion: '合格' },
  validFrom: '2024-02-20',
  validUntil: '2025-02-19',
});
const FOOD = () => ({
  type: 'food-business-licence',
  holder: { id: HOLDERS.companyA, name: '北京𠮷𪚥餐饮管理有限公司' },
  fields: { legalRepresentative: '张𠮷', premises: '北京市朝阳区建国路1号', mainBusinessFormat: '餐饮服务经营者', businessItems: '热食类食品制售', supervisoryAuthority: '建外市场监督管理所' },
});
const ITEM = '11110105000010030Y-0002'; // 餐饮企业发票领用 — Invoice application for a catering business (tax bureau)
/** A 1×1 PNG: the photo of the original attached to a correction request. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

async function signIn(page: Page, base: string, subject: string, hash = ''): Promise<void> {
  if (!page.url().startsWith(`${base}/app/portal.html`)) await page.goto(`${base}/app/portal.html${hash}`);
  await page.locator('#signin-form:visible, #session-bar:visible').first().waitFor();
  if (await page.locator('#session-bar').isVisible()) await signOut(page);
  await page.getByLabel('Resident ID number or USCC').fill(subject);
  await page.getByRole('button', { name: 'Sign in (development only)' }).click();
  await page.locator('#session-bar').waitFor();
}

async function signOut(page: Page): Promise<void> {
  await page.locator('#sign-out').click();
  await page.locator('#signin-form').waitFor();
}

/** Everything a person could find of someone on the page: its markup, every field's value, both storages. */
async function traces(page: Page): Promise<string> {
  return page.evaluate(() => {
    const values = Array.from(document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('input, textarea, select'), (n) => n.value);
    const stored = [sessionStorage, localStorage].flatMap((s) => Object.keys(s).map((k) => `${k}=${s.getItem(k)}`));
    return [document.documentElement.outerHTML, document.title, location.href, ...values, ...stored].join('\n');
  });
}

describe('citizen portal in a browser', function () {
  this.timeout(180_000);
  let vault: TestVault;
  let browsing: Browsing;
  let page: Page;
  let tmp: string;
  let hrss: string;
  let tax: string;
  let healthId: string;
  let qualificationId: string;
  let correctedId: string;
  let foodId: string;
  let personBLicence: string;
  let consentId: string;
  let typeLabels: Record<string, Record<string, { zh: string; en: string }>>;
  const consoleErrors: string[] = [];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-portal-'));
    vault = await TestVault.start();
    const market = await vault.departmentToken(DEPARTMENTS.market);
    [hrss, tax] = await Promise.all([vault.departmentToken(DEPARTMENTS.hrss), vault.departmentToken(DEPARTMENTS.tax)]);
    const health = await vault.request('POST', '/licences', { token: hrss, json: HEALTH() });
    expect(health.status, JSON.stringify(health.body)).to.equal(201);
    healthId = health.body.id;
    qualificationId = (await vault.request('POST', '/licences', { token: hrss, json: qualificationRequest() })).body.id;
    personBLicence = (await vault.request('POST', '/licences', { token: hrss, json: qualificationRequest(HOLDERS.personB, '李四') })).body.id;
    foodId = (await vault.request('POST', '/licences', { token: market, json: FOOD() })).body.id;
    await vault.vault.anchorer.runOnce(true);
    const types = (await vault.request('GET', '/licence-types')).body.items as Array<{ key: string; fields: Array<{ name: string; labelZh: string; labelEn: string }> }>;
    typeLabels = Object.fromEntries(types.map((x) => [x.key, Object.fromEntries(x.fields.map((f) => [f.name, { zh: f.labelZh, en: f.labelEn }]))]));
    browsing = await launchChromium();
    page = browsing.page;
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  });
  after(async () => {
    await browsing?.close();
    await vault?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('shows the development banner on every page while development sign-in is on', async () => {
    for (const name of ['portal', 'auditor', 'verify']) {
      await page.goto(`${vault.baseUrl}/app/${name}.html`);
      await page.locator('#dev-banner').waitFor();
      expect(await page.locator('#dev-banner').innerText()).to.match(/^Development sign-in/);
    }
    await setLang(page, 'zh-CN');
    expect(await page.locator('#dev-banner').innerText()).to.match(/^开发用登录/);
    await setLang(page, 'en');
  });

  it('lists the licences as cards: the expired health certificate under "no longer valid", never green; the ID masked', async () => {
    await signIn(page, vault.baseUrl, HOLDERS.personA);
    const expired = page.locator(`#licences-past article[data-licence="${healthId}"]`);
    await expired.waitFor();
    expect(await expired.locator('.pill').innerText()).to.equal('Expired');
    expect(await expired.innerText()).to.include('20 February 2024 to 19 February 2025');
    expect(await expired.getByText('Valid', { exact: true }).count()).to.equal(0);
    const green = await expired.evaluate((card) => Array.from(card.querySelectorAll('*')).filter((n) => getComputedStyle(n).color === 'rgb(17, 99, 41)' || getComputedStyle(n).backgroundColor === 'rgb(218, 251, 225)').length);
    expect(green, 'nothing green on an expired licence').to.equal(0);
    expect(await expired.getByRole('button', { name: 'Show licence' }).count(), 'no 亮证 for an expired licence').to.equal(0);

    const current = page.locator(`#licences-current article[data-licence="${qualificationId}"]`);
    expect(await current.locator('.pill').innerText()).to.equal('Valid');
    expect(await current.innerText()).to.include('no end date (long-term)');
    expect(await current.innerText()).to.include('Chaoyang District Human Resources and Social Security Bureau');
    expect(await page.locator('#signed-in-as').innerText()).to.equal('1101**********002X');
    expect(await page.locator('main').innerText()).not.to.include(HOLDERS.personA);

    // Pills stay on one line at 1280 px.
    await page.setViewportSize({ width: 1280, height: 900 });
    for (const box of await page.locator('.pill').evaluateAll((nodes) => nodes.map((n) => n.getBoundingClientRect().height))) expect(box).to.be.below(30);
    await page.setViewportSize({ width: 390, height: 844 });
    await shootAll(page, 'portal-licences');

    await setLang(page, 'zh-CN');
    expect(await page.locator('#licences-past-group h2').innerText()).to.equal('已失效');
    expect(await expired.locator('.pill').innerText()).to.equal('已过期');
    expect(await expired.innerText()).to.include('2024年2月20日 至 2025年2月19日');
    expect(await current.innerText()).to.include('至 长期');
    await setLang(page, 'en');
  });

  it('shows a licence as HTML with download, 亮证 and its history in words; the proof only for experts', async () => {
    await page.locator(`article[data-licence="${qualificationId}"]`).getByRole('button', { name: 'View details' }).click();
    const sheet = page.locator('.lic-sheet');
    await sheet.waitFor();
    const labels = typeLabels['professional-qualification']!;
    expect(await sheet.innerText()).to.include(labels.qualificationName!.en);
    expect(await sheet.innerText()).to.include('注册会计师');
    expect(await sheet.innerText()).to.include('1 September 2019'); // approvedOn, written out
    expect(await page.getByRole('button', { name: 'Show licence' }).isVisible()).to.equal(true);
    await page.locator('#licence-history li').first().waitFor();
    expect(await page.locator('#licence-history').innerText()).to.include('Chaoyang District Human Resources and Social Security Bureau issued this licence');
    expect(await page.getByRole('button', { name: 'Download the proof (JSON)' }).isVisible(), 'the proof is folded away').to.equal(false);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the licence (PDF)' }).click()]);
    expect(fs.readFileSync(await download.path()).subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    await page.getByText(`Downloaded ${qualificationId}.pdf`).waitFor();
    await page.getByText('For experts', { exact: true }).click();
    const [receipt] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the proof (JSON)' }).click()]);
    expect(JSON.parse(fs.readFileSync(await receipt.path(), 'utf8')).licenceId).to.equal(qualificationId);
    await shootAll(page, 'portal-licence-detail');
    await setLang(page, 'zh-CN');
    expect(await page.locator('#licence-history').innerText()).to.include('朝阳区人力资源和社会保障局签发了此证照');
    expect(await sheet.innerText()).to.include(labels.qualificationName!.zh);
    await setLang(page, 'en');
  });

  it('asks for a correction with a photo; the department approves it and the portal shows the new version', async () => {
    await page.getByText('Something wrong? Ask for a correction').click();
    await page.getByLabel('Level', { exact: true }).selectOption('高级');
    await page.getByLabel('Why it is wrong').fill('证书原件记载为高级');
    await page.getByLabel('Evidence (optional)').setInputFiles({ name: 'original.png', mimeType: 'image/png', buffer: PNG });
    await page.getByRole('button', { name: 'Send the request' }).click();
    await page.getByText('Your request has been sent').waitFor();
    const pending = page.locator('li.correction.pending');
    expect(await pending.innerText()).to.match(/Waiting for Chaoyang District Human Resources and Social Security Bureau, who answers by \d{1,2} \w+ \d{4}/);
    expect(await pending.innerText()).to.include('中级 → 高级');
    await shootAll(page, 'portal-correction-pending');

    const queue = (await vault.request('GET', '/corrections?status=pending', { token: hrss })).body.items as Array<{ id: string; licenceId: string; evidence: unknown }>;
    const asked = queue.find((c) => c.licenceId === qualificationId)!;
    expect(asked.evidence).to.not.equal(null);
    const approved = await vault.request('POST', `/corrections/${asked.id}/approval`, { token: hrss, json: { reason: '经核对档案原件，等级应为高级。' } });
    expect(approved.status, JSON.stringify(approved.body)).to.equal(201);
    correctedId = approved.body.licence.id;

    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('li.correction.approved').waitFor();
    expect(await page.locator('li.correction.approved').innerText()).to.include('The department said: 经核对档案原件，等级应为高级。');
    expect(await page.locator('#ended-notice').innerText()).to.include('replaced by a new version');
    await page.getByRole('button', { name: 'Open the corrected version' }).click();
    await page.locator(`.lic-sheet[data-licence="${correctedId}"]`).waitFor();
    expect(await page.locator('.lic-sheet').innerText()).to.include('高级');
    expect(await page.locator('.lic-sheet').innerText()).to.include('Version 2');
    await page.getByText('in answer to your correction request').waitFor();
    await page.locator('#licence-history li').first().waitFor();
    expect(await page.locator('#licence-history').innerText()).to.include('issued this licence as the correction of');
    await shootAll(page, 'portal-corrected');
    await page.getByRole('button', { name: '← Back to my licences' }).click();
    const old = page.locator(`#licences-past article[data-licence="${qualificationId}"]`);
    await old.waitFor();
    expect(await old.locator('.pill').innerText()).to.equal('Replaced');
    expect(await page.locator(`#licences-current article[data-licence="${correctedId}"] .pill`).innerText()).to.equal('Valid');
  });

  it('says what is wrong in the reader\'s language, naming the field, never the service\'s English', async () => {
    await page.locator(`article[data-licence="${correctedId}"]`).getByRole('button', { name: 'View details' }).click();
    await setLang(page, 'zh-CN');
    await page.getByText('内容有误？申请更正').click();
    const labels = typeLabels['professional-qualification']!;
    await page.getByLabel(labels.qualificationName!.zh, { exact: true }).fill('注册会计师'.repeat(13));
    await page.getByLabel('更正原因').fill('名称有误');
    await page.getByRole('button', { name: '提交更正申请' }).click();
    const status = page.locator('#correction-status');
    await status.waitFor();
    const text = await status.innerText();
    expect(text).to.include(`${labels.qualificationName!.zh}：太长了（最多 60 个字符）`);
    expect(text).not.to.match(/[A-Za-z]{3,}/);
    await shootAll(page, 'portal-correction-error');
    await setLang(page, 'en');
    await page.getByLabel(labels.qualificationName!.en, { exact: true }).fill('注册会计师');
  });

  it('leaves nothing of the first holder for the next one after sign-out', async () => {
    // Holder A has a licence open, a file downloaded, text typed and an error on screen.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the licence (PDF)' }).click()]);
    await download.path();
    await page.getByText(`Downloaded ${correctedId}.pdf`).waitFor();
    await page.getByLabel('Why it is wrong').fill('A的秘密原因-7741');
    await page.getByRole('button', { name: 'Send the request' }).click();
    await page.locator('#correction-status').getByText('You have not changed anything').waitFor();
    const ofA = [HOLDERS.personA, '1101**********002X', '张𠮷', healthId, qualificationId, correctedId, 'A的秘密原因-7741', 'You have not changed anything', '注册会计师', 'Downloaded'];
    const before = await traces(page);
    for (const x of ofA) expect(before, `the page shows ${x} while A is signed in`).to.include(x);

    await signOut(page);
    await shootAll(page, 'portal-signed-out');
    const after = await traces(page);
    for (const x of ofA) expect(after, `${x} left after sign-out`).not.to.include(x);

    await signIn(page, vault.baseUrl, HOLDERS.personB);
    await page.locator(`article[data-licence="${personBLicence}"]`).waitFor();
    expect(await page.locator('#signed-in-as').innerText()).to.equal('1101**********0038');
    const next = await traces(page);
    for (const x of ofA.filter((y) => y !== '注册会计师')) expect(next, `${x} seen by the next holder`).not.to.include(x);
    expect(await page.locator('article[data-licence]').count()).to.equal(1);
    await signOut(page);
  });

  it('opens a department\'s consent request from its link on a phone, keeps it through sign-in, and approves it; the query is then in the log and the feed', async () => {
    const raised = await vault.request('POST', '/consent-requests', { token: tax, json: { holderId: HOLDERS.companyA, serviceItem: ITEM, consentValidUntil: new Date(Date.now() + 30 * 86400_000).toISOString(), maxUses: 3, caseNumber: 'TAX-2026-0042' } });
    expect(raised.status, JSON.stringify(raised.body)).to.equal(201);
    const link = new URL(raised.body.link);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${vault.baseUrl}${link.pathname}${link.hash}`);
    await page.getByText('A department asks for your consent').waitFor();
    await shootAll(page, 'portal-request-before-sign-in');
    await page.getByLabel('Resident ID number or USCC').fill(HOLDERS.companyA);
    await page.getByRole('button', { name: 'Sign in (development only)' }).click();

    const sheet = page.locator(`.request-sheet[data-request="${raised.body.id}"]`);
    await sheet.waitFor();
    const words = await sheet.innerText();
    expect(words).to.include('Chaoyang District Tax Bureau asks to use your licence details');
    expect(words).to.include('Chaoyang District Tax Bureau asks to see these details of your Food Business Licence, for “Invoice application for a catering business” (case TAX-2026-0042):');
    for (const f of ['legalRepresentative', 'premises', 'mainBusinessFormat']) expect(words).to.include(typeLabels['food-business-licence']![f]!.en);
    expect(words).to.include('at most 3 times');
    expect(words).not.to.match(/11110105000010030Y|food-business-licence|legalRepresentative/);
    await shootAll(page, 'portal-consent-request');
    await setLang(page, 'zh-CN');
    expect(await sheet.innerText()).to.include('朝阳区税务局为办理“餐饮企业发票领用”（案号 TAX-2026-0042），请求查看您的食品经营许可证中的以下信息：');
    await setLang(page, 'en');

    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Approved. Chaoyang District Tax Bureau may now see the details listed above.').waitFor();
    consentId = (await vault.request('GET', `/consent-requests/${raised.body.id}`, { token: tax })).body.consentId;
    const query = await vault.request('POST', '/exchange/queries', {
      token: tax,
      json: { holderId: HOLDERS.companyA, serviceItem: ITEM, caseNumber: 'TAX-2026-0042', officialId: 'official-007', basis: { kind: 'consent', consentId }, query: { kind: 'verify', licenceId: foodId }, fields: ['premises'] },
    });
    expect(query.status, JSON.stringify(query.body)).to.equal(200);

    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('#notifications-link .unread-count:not([hidden])').waitFor();
    await page.getByRole('link', { name: 'Data use', exact: true }).click();
    const entry = page.locator('li.access').first();
    await entry.waitFor();
    const premises = typeLabels['food-business-licence']!.premises!;
    expect(await entry.locator('.access-sentence').innerText()).to.equal(`Chaoyang District Tax Bureau looked at ${premises.en} of your Food Business Licence for “Invoice application for a catering business”, under your consent.`);
    expect(await entry.getByRole('button', { name: 'Download the proof (JSON)' }).isVisible(), 'the proof is folded away').to.equal(false);
    await shootAll(page, 'portal-accesses');
    await setLang(page, 'zh-CN');
    expect(await entry.locator('.access-sentence').innerText()).to.equal(`朝阳区税务局为办理“餐饮企业发票领用”，凭您的授权查看了您的食品经营许可证中的${premises.zh}。`);
    await setLang(page, 'en');

    // Filters: another department, a later day, then all again.
    await page.locator('#access-department').selectOption(DEPARTMENTS.health);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No records match.').waitFor();
    await page.locator('#access-department').selectOption(DEPARTMENTS.tax);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('li.access').first().waitFor();
    const tomorrow = new Date(Date.now() + 2 * 86400_000).toISOString().slice(0, 10);
    await page.locator('#access-from').fill(tomorrow);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No records match.').waitFor();
    await page.getByRole('button', { name: 'Show all' }).click();
    await page.locator('li.access').first().waitFor();

    // The feed: the access and its unread count; marked as read.
    await page.locator('#notifications-link').click();
    const note = page.locator('li.notification[data-kind="access"]').first();
    await note.waitFor();
    expect(await note.innerText()).to.include('Chaoyang District Tax Bureau');
    expect(Number(await page.locator('#notifications-link .unread-count').innerText())).to.be.at.least(1);
    await shootAll(page, 'portal-notifications');
    await page.getByRole('button', { name: 'Mark all as read' }).click();
    await page.getByText('All marked as read.').waitFor();
    expect(await page.locator('#notifications-link .unread-count').isVisible()).to.equal(false);
  });

  it('declines a request with a reason from the waiting list', async () => {
    const raised = (await vault.request('POST', '/consent-requests', { token: tax, json: { holderId: HOLDERS.companyA, serviceItem: ITEM, consentValidUntil: new Date(Date.now() + 7 * 86400_000).toISOString(), maxUses: 1, caseNumber: 'TAX-2026-0077', fields: ['premises'] } })).body;
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('link', { name: 'Licences', exact: true }).click();
    await page.locator(`.waiting[data-request="${raised.id}"]`).waitFor();
    await shootAll(page, 'portal-waiting-request');
    await page.locator(`.waiting[data-request="${raised.id}"]`).getByRole('button', { name: 'Review and answer' }).click();
    await page.getByRole('button', { name: 'Decline' }).click();
    await page.getByLabel('Why (optional; the department is told)').fill('已提交纸质材料');
    await shootAll(page, 'portal-decline-confirm', { fullPage: false });
    await page.locator('#confirm-ok').click();
    await page.getByText('Declined; the department is told.').waitFor();
    expect((await vault.request('GET', `/consent-requests/${raised.id}`, { token: tax })).body.status).to.equal('declined');
  });

  it('withdraws a consent only after a confirmation: cancel keeps it, confirm withdraws it', async () => {
    await page.getByRole('link', { name: 'Consents', exact: true }).click();
    const card = page.locator(`article[data-consent="${consentId}"]`);
    await card.waitFor();
    expect(await card.innerText()).to.include('For “Invoice application for a catering business”');
    await shootAll(page, 'portal-consents');
    await card.getByRole('button', { name: 'Withdraw' }).click();
    const dialog = page.locator('#confirm-dialog');
    await dialog.getByText('Withdraw this consent?').waitFor();
    expect(await dialog.innerText()).to.include('Chaoyang District Tax Bureau can no longer see your licence details');
    await shootAll(page, 'portal-withdraw-confirm', { fullPage: false });
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    expect(await dialog.isVisible()).to.equal(false);
    expect(await card.locator('.pill').innerText()).to.equal('In force');
    const companyA = await vault.holderToken(HOLDERS.companyA);
    const status = async () => ((await vault.request('GET', '/me/consents', { token: companyA })).body.items as Array<{ id: string; status: string }>).find((c) => c.id === consentId)!.status;
    expect(await status()).to.equal('ACTIVE');

    await card.getByRole('button', { name: 'Withdraw' }).click();
    await dialog.getByRole('button', { name: 'Withdraw consent' }).click();
    await page.getByText('Consent to Chaoyang District Tax Bureau withdrawn.').waitFor();
    expect(await page.locator(`article[data-consent="${consentId}"] .pill`).innerText()).to.equal('Withdrawn');
    expect(await status()).to.equal('REVOKED');
  });

  it('grants a consent by hand only on the expert path, from the catalogue, and refuses a duplicate in words', async () => {
    await page.getByText('Give a consent yourself (for experts)').click();
    await page.getByLabel('Service item', { exact: true }).selectOption({ label: 'Hygiene licence for public places' });
    await page.getByRole('button', { name: 'Grant consent' }).click();
    await page.locator('#consent-status').getByText('Consent granted.').waitFor();
    await page.getByRole('button', { name: 'Grant consent' }).click();
    await page.locator('#consent-status').getByText('You have already given this consent and it is still in force').waitFor();
    await shootAll(page, 'portal-expert-consent');
    await setLang(page, 'zh-CN');
    await page.getByRole('button', { name: '授权', exact: true }).click();
    await page.locator('#consent-status').getByText('您已经给过相同的授权').waitFor();
    await setLang(page, 'en');
    await signOut(page);
    expect(consoleErrors.filter((e) => !/status of (4\d\d)/.test(e)), 'console errors').to.deep.equal([]);
  });
});

describe('citizen portal with development sign-in off (PostgreSQL, no identity provider)', function () {
  this.timeout(120_000);
  let t: TestDatabase;
  let vault: TestVault;
  let browsing: Browsing;

  before(async function () {
    await skipUnlessAvailable(this, 'postgres');
    t = await openTestDatabase('postgres');
    vault = await TestVault.start({ env: { DATABASE_URL: t.url!, DEV_IDP_ENABLED: 'false' } });
    browsing = await launchChromium();
  });
  after(async () => {
    await browsing?.close();
    await vault?.stop();
    await t?.dispose();
  });

  it('offers no development sign-in and shows no banner on any page', async () => {
    const page = browsing.page;
    expect((await vault.request('GET', '/dev-idp/status')).status).to.equal(404);
    await page.goto(`${vault.baseUrl}/app/portal.html`);
    // No identity provider configured either: nobody can sign in, and the page says so plainly.
    await page.getByText('No identity provider is configured for this service yet, so nobody can sign in.', { exact: false }).waitFor();
    expect(await page.locator('#signin-form').isVisible()).to.equal(false);
    expect(await page.getByLabel('Resident ID number or USCC').isVisible()).to.equal(false);
    expect(await page.locator('#dev-banner').count()).to.equal(0);
    await shootAll(page, 'portal-no-dev-sign-in');
    await page.goto(`${vault.baseUrl}/app/auditor.html`);
    await page.locator('#staff-idp').waitFor();
    expect(await page.locator('#dev-staff-form').isVisible()).to.equal(false);
    expect(await page.locator('#dev-banner').count()).to.equal(0);
    await shootAll(page, 'auditor-no-dev-sign-in');
    await page.goto(`${vault.baseUrl}/app/verify.html`);
    await page.getByRole('heading', { name: 'Verify an e-licence' }).waitFor();
    await page.waitForTimeout(300); // the banner would come from a fetch: give it the time it takes
    expect(await page.locator('#dev-banner').count()).to.equal(0);
  });
});
