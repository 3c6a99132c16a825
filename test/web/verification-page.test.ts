/**
 * The verification page a clerk lands on (issue 18, "verification a clerk can trust at a glance"), in a real
 * browser (Debian's Chromium via playwright-core) against a running vault: one headline decided by the worst
 * fact, the licence as a card, a PDF always judged on its status, 亮证 codes checked offline, and nothing
 * green for a licence that is not valid today. Assertions are on visible text; every state is photographed
 * in zh-CN and English at 390 px and 1280 px under test-output/web/ (verify-*.png).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as jsqrModule from 'jsqr';
import QRCode from 'qrcode';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { EmbeddedLedger } from '../../src/ledger/embedded-ledger.ts';
import { openTestDatabase } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { SwitchableLedger } from '../support/switchable-ledger.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, qualificationRequest, TestVault } from '../support/test-vault.ts';
import { launchChromium, qrLandingUrl, setLang, shootAll } from './web-support.ts';
import type { Browsing } from './web-support.ts';

const FOOD = () => ({
  type: 'food-business-licence',
  holder: { id: HOLDERS.companyA, name: '北京𠮷𪚥餐饮管理有限公司' },
  fields: { legalRepresentative: '张𠮷', premises: '北京市朝阳区建国路1号', mainBusinessFormat: '餐饮服务经营者', businessItems: '热食类食品制售', supervisoryAuthority: '建外市场监督管理所' },
});
const HEALTH_EXPIRED = () => ({
  type: 'health-certificate',
  holder: { id: HOLDERS.personA, name: '张𠮷' },
  fields: { examinedOn: '2024-02-18', examiningInstitution: '朝阳区疾病预防控制中心', conclusion: '合格' },
  validFrom: '2024-02-20',
  validUntil: '2025-02-19',
});
/** jsQR is CommonJS with an ES-module default: whichever way the loader hands it over. */
type QrDecoder = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsqrDefault = (jsqrModule as unknown as { default: unknown }).default;
const decodeQr = (typeof jsqrDefault === 'function' ? jsqrDefault : (jsqrDefault as { default: unknown }).default) as QrDecoder;
/** A licence number of the right shape and check character that no licence has. */
const FAKE_ID = 'BL.111101050000100149.0000000099.01.U';

interface Issued { id: string; code: string; pdf: string }

