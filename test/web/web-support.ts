/**
 * Shared by the browser tests and bench/pages.ts: Debian's Chromium driven by playwright-core, and
 * screenshots of one state in both languages at a phone's and a desktop's width.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const SHOTS = path.resolve('test-output', 'web');
export const WIDTHS = [390, 1280] as const;
export const LANGS = ['zh-CN', 'en'] as const;
export type PageLang = (typeof LANGS)[number];

export interface Browsing {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A persistent Chromium profile in a temporary directory (so localStorage and the HTTP cache behave as on a phone). */
export async function launchChromium(options: { args?: string[]; locale?: string; deviceScaleFactor?: number } = {}): Promise<Browsing> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    viewport: { width: 390, height: 844 },
    acceptDownloads: true,
    locale: options.locale ?? 'en-US',
    deviceScaleFactor: options.deviceScaleFactor ?? 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** What a licence's QR code holds: `<base>/verify/<id>#<code without dashes>`. */
export function qrLandingUrl(base: string, licenceId: string, code: string): string {
  return `${base}/verify/${encodeURIComponent(licenceId)}#${code.replace(/-/g, '')}`;
}

/** Switches the page's language with its own button (the choice is remembered, as a person's would be). */
export async function setLang(page: Page, lang: PageLang): Promise<void> {
  if ((await page.evaluate(() => document.documentElement.lang)) !== lang) {
    // A modal dialog (the portal's 亮证 screen) keeps the pointer off the header: press the button from script then.
    if (await page.evaluate(() => document.querySelector('dialog[open]') !== null)) await page.evaluate(() => document.getElementById('lang-switch')?.click());
    else await page.locator('#lang-switch').click();
  }
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

/**
 * Screenshots of the page as it is, in zh-CN and English, at 390 px and 1280 px: `<name>-<lang>-<width>.png`.
 * `fullPage: false` for a modal dialog, which covers the viewport, not the page.
 */
export async function shootAll(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string[]> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const before = page.viewportSize() ?? { width: 390, height: 844 };
  const files: string[] = [];
  for (const lang of LANGS) {
    await setLang(page, lang);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
      const file = path.join(SHOTS, `${name}-${lang}-${width}.png`);
      await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
      files.push(file);
    }
  }
  await setLang(page, 'en');
  await page.setViewportSize(before);
  return files;
}
