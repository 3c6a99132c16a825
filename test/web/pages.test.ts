/**
 * The web pages in a real browser (Debian's Chromium driven by playwright-core) against a running vault:
 * a company's agents (appointed, acting, scoped, revoked); the verification page's offline path (a PDF with its
 * receipt file) on a valid, a tampered and a revoked licence (the rest of that page:
 * verification-page.test.ts); the auditor's checkpoints (the citizen portal: portal.test.ts; the auditor's
 * sign-in, access log and CSV: auditor.test.ts). Assertions are on visible text; screenshots go to
 * test-output/web/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';

const FOOD = () => ({
  type: 'food-business-licence',
  holder: { id: HOLDERS.companyA, name: '北京𠮷𪚥餐饮管理有限公司' },
  fields: { legalRepresentative: '张𠮷', premises: '北京市朝阳区建国路1号', mainBusinessFormat: '餐饮服务经营者', businessItems: '热食类食品制售', supervisoryAuthority: '建外市场监督管理所' },
});
const SHOTS = path.resolve('test-output', 'web');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('web pages in a browser', function () {
  this.timeout(120_000);
  let vault: TestVault;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  let tmp: string;
  let market: string;
  let tax: string;
  let auditor: string;
  let foodId: string;
  let revokedId: string;
  let revokedCode: string;
  const consoleErrors: string[] = [];
  const externalRequests: string[] = [];

  const query = (consentId: string) => vault.request('POST', '/exchange/queries', {
    token: tax,
    json: { holderId: HOLDERS.companyA, serviceItem: 'FOOD-PERMIT-CHANGE', caseNumber: 'TAX-2026-0042', officialId: 'official-007', basis: { kind: 'consent', consentId }, query: { kind: 'verify', licenceId: foodId }, fields: ['legalRepresentative'] },
  });
  const saveBytes = (name: string, bytes: Uint8Array) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  /** The portal's expert consent form: the tax bureau's catering invoice item, from the catalogue (its fields ticked). */
  const grantInvoiceConsent = async () => {
    await page.getByRole('link', { name: 'Consents', exact: true }).click();
    await page.getByText('Give a consent yourself (for experts)').click();
    await page.getByLabel('Service item', { exact: true }).selectOption({ label: 'Invoice application for a catering business' });
  };

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-web-'));
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-chromium-'));
    vault = await TestVault.start();
    [market, tax, auditor] = await Promise.all([vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.tax), vault.departmentToken(DEPARTMENTS.audit)]);
    foodId = (await vault.request('POST', '/licences', { token: market, json: FOOD() })).body.id;
    const revoked = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body;
    revokedId = revoked.id;
    revokedCode = revoked.verificationCode;
    await vault.vault.anchorer.runOnce(true);
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 390, height: 844 },
      acceptDownloads: true,
      locale: 'en-US',
    });
    browser = context.browser() as Browser;
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('request', (r) => { if (!r.url().startsWith(vault.baseUrl) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) externalRequests.push(r.url()); });
  });
  after(async () => {
    await context?.close();
    void browser;
    await vault?.stop();
    for (const dir of [tmp, userDataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // The citizen's licences, consents, data tracker and sign-out: test/web/portal.test.ts.

  it('lets a company appoint an agent, who then signs in, acts for it and grants a consent; a stranger cannot', async () => {
    const signIn = async (subject: string, company = '') => {
      await page.goto(`${vault.baseUrl}/app/portal.html`);
      // The page decides from its stored session which card to show: wait for that before looking.
      await page.locator('#signin-form:visible, #session-bar:visible').first().waitFor();
      if (await page.locator('#session-bar').isVisible()) await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Resident ID number or USCC').fill(subject);
      await page.getByLabel(/Act for a company/).fill(company);
      await page.getByRole('button', { name: 'Sign in (development only)' }).click();
    };
    await signIn(HOLDERS.companyA);
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('heading', { name: "The company's agents", level: 1 }).waitFor();
    await page.getByLabel("Agent's resident ID number").fill(HOLDERS.personA);
    await page.getByLabel("Agent's name (optional)").fill('张𠮷');
    await page.getByRole('button', { name: 'Appoint agent' }).click();
    await page.getByText('Agent appointed.').waitFor();
    const agentRow = page.locator('article[data-agent]').first();
    expect(await agentRow.getByText('Active').isVisible()).to.equal(true);
    expect(await agentRow.getByText(HOLDERS.personA).isVisible()).to.equal(true);

    await signIn(HOLDERS.personA, HOLDERS.companyA);
    await page.locator('#acting-for-line').getByText('acting for 9135**********0Y43').waitFor();
    expect(await page.locator('#signed-in-as').innerText()).to.equal('1101**********002X');
    await page.locator(`article[data-licence="${foodId}"]`).waitFor();
    expect(await page.locator('#agents-tab').isVisible()).to.equal(false); // an agent does not appoint agents
    await grantInvoiceConsent();
    await page.getByRole('button', { name: 'Grant consent' }).click();
    await page.getByText('Consent granted.').waitFor();
    await page.getByText(`granted by agent ${HOLDERS.personA}`).first().waitFor();
    await shot('portal-agent-en');
    const granted = (await vault.request('GET', '/me/consents', { token: await vault.holderToken(HOLDERS.companyA) })).body.items as Array<{ grantedByAgent: string | null; purpose: { text: string } }>;
    expect(granted.find((c) => c.purpose.text === '餐饮企业发票领用')?.grantedByAgent).to.equal(HOLDERS.personA);

    await signIn(HOLDERS.personB, HOLDERS.companyA);
    await page.locator('#portal-status').getByText(/not appointed/).waitFor();
    expect(await page.locator(`article[data-licence="${foodId}"]`).count()).to.equal(0);

    await signIn(HOLDERS.companyA);
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.locator('article[data-agent]').first().getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Agent revoked.').waitFor();
    expect(await page.locator('article[data-agent]').first().getByText('Revoked').isVisible()).to.equal(true);

    // Appointed again for consents only: the agent sees the company's consents, not its licences or tracker.
    await page.getByLabel("Agent's resident ID number").fill(HOLDERS.personA);
    await page.getByLabel('read and download licences').uncheck();
    await page.getByLabel('read the data tracker').uncheck();
    await page.getByRole('button', { name: 'Appoint agent' }).click();
    await page.getByText('Agent appointed.').waitFor();
    expect(await page.locator('article[data-agent]').first().getByText('grant, inspect and withdraw consents').isVisible()).to.equal(true);
    await signIn(HOLDERS.personA, HOLDERS.companyA);
    await page.locator('#licences-current').getByText('Your appointment as agent does not cover this.').waitFor();
    expect(await page.locator(`article[data-licence="${foodId}"]`).count()).to.equal(0);
    await page.getByRole('link', { name: 'Consents', exact: true }).click();
    await page.locator('#consents').getByText('For “Invoice application for a catering business”').waitFor();
    await page.getByRole('link', { name: 'Data use', exact: true }).click();
    await page.locator('#accesses').getByText('Your appointment as agent does not cover this.').waitFor();
    await shot('portal-agent-consents-only-en');
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  it('verifies a valid, a tampered and a revoked licence in the browser, with a receipt file (the offline path)', async () => {
    const fetchPdf = async (id: string) => (await vault.request('GET', `/licences/${id}/document`, { token: market })).bytes;
    const fetchReceipt = async (id: string) => new TextEncoder().encode(JSON.stringify((await vault.request('GET', `/licences/${id}/receipt`, { token: market })).body));
    const validPdf = await fetchPdf(foodId);
    const validPath = saveBytes('valid.pdf', validPdf);
    const receiptPath = saveBytes('valid.receipt.json', await fetchReceipt(foodId));
    const posts: Array<{ url: string; bytes: number }> = [];
    page.on('request', (r) => { if (r.method() === 'POST') posts.push({ url: new URL(r.url()).pathname, bytes: r.postDataBuffer()?.length ?? 0 }); });

    /** The receipt goes in under "Technical details" (the offline path); the PDF then starts the check. */
    const verify = async (pdfPath: string, receipt: string) => {
      await page.goto(`${vault.baseUrl}/app/verify.html`);
      await page.getByText('Technical details: check offline with a receipt').click();
      await page.getByLabel('Receipt file (JSON, optional)').setInputFiles(receipt);
      await page.getByLabel('Licence PDF').setInputFiles(pdfPath);
      await page.locator('#verdict').waitFor();
      await page.locator('#technical summary').click();
      return (await page.locator('#verdict').innerText()).trim();
    };
    const state = (check: string) => page.locator(`li[data-check="${check}"]`).getAttribute('data-state');

    expect(await verify(validPath, receiptPath)).to.equal('Valid');
    expect(await page.locator('li.check[data-state="pass"]').count()).to.equal(7);
    expect(await page.getByText('The file is exactly the one recorded in the log.').isVisible()).to.equal(true);
    expect(await page.locator('#technical').getByText('the receipt file you chose').isVisible()).to.equal(true);
    await shot('verify-valid');

    const tampered = validPdf.slice();
    const at = Math.floor(tampered.length / 3);
    tampered[at] = (tampered[at] as number) ^ 0x01;
    expect(await verify(saveBytes('tampered.pdf', tampered), receiptPath)).to.equal('Tampered');
    expect(await state('documentHash')).to.equal('fail');
    expect(await page.locator('li[data-check="documentHash"]').getByText('DOCUMENT_HASH_MISMATCH').isVisible()).to.equal(true);
    expect(await page.getByText('The file differs from the one recorded in the log').isVisible()).to.equal(true);
    await shot('verify-tampered');

    const revokedPdf = saveBytes('revoked.pdf', await fetchPdf(revokedId));
    const revokedReceipt = saveBytes('revoked.receipt.json', await fetchReceipt(revokedId));
    expect((await vault.request('POST', `/licences/${revokedId}/status-changes`, { token: market, json: { action: 'revoke', reason: 'obtained by fraud' } })).status).to.equal(200);
    await vault.vault.anchorer.runOnce(true);
    // the QR code's target: the number, with the verification code in the fragment
    await page.goto(`${vault.baseUrl}/verify/${revokedId}#${revokedCode.replace(/-/g, '')}`);
    await page.locator('#verdict').getByText(/^Revoked/).waitFor();
    expect(await verify(revokedPdf, revokedReceipt)).to.match(/^Revoked \(/);
    expect(await state('status')).to.equal('fail');
    expect(await state('signature')).to.equal('pass');
    expect(await page.getByText('The ledger says this licence has been revoked.').isVisible()).to.equal(true);
    await shot('verify-revoked');
    expect(posts.filter((p) => p.url === '/verify'), 'the PDF is never uploaded').to.deep.equal([]);
    expect(posts.filter((p) => p.bytes > 1000), 'no request carries the file').to.deep.equal([]);
  });

  it('shows the auditor the checkpoint that anchored the licence, its consistency and the licence history', async () => {
    const receipt = (await vault.request('GET', `/licences/${foodId}/receipt`, { token: market })).body;
    await page.goto(`${vault.baseUrl}/app/auditor.html`);
    await page.getByText('Paste an access token (for experts)').click();
    await page.getByLabel('Access token').fill(auditor);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByText('Token set').waitFor();
    const row = page.locator(`#checkpoint-table tr[data-size="${receipt.treeSize}"]`);
    await row.waitFor();
    expect(await row.getByText(receipt.anchor.txId, { exact: false }).isVisible()).to.equal(true);
    await page.getByText(/Anchoring lag: .* 0 leaves behind/).waitFor();
    await page.getByRole('button', { name: 'Check consistency' }).click();
    await page.getByText(/Consistent: the size \d+ tree extends the size \d+ tree/).waitFor();
    await page.locator('#alerts').getByText(/No exchange alerts|Chaoyang/).first().waitFor();
    await page.getByLabel('Licence number').fill(revokedId);
    await page.getByRole('button', { name: 'Show history' }).click();
    await page.locator('#history-table').getByText('Active → Revoked').waitFor();
    expect(await page.locator('#history-table').getByText('obtained by fraud').isVisible()).to.equal(true);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const exported = fs.readFileSync(await download.path(), 'utf8').trimEnd().split(/\r?\n/);
    expect(exported.length).to.be.at.least(1); // the header; filters and rows: test/web/auditor.test.ts
    await page.getByText(/Downloaded access-log-.*\.csv \(\d+ records\)/).waitFor();
    await shot('auditor');
    expect(externalRequests, 'no request leaves the vault').to.deep.equal([]);
    expect(consoleErrors.filter((e) => !/status of 4\d\d/.test(e))).to.deep.equal([]);
  });
});