/** One 640×480 YUV 4:2:0 frame (Y4M, as Chromium's fake camera reads it) showing `text` as a QR code. */
function qrVideoFrame(text: string): Buffer {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const [width, height] = [640, 480];
  const scale = Math.floor(440 / (modules.size + 8));
  const left = Math.floor((width - modules.size * scale) / 2);
  const top = Math.floor((height - modules.size * scale) / 2);
  const luma = Buffer.alloc(width * height, 235);
  for (let y = 0; y < modules.size * scale; y++) {
    for (let x = 0; x < modules.size * scale; x++) {
      if (modules.get(Math.floor(y / scale), Math.floor(x / scale))) luma[(top + y) * width + left + x] = 16;
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\nFRAME\n`), luma, chroma]);
}

describe('verification page: one verdict a clerk can act on', function () {
  this.timeout(180_000);
  let vault: TestVault;
  let browsing: Browsing;
  let page: Page;
  let tmp: string;
  let market: string;
  let hrss: string;
  const issued: Record<'food' | 'revoked' | 'suspended' | 'expired' | 'renewedOld' | 'renewedNew' | 'qualification', Issued> = {} as never;
  const consoleErrors: string[] = [];
  const externalRequests: string[] = [];
  const posts: string[] = [];

  const save = (name: string, bytes: Uint8Array) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const issue = async (token: string, body: unknown): Promise<{ id: string; code: string }> => {
    const res = await vault.request('POST', '/licences', { token, json: body });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return { id: res.body.id, code: res.body.verificationCode };
  };
  const fetchPdf = async (id: string, token: string) => {
    const res = await vault.request('GET', `/licences/${id}/document`, { token });
    expect(res.status).to.equal(200);
    return res.bytes;
  };
  const changeStatus = async (id: string, action: string) => {
    const res = await vault.request('POST', `/licences/${id}/status-changes`, { token: market, json: { action, reason: action === 'revoke' ? '以欺骗手段取得' : '停业整顿' } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  };

  /** The page's headline, once a result is drawn (waits for a verdict other than `previous`). */
  const verdict = async () => {
    await page.locator('#verdict').waitFor();
    return (await page.locator('#verdict').innerText()).trim();
  };
  const openQr = async (x: { id: string; code: string }) => {
    await page.goto(qrLandingUrl(vault.baseUrl, x.id, x.code));
    return verdict();
  };
  const checkPdfAlone = async (file: string) => {
    await page.goto(`${vault.baseUrl}/app/verify.html`);
    await page.getByLabel('Licence PDF').setInputFiles(file);
    return verdict();
  };
  /** Nothing on the page says "valid" in green: no green banner, no green check, no "ledger says valid" line. */
  const expectNothingGreen = async (p: Page = page) => {
    expect(await p.locator('.verdict-banner.ok, section.result.ok').count()).to.equal(0);
    const body = await p.locator('body').innerText();
    expect(body).not.to.include('账本显示证照有效');
    expect(body).not.to.match(/^Valid$/m);
    const greens = await p.evaluate(() => Array.from(document.querySelectorAll('#result *')).filter((n) => {
      const c = getComputedStyle(n);
      return c.backgroundColor === 'rgb(218, 251, 225)' || c.color === 'rgb(17, 99, 41)';
    }).length);
    expect(greens, 'green elements in the result').to.equal(0);
  };
  const why = async () => (await page.locator('#why').innerText()).trim();

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-verify-page-'));
    vault = await TestVault.start({ env: { VERIFY_RATE_LIMIT_PER_MINUTE: '100000' } });
    [market, hrss] = await Promise.all([vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.hrss)]);
    const food = await issue(market, FOOD());
    const revoked = await issue(market, businessLicenceRequest());
    const suspended = await issue(market, businessLicenceRequest({ holder: { id: HOLDERS.companyB, name: '北京示例科技有限公司' } }));
    const expired = await issue(hrss, HEALTH_EXPIRED());
    const renewedOld = await issue(hrss, qualificationRequest(HOLDERS.personB, '李四'));
    const qualification = await issue(hrss, qualificationRequest(HOLDERS.personA, '张𠮷'));
    await vault.vault.anchorer.runOnce(true);
    const pdfs = await Promise.all([
      fetchPdf(food.id, market), fetchPdf(revoked.id, market), fetchPdf(suspended.id, market), fetchPdf(expired.id, hrss), fetchPdf(renewedOld.id, hrss), fetchPdf(qualification.id, hrss),
    ]);
    await changeStatus(revoked.id, 'revoke');
    await changeStatus(suspended.id, 'suspend');
    const renewal = await vault.request('POST', `/licences/${renewedOld.id}/renewals`, { token: hrss, json: { reason: '证书到期换发' } });
    expect(renewal.status, JSON.stringify(renewal.body)).to.equal(201);
    const renewedNew = { id: renewal.body.id as string, code: renewal.body.verificationCode as string };
    await vault.vault.anchorer.runOnce(true);
    const names = ['food', 'revoked', 'suspended', 'expired', 'renewedOld', 'qualification'] as const;
    for (const [i, x] of [food, revoked, suspended, expired, renewedOld, qualification].entries()) issued[names[i]!] = { ...x, pdf: save(`${names[i]}.pdf`, pdfs[i]!) };
    issued.renewedNew = { ...renewedNew, pdf: save('renewed-new.pdf', await fetchPdf(renewedNew.id, hrss)) };

    browsing = await launchChromium();
    page = browsing.page;
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(new URL(r.url()).pathname);
      if (!r.url().startsWith(vault.baseUrl) && !/^(blob|data):/.test(r.url())) externalRequests.push(r.url());
    });
  });
  after(async () => {
    await browsing?.close();
    await vault?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('shows the public only what the public can use, and nothing before there is a result', async () => {
    await page.goto(`${vault.baseUrl}/app/verify.html`);
    await page.getByRole('heading', { name: 'Verify an e-licence' }).waitFor();
    expect(await page.locator('header a').count(), 'no links to the portal or the auditor view').to.equal(0);
    const body = await page.locator('body').innerText();
    expect(body).not.to.match(/Auditor|My licences|审计|我的证照/);
    expect(await page.locator('#result').isVisible()).to.equal(false);
    expect(await page.locator('#verdict').count()).to.equal(0);
    // The main view speaks plainly: none of the machinery's words before "Technical details".
    const main = await page.locator('main').evaluate((m) => {
      const clone = m.cloneNode(true) as HTMLElement;
      for (const d of Array.from(clone.querySelectorAll('details'))) d.remove();
      return clone.innerText;
    });
    expect(main).not.to.match(/SHA-256|ledger|receipt|checkpoint|transparency/i);
    await shootAll(page, 'verify-start');
    await setLang(page, 'zh-CN');
    const zh = await page.locator('main').evaluate((m) => {
      const clone = m.cloneNode(true) as HTMLElement;
      for (const d of Array.from(clone.querySelectorAll('details'))) d.remove();
      return clone.innerText;
    });
    expect(zh).not.to.match(/账本|回执|检查点|透明日志|SHA-256/);
    await setLang(page, 'en');
  });

  it('lands on a licence card from its QR code: 有效, type, masked holder, issuer and validity', async () => {
    expect(await openQr(issued.food)).to.equal('Valid');
    expect(page.url()).to.include(`/app/verify.html?licence=${encodeURIComponent(issued.food.id)}`);
    const card = page.locator('#licence-card');
    expect(await card.getByText('Food Business Licence').isVisible()).to.equal(true);
    expect(await card.getByText('北京𠮷**有限公司').isVisible()).to.equal(true);
    expect(await card.getByText('Chaoyang District Administration for Market Regulation').isVisible()).to.equal(true);
    expect(await card.getByText(/^\d{1,2} \w+ \d{4} to \d{1,2} \w+ \d{4}$/).isVisible()).to.equal(true);
    expect(await card.getByText(issued.food.id).isVisible()).to.equal(true);
    expect(await page.locator('section.result.ok .verdict-banner.ok').isVisible()).to.equal(true);
    expect(await page.locator('#technical').evaluate((d) => (d as HTMLDetailsElement).open)).to.equal(false);
    await shootAll(page, 'verify-valid-qr');
    await setLang(page, 'zh-CN');
    expect(await verdict()).to.equal('有效');
    expect(await card.getByText('食品经营许可证').isVisible()).to.equal(true);
    expect(await card.getByText('朝阳区市场监督管理局').isVisible()).to.equal(true);
    expect(await card.getByText(/^\d{4}年\d{1,2}月\d{1,2}日 至 \d{4}年\d{1,2}月\d{1,2}日$/).isVisible()).to.equal(true);
    await setLang(page, 'en');
  });

  it('asks for the verification code when the QR URL carries none, and shows nothing of the licence', async () => {
    await page.goto(`${vault.baseUrl}/verify/${issued.food.id}`);
    await page.getByText(`To see licence ${issued.food.id}, enter the 16-character verification code`).waitFor();
    expect(await page.locator('#code').evaluate((n) => n === document.activeElement)).to.equal(true);
    expect(await page.locator('#result').isVisible()).to.equal(false);
    const body = await page.locator('body').innerText();
    expect(body).not.to.include('北京𠮷');
    expect(body).not.to.include('Food Business Licence');
    await shootAll(page, 'verify-ask-code');
    await page.getByLabel('Verification code').fill('1234');
    await page.getByRole('button', { name: 'Check', exact: true }).first().click();
    await page.getByText('A verification code has 16 letters and digits').waitFor();
    await page.getByLabel('Verification code').fill(issued.food.code.toLowerCase());
    await page.locator('#code-form').getByRole('button', { name: 'Check' }).click();
    expect(await verdict()).to.equal('Valid');
  });

  it('says 查无此证 for a made-up number and for a wrong code, and a sentence (never JSON) for a wrong check character', async () => {
    expect(await openQr({ id: FAKE_ID, code: issued.food.code })).to.equal('Not found — do not accept');
    expect(await why()).to.include('No licence matches this licence number and verification code');
    expect(await page.locator('#licence-card').count()).to.equal(0);
    await expectNothingGreen();
    await shootAll(page, 'verify-not-found-fake-id');

    const wrongCode = issued.food.code.replace(/^./, (c) => (c === '2' ? '3' : '2'));
    expect(await openQr({ id: issued.food.id, code: wrongCode })).to.equal('Not found — do not accept');
    expect(await page.locator('body').innerText()).not.to.include('北京𠮷');
    await setLang(page, 'zh-CN');
    expect(await verdict()).to.equal('查无此证，请勿受理');
    await setLang(page, 'en');
    await shootAll(page, 'verify-not-found-wrong-code');

    const badCheck = FAKE_ID.replace(/U$/, 'V');
    expect(await openQr({ id: badCheck, code: issued.food.code })).to.equal('Not found — do not accept');
    expect(await why()).to.include(`There is no licence number “${badCheck}”: its last character, a check character, is wrong`);
    const text = await page.locator('main').innerText();
    expect(text).not.to.match(/[{}]|"code"|LICENCE_ID_INVALID|problem/);
    await shootAll(page, 'verify-invalid-id');
  });

  const judged: Array<{ name: 'revoked' | 'suspended' | 'expired' | 'renewedOld'; en: RegExp; zh: RegExp; sentence: RegExp }> = [
    { name: 'revoked', en: /^Revoked \(\d{1,2} \w+ \d{4}\)$/, zh: /^已撤销（\d{4}年\d{1,2}月\d{1,2}日）$/, sentence: /has revoked this licence\. Do not accept it/ },
    { name: 'suspended', en: /^Suspended \(since \d{1,2} \w+ \d{4}\)$/, zh: /^已暂停（\d{4}年\d{1,2}月\d{1,2}日起）$/, sentence: /This licence is suspended/ },
    { name: 'expired', en: /^Expired \(19 February 2025\)$/, zh: /^已过期（2025年2月19日到期）$/, sentence: /stopped being valid on 19 February 2025/ },
    { name: 'renewedOld', en: /^Superseded/, zh: /^已换发/, sentence: /Ask the holder for the current licence, number / },
  ];
  for (const state of judged) {
    it(`judges ${{ revoked: 'a revoked', suspended: 'a suspended', expired: 'an expired', renewedOld: 'a superseded' }[state.name]} licence by its QR code and by its PDF alone, never green`, async () => {
      expect(await openQr(issued[state.name])).to.match(state.en);
      expect(await why()).to.match(state.sentence);
      await expectNothingGreen();
      if (state.name === 'renewedOld') expect(await page.locator('.verdict-sub').innerText()).to.equal(`Current licence: ${issued.renewedNew.id}`);
      await shootAll(page, `verify-${state.name}-qr`);
      await setLang(page, 'zh-CN');
      expect(await verdict()).to.match(state.zh);
      await setLang(page, 'en');

      // The PDF alone, without a receipt and without ticking anything: the status still decides.
      expect(await checkPdfAlone(issued[state.name].pdf)).to.match(state.en);
      await expectNothingGreen();
      expect(await page.getByText('Compared with licence').count()).to.equal(0);
      await shootAll(page, `verify-${state.name}-pdf`);
    });
  }

  it('checks a valid PDF in the browser (picked or dropped) without uploading it', async () => {
    const before = posts.length;
    expect(await checkPdfAlone(issued.food.pdf)).to.equal('Valid');
    expect(await why()).to.include('This file is unaltered, was issued by Chaoyang District Administration for Market Regulation and is valid today');
    await page.locator('#technical summary').click();
    expect(await page.locator('li.check[data-state="pass"]').count()).to.equal(7);
    expect(await page.locator('#technical').getByText(/CN=/).first().isVisible(), 'the certificate subject only under the details').to.equal(true);
    await shootAll(page, 'verify-valid-pdf');
    expect(posts.slice(before), 'the file is never uploaded (and no card was asked for by code)').to.deep.equal([]);

    // dropped onto the page
    await page.goto(`${vault.baseUrl}/app/verify.html`);
    const bytes = [...fs.readFileSync(issued.food.pdf)];
    const transfer = await page.evaluateHandle((b) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], 'licence.pdf', { type: 'application/pdf' }));
      return dt;
    }, bytes);
    await page.locator('#drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
    expect(await verdict()).to.equal('Valid');
  });

  it('says 文件被改动 for a PDF with one byte flipped, recognised from its own metadata, and never green', async () => {
    const tampered = new Uint8Array(fs.readFileSync(issued.food.pdf));
    const at = Math.floor(tampered.length / 2);
    tampered[at] = tampered[at]! ^ 0x01;
    expect(await checkPdfAlone(save('tampered.pdf', tampered))).to.equal('Tampered');
    expect(await why()).to.include('This file is not the one the issuing department issued');
    await expectNothingGreen();
    expect(await page.locator('body').innerText()).not.to.include('Not found');
    await shootAll(page, 'verify-tampered-pdf');
    await setLang(page, 'zh-CN');
    expect(await verdict()).to.equal('文件被改动');
    await page.locator('#technical summary').click();
    expect(await page.locator('body').innerText()).not.to.include('账本显示证照有效');
    await setLang(page, 'en');

    // A file that is not a PDF at all is named for what it is, not judged.
    await page.goto(`${vault.baseUrl}/app/verify.html`);
    await page.getByLabel('Licence PDF').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]) });
    await page.getByText('This is not a PDF file.').waitFor();
    expect(await page.locator('#result').isVisible()).to.equal(false);
  });

  it('flags the PDF of licence A checked after scanning the QR code of licence B', async () => {
    expect(await openQr(issued.revoked)).to.match(/^Revoked/);
    await page.getByRole('heading', { name: 'Check the file the holder gave you' }).waitFor();
    await page.getByLabel('Licence PDF').setInputFiles(issued.food.pdf);
    await page.locator('#result[data-verdict="tampered"]').waitFor();
    expect(await verdict()).to.equal('Wrong file — do not accept');
    expect(await why()).to.equal(`This file belongs to another licence (number ${issued.food.id}), not to the licence whose code you scanned (number ${issued.revoked.id}). Do not accept it.`);
    await expectNothingGreen();
    await shootAll(page, 'verify-other-licence-pdf');
    await setLang(page, 'zh-CN');
    expect(await verdict()).to.equal('文件与证照不符，请勿受理');
    expect(await why()).to.equal(`这份文件是另一份证照（编号 ${issued.food.id}）的文件，不是您扫码核验的证照（编号 ${issued.revoked.id}）。请勿受理。`);
    await setLang(page, 'en');
  });

  it('says plainly when there were too many checks (429)', async () => {
    await page.route('**/verify/licence-card', (route) => route.fulfill({ status: 429, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Too Many Requests', status: 429, code: 'RATE_LIMITED', detail: 'at most 60 requests per 60 s to /verify' }) }));
    try {
      expect(await openQr(issued.food)).to.equal('Could not check — try again later');
      expect(await why()).to.equal('Too many checks in a short time. Wait a minute and try again.');
      expect(await page.locator('main').innerText()).not.to.match(/RATE_LIMITED|[{}]/);
      await shootAll(page, 'verify-rate-limited');
    } finally {
      await page.unroute('**/verify/licence-card');
    }
  });

  it('reads a licence QR code typed by a USB scanner into the page', async () => {
    await page.goto(`${vault.baseUrl}/app/verify.html`);
    await page.getByLabel('Scanner input or pasted link').fill(`http://vault.test/verify/${issued.suspended.id}#${issued.suspended.code.replace(/-/g, '')}`);
    await page.getByLabel('Scanner input or pasted link').press('Enter');
    expect(await verdict()).to.match(/^Suspended/);
    await page.goto(`${vault.baseUrl}/app/verify.html`);
    await page.getByLabel('Scanner input or pasted link').fill('https://example.com/menu');
    await page.getByLabel('Scanner input or pasted link').press('Enter');
    await page.getByText('This is not the QR code of an e-licence').waitFor();
  });

  it('reads a licence QR code from the camera (jsQR on the video frames where the browser has no BarcodeDetector)', async () => {
    // Chromium's fake camera plays a Y4M file: one frame with the licence's QR code on it.
    const video = path.join(tmp, 'qr.y4m');
    fs.writeFileSync(video, qrVideoFrame(`http://vault.test/verify/${issued.food.id}#${issued.food.code.replace(/-/g, '')}`));
    const camera = await launchChromium({ args: ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`, '--use-fake-ui-for-media-stream'] });
    try {
      await camera.context.grantPermissions(['camera'], { origin: vault.baseUrl });
      await camera.page.goto(`${vault.baseUrl}/app/verify.html`);
      await camera.page.getByRole('button', { name: 'Scan with the camera' }).click();
      await camera.page.locator('#verdict').waitFor({ timeout: 20_000 });
      expect((await camera.page.locator('#verdict').innerText()).trim()).to.equal('Valid');
      expect(await camera.page.locator('#licence-card').getByText('北京𠮷**有限公司').isVisible()).to.equal(true);
      expect(await camera.page.locator('#camera-box').isVisible(), 'the camera stops once it has read a code').to.equal(false);
    } finally {
      await camera.close();
    }
  });

  describe('亮证: a licence shown from the holder’s phone', () => {
    let token: string;
    let verifyUrl: string;

    it('lets a holder show a licence as a refreshing QR code with a purpose, which the page reads back', async () => {
      // Its own browser: the fake clock (to skip to the refresh) belongs to a whole browser context.
      // A phone's screen density (2×), which the QR code's modules need to be read back from a screenshot.
      const clocked = await launchChromium({ deviceScaleFactor: 2 });
      const page = clocked.page;
      try {
      await page.clock.install();
      await page.goto(`${vault.baseUrl}/app/portal.html`);
      await page.locator('#signin-card:visible, #session-card:visible').first().waitFor();
      if (await page.locator('#session-card').isVisible()) await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Resident ID number or USCC').fill(HOLDERS.personA);
      await page.getByRole('button', { name: 'Sign in (development only)' }).click();
      const row = page.locator(`article[data-licence="${issued.qualification.id}"]`);
      await row.waitFor();
      await row.getByRole('button', { name: 'Show licence' }).click();
      const dialog = page.locator('#present-dialog');
      await dialog.getByRole('heading', { name: /^Show licence: Professional Qualification/ }).waitFor();
      await dialog.getByLabel(/^Qualification/).check();
      await dialog.getByLabel(/^Level/).check();
      await dialog.getByLabel('Purpose (optional)').fill('餐饮服务许可');
      await shootAll(page, 'portal-present-choose', { fullPage: false });
      const first = page.waitForResponse((r) => r.url().includes('/presentations') && r.status() === 201);
      await dialog.getByRole('button', { name: 'Show the code' }).click();
      const answer = await (await first).json() as { token: string; verifyUrl: string; refreshAfterSeconds: number };
      token = answer.token;
      const qr = dialog.locator('svg.qr');
      await qr.waitFor();
      expect(await dialog.locator('#present-purpose-band').innerText()).to.equal('For 餐饮服务许可 only');
      expect(await dialog.locator('#present-clock').innerText()).to.match(/^Refreshes in (60|59) s · valid until \d\d:\d\d:\d\d$/);
      await shootAll(page, 'portal-present', { fullPage: false });

      // The QR code on the screen is the presentation's verification URL.
      const png = await qr.screenshot();
      const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      const decoded = decodeQr(new Uint8ClampedArray(data), info.width, info.height);
      expect(decoded?.data).to.equal(answer.verifyUrl);
      verifyUrl = answer.verifyUrl.replace('http://vault.test', vault.baseUrl);

      // A minute later it asks for a new one by itself.
      const second = page.waitForResponse((r) => r.url().includes('/presentations') && r.status() === 201);
      await page.clock.fastForward(61_000);
      const renewed = await (await second).json() as { token: string };
      expect(renewed.token).not.to.equal(token);
      await page.waitForFunction((tk) => !document.querySelector('#present-dialog')?.textContent?.includes(tk), renewed.token);
      await dialog.getByRole('button', { name: 'Stop showing' }).click();
      expect(await dialog.isVisible()).to.equal(false);
      } finally {
        await clocked.close();
      }
    });

    it('verifies the code offline once the page has loaded, with the purpose stamped on the card, then rechecks online', async () => {
      const offline = await browsing.context.newPage();
      try {
        await offline.goto(`${vault.baseUrl}/app/verify.html`);
        await offline.waitForFunction(() => localStorage.getItem('licence-vault.jwks') !== null && localStorage.getItem('licence-vault.names') !== null);
        await browsing.context.setOffline(true);
        await offline.route('**', (r) => r.abort());
        await offline.getByLabel('Scanner input or pasted link').fill(verifyUrl);
        await offline.getByLabel('Scanner input or pasted link').press('Enter');
        await offline.locator('#verdict').waitFor();
        expect((await offline.locator('#verdict').innerText()).trim()).to.equal('Valid');
        expect(await offline.locator('#purpose').innerText()).to.equal('For 餐饮服务许可 only');
        expect(await offline.locator('#recheck-note').innerText()).to.match(/^Checked offline: the status is as of \d\d:\d\d:\d\d/);
        expect(await offline.locator('#code-clock').innerText()).to.match(/^Code valid until \d\d:\d\d:\d\d, [45]:\d\d left$/);
        const card = offline.locator('#licence-card');
        expect(await card.getByText('张*').isVisible()).to.equal(true);
        expect(await card.getByText('注册会计师').isVisible()).to.equal(true);
        // The code carries codes only; the names come from the catalogue the page kept.
        expect(await card.getByText('Chaoyang District Human Resources and Social Security Bureau').isVisible()).to.equal(true);
        expect(await card.getByText('Qualification', { exact: true }).isVisible()).to.equal(true);
        expect(await card.locator('.watermark span').first().innerText()).to.equal('For 餐饮服务许可 only');
        await shootAll(offline, 'verify-presentation-offline');
        await setLang(offline, 'zh-CN');
        expect(await offline.locator('#purpose').innerText()).to.equal('仅供餐饮服务许可使用');
        await setLang(offline, 'en');

        await offline.unroute('**');
        await browsing.context.setOffline(false);
        await offline.locator('#recheck-note').getByText(/^Status rechecked online at/).waitFor();
      } finally {
        await browsing.context.setOffline(false);
        await offline.close();
      }
    });

    it('refuses an expired code and an altered one in plain words', async () => {
      // Ten minutes on (a browser of its own: the clock belongs to the whole browser context).
      const tenMinutesOn = await launchChromium();
      const later = tenMinutesOn.page;
      try {
        await later.clock.install({ time: Date.now() + 10 * 60_000 });
        await later.goto(`${vault.baseUrl}/app/verify.html#p=${token}`);
        await later.locator('#verdict').waitFor();
        expect((await later.locator('#verdict').innerText()).trim()).to.equal('This code has expired');
        expect(await later.locator('#why').innerText()).to.include('Ask the holder to refresh it and show it again');
        expect(await later.locator('#licence-card').count()).to.equal(0);
        await expectNothingGreen(later);
        await shootAll(later, 'verify-presentation-expired');
      } finally {
        await tenMinutesOn.close();
      }
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
      claims.h = '王*';
      const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      await page.goto(`${vault.baseUrl}/app/verify.html#p=${forged}`);
      expect(await verdict()).to.equal('Not a genuine code — do not accept');
      expect(await page.locator('body').innerText()).not.to.include('王*');
      await expectNothingGreen();
      await shootAll(page, 'verify-presentation-forged');
    });
  });


  describe('afterwards', () => {
    it('sent nothing outside the vault and logged no script errors', () => {
      expect(externalRequests).to.deep.equal([]);
      expect(consoleErrors.filter((e) => !/status of 4\d\d|ERR_INTERNET_DISCONNECTED|ERR_FAILED|net::/.test(e))).to.deep.equal([]);
    });
  });
});

