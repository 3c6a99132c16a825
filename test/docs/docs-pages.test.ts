/**
 * The developer docs as a department developer sees them, in Debian's Chromium (playwright-core): /docs shows
 * the hand-written examples (not values generated from patterns), and the getting-started and error-code pages
 * read in Chinese and in English and fit a phone. Screenshots in zh-CN and English at 390 px and 1280 px go to
 * test-output/docs/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { TestVault } from '../support/test-vault.ts';
import { launchChromium } from '../web/web-support.ts';
import type { Browsing } from '../web/web-support.ts';

const SHOTS = path.resolve('test-output', 'docs');
const LANGS = ['zh-CN', 'en'] as const;
const WIDTHS = [390, 1280] as const;

describe('the developer docs in a browser', function () {
  this.timeout(180_000);
  let vault: TestVault;
  let browsing: Browsing;
  let page: Page;

  before(async () => {
    vault = await TestVault.start();
    browsing = await launchChromium({ locale: 'zh-CN' });
    page = browsing.page;
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browsing?.close();
    await vault?.stop();
  });

  /** Opens a page at each width and language, checks it, and photographs it. */
  async function eachView(pathname: string, name: string, check: (lang: (typeof LANGS)[number], width: number) => Promise<void>, opts: { hash?: string; prepare?: () => Promise<void> } = {}) {
    for (const lang of LANGS) {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
        await page.goto(`${vault.baseUrl}${pathname}?lang=${lang}${opts.hash ?? ''}`);
        await opts.prepare?.();
        await check(lang, width);
        // Nothing wider than the screen: a phone reader never scrolls sideways (code blocks scroll inside themselves).
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${name} ${lang} ${width}: page wider than the screen`).to.be.at.most(0);
        await page.screenshot({ path: path.join(SHOTS, `${name}-${lang}-${width}.png`), fullPage: name !== 'docs-reference' });
      }
    }
  }

  it('opens in the reader\'s language, and switches', async () => {
    await page.goto(`${vault.baseUrl}/docs/getting-started`);
    expect(await page.locator('h1').textContent()).to.equal('快速入门');
    const bar = page.locator('.docs-bar');
    await bar.getByRole('link', { name: 'English', exact: true }).click();
    expect(await page.locator('h1').textContent()).to.equal('Getting started');
    await bar.getByRole('link', { name: 'Error codes', exact: true }).click();
    expect(await page.locator('h1').textContent()).to.equal('Error codes');
    await bar.getByRole('link', { name: '中文', exact: true }).click();
    expect(await page.locator('h1').textContent()).to.equal('错误码');
  });

  it('shows the hand-written examples in the API reference, not values generated from patterns', async () => {
    await eachView('/docs', 'docs-reference', async (lang) => {
      const bar = await page.locator('.docs-bar').innerText();
      for (const label of lang === 'zh-CN' ? ['接口参考', '快速入门', '错误码', 'English'] : ['API reference', 'Getting started', 'Error codes', '中文']) expect(bar).to.include(label);
      const operation = page.locator('#operations-exchange-queryExchange');
      await operation.waitFor();
      const text = await operation.innerText();
      // The request example (the first of four) and the answer's, as openapi.yaml writes them.
      expect(text).to.include('11110105000010030Y-0002');
      expect(text).to.include('TAX-2026-0042');
      expect(text).to.include('北京市朝阳区建国路1号');
      expect(text).to.include('NO_CONSENT');
      expect(text, 'no value generated from a pattern').not.to.match(/"serviceItem": "[^"]*[{}|~][^"]*"/);
      expect(text).not.to.include('"string"');
    }, {
      // Swagger UI's deep link opens the exchange query with its examples.
      hash: '#/exchange/queryExchange',
      prepare: async () => {
        await page.locator('#operations-exchange-queryExchange .opblock-body').waitFor({ timeout: 30_000 });
        await page.locator('.docs-bar').screenshot({ path: path.join(SHOTS, `docs-reference-bar-${await page.evaluate(() => document.documentElement.lang)}-${page.viewportSize()!.width}.png`) });
        // The photograph shows the operation with its examples.
        await page.locator('#operations-exchange-queryExchange .opblock-body').scrollIntoViewIfNeeded();
      },
    });
  });

  it('reads the getting-started page in both languages, with a copy button on every command block', async () => {
    await eachView('/docs/getting-started', 'docs-getting-started', async (lang) => {
      const headings = await page.locator('main h2').allInnerTexts();
      expect(headings).to.have.length(8);
      expect(headings[2]).to.equal(lang === 'zh-CN' ? '第一步：部门获取访问令牌' : 'Step 1: a department gets an access token');
      expect(await page.locator('pre.commands').count()).to.equal(8);
      expect(await page.locator('pre.commands .copy-button').count()).to.equal(8);
      expect(await page.locator('pre.commands .copy-button').first().innerText()).to.equal(lang === 'zh-CN' ? '复制' : 'Copy');
      expect(await page.locator('#token').innerText()).to.include('dev-clients');
    });
  });

  it('lists every error code with its status and meaning, one card per code on a phone', async () => {
    await eachView('/docs/errors', 'docs-errors', async (lang, width) => {
      const row = page.locator('tr#NO_CONSENT');
      expect(await row.innerText()).to.include('403');
      expect(await row.innerText()).to.include(lang === 'zh-CN' ? '没有可用的依据' : 'No usable basis');
      expect(await page.locator('table.codes tbody tr').count()).to.be.greaterThan(100);
      const header = page.locator('table.codes thead').first();
      expect(await header.isVisible(), 'table header on a phone').to.equal(width >= 600);
    });
  });
});