describe('verification page: the ledger does not answer', function () {
  this.timeout(180_000);
  let t: TestDatabase;
  let ledger: SwitchableLedger;
  let vault: TestVault;
  let browsing: Browsing;
  let licence: { id: string; code: string };
  let pdfPath: string;
  let tmp: string;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-verify-outage-'));
    t = await openTestDatabase('pglite');
    ledger = new SwitchableLedger(new EmbeddedLedger(t.db, crypto.randomBytes(32)));
    vault = await TestVault.start({ overrides: { db: t.db, ledger }, env: { VERIFY_RATE_LIMIT_PER_MINUTE: '100000' } });
    const market = await vault.departmentToken(DEPARTMENTS.market);
    const res = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
    licence = { id: res.body.id, code: res.body.verificationCode };
    await vault.vault.anchorer.runOnce(true);
    pdfPath = path.join(tmp, 'licence.pdf');
    fs.writeFileSync(pdfPath, (await vault.request('GET', `/licences/${licence.id}/document`, { token: market })).bytes);
    browsing = await launchChromium();
  });
  after(async () => {
    ledger.down = false;
    await browsing?.close();
    await vault?.stop();
    await t?.dispose();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('says 无法核验 — never 有效 — by QR code and by PDF while the ledger is down, and 有效 once it is back', async () => {
    const { page } = browsing;
    ledger.down = true;
    await page.goto(qrLandingUrl(vault.baseUrl, licence.id, licence.code));
    await page.locator('#verdict').waitFor();
    expect((await page.locator('#verdict').innerText()).trim()).to.equal('Could not check — try again later');
    expect(await page.locator('#why').innerText()).to.include('The verification service cannot be reached right now');
    expect(await page.locator('.verdict-banner.ok').count()).to.equal(0);
    await shootAll(page, 'verify-unreachable-qr');
    await setLang(page, 'zh-CN');
    expect((await page.locator('#verdict').innerText()).trim()).to.equal('无法核验，请稍后再试');
    await setLang(page, 'en');

    await page.goto(`${vault.baseUrl}/app/verify.html`);
    await page.getByLabel('Licence PDF').setInputFiles(pdfPath);
    await page.locator('#verdict').waitFor();
    expect((await page.locator('#verdict').innerText()).trim()).to.equal('Could not check — try again later');
    expect(await page.locator('.verdict-banner.ok').count()).to.equal(0);
    await shootAll(page, 'verify-unreachable-pdf');

    ledger.down = false;
    await page.goto(qrLandingUrl(vault.baseUrl, licence.id, licence.code));
    await page.locator('#verdict').waitFor();
    expect((await page.locator('#verdict').innerText()).trim()).to.equal('Valid');
  });
});
