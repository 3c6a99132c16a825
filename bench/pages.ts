/**
 * `npm run bench pages`: the verification page in Chromium (Debian's, via playwright-core) against a vault on
 * the embedded defaults:
 *   - time from opening the page to the verdict on screen, for a QR landing (`/verify/<id>#<code>`, redirect
 *     included) and for a PDF dropped on the page as soon as it has loaded — p50 and p90 over BENCH_PAGES_N
 *     runs (50) each, warm cache (a clerk's browser), with the first, cold run reported beside them; and for
 *     the PDF, the part from the drop to the verdict (hashing, metadata, card, verifier);
 *   - bytes transferred (sum of response bodies as received) for a first QR landing with an empty cache, and
 *     for the same landing again with the cache.
 * Times are read in the page (performance.now() against the navigation's start), so the driver's own
 * round trips do not count. Figures, not assertions. Run alone: `npx tsx bench/pages.ts`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { businessLicenceRequest, DEPARTMENTS, TestVault } from '../test/support/test-vault.ts';
import { launchChromium, qrLandingUrl } from '../test/web/web-support.ts';

const RUNS = Number(process.env.BENCH_PAGES_N ?? 50);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return +sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!.toFixed(1);
}

/**
 * Marks, in every page the browser opens: when a file change or drop starts a check, and when the verdict
 * appears (the first #verdict heading), in ms since the navigation started.
 */
const MARKS = `(() => {
  const w = window;
  document.addEventListener('drop', () => { w.__checkStartedAt ??= performance.now(); }, true);
  document.addEventListener('change', () => { w.__checkStartedAt ??= performance.now(); }, true);
  addEventListener('load', () => { w.__loadedAt = performance.now(); });
  new MutationObserver(() => {
    if (w.__verdictAt === undefined && document.getElementById('verdict')) w.__verdictAt = performance.now();
  }).observe(document, { childList: true, subtree: true });
})();`;

interface Marks { verdictAt: number; checkStartedAt: number | null; loadedAt: number | null }

async function marks(page: Page): Promise<Marks> {
  await page.waitForFunction(() => (window as { __verdictAt?: number }).__verdictAt !== undefined, null, { timeout: 30_000 });
  return page.evaluate(() => {
    const w = window as { __verdictAt?: number; __checkStartedAt?: number; __loadedAt?: number };
    return { verdictAt: w.__verdictAt!, checkStartedAt: w.__checkStartedAt ?? null, loadedAt: w.__loadedAt ?? null };
  });
}

async function dropPdf(page: Page, pdf: number[]): Promise<void> {
  const transfer = await page.evaluateHandle((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'licence.pdf', { type: 'application/pdf' }));
    return dt;
  }, pdf);
  await page.locator('#drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
}

/** Bytes of the response bodies as they came over the wire (none for a 304 or a cache hit), while `run` runs. */
async function transferred(page: Page, run: () => Promise<void>): Promise<{ bytes: number; requests: number; fromNetwork: number }> {
  const sizes: Array<Promise<number>> = [];
  // responseBodySize is the encoded size received; a response served from the cache reports nothing (≤ 0).
  const listener = (request: import('playwright-core').Request) => { sizes.push(request.sizes().then((s) => Math.max(0, s.responseBodySize)).catch(() => 0)); };
  page.on('requestfinished', listener);
  await run();
  await page.waitForLoadState('networkidle');
  page.off('requestfinished', listener);
  const each = await Promise.all(sizes);
  return { bytes: each.reduce((a, b) => a + b, 0), requests: each.length, fromNetwork: each.filter((b) => b > 0).length };
}

export async function pagesBench(results: Record<string, unknown>): Promise<void> {
  const vault = await TestVault.start({ env: { VERIFY_RATE_LIMIT_PER_MINUTE: '1000000' } });
  const browsing = await launchChromium();
  try {
    const market = await vault.departmentToken(DEPARTMENTS.market);
    const issued = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body as { id: string; verificationCode: string };
    await vault.vault.anchorer.runOnce(true);
    const pdf = [...(await vault.request('GET', `/licences/${issued.id}/document`, { token: market })).bytes];
    const landing = qrLandingUrl(vault.baseUrl, issued.id, issued.verificationCode);
    const { page, context } = browsing;
    await context.addInitScript(MARKS);

    // Bytes: a first landing on an empty cache, then the same landing again.
    const first = await transferred(page, async () => { await page.goto(landing); await marks(page); });
    const repeat = await transferred(page, async () => { await page.goto(landing); await marks(page); });

    // Page open → verdict, QR landing.
    const qr: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto(landing);
      qr.push((await marks(page)).verdictAt);
    }

    // A PDF dropped on the page: the page's load, and the drop → verdict. Their sum is page open → verdict for
    // a file dropped the moment the page is ready (the driver's own delay between the two is left out).
    const pdfOpen: number[] = [];
    const pdfLoad: number[] = [];
    const pdfDrop: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto(`${vault.baseUrl}/app/verify.html`);
      await dropPdf(page, pdf);
      const m = await marks(page);
      if ((await page.locator('#verdict').innerText()).trim() !== 'Valid') throw new Error(`the PDF was not judged valid: ${await page.locator('#verdict').innerText()}`);
      const drop = m.verdictAt - (m.checkStartedAt ?? 0);
      pdfLoad.push(m.loadedAt ?? 0);
      pdfDrop.push(drop);
      pdfOpen.push((m.loadedAt ?? 0) + drop);
    }

    const bundle = fs.statSync(path.join((await import('../src/web/web-assets.ts').then((m) => m.webStaticMounts()))[0]!.directory, 'verify.js')).size;
    const figures = {
      runs: RUNS,
      qrLandingToVerdictMs: { p50: percentile(qr, 50), p90: percentile(qr, 90), firstRun: +qr[0]!.toFixed(1) },
      pdfPageOpenToVerdictMs: { p50: percentile(pdfOpen, 50), p90: percentile(pdfOpen, 90), firstRun: +pdfOpen[0]!.toFixed(1) },
      pdfPageLoadMs: { p50: percentile(pdfLoad, 50), p90: percentile(pdfLoad, 90) },
      pdfDropToVerdictMs: { p50: percentile(pdfDrop, 50), p90: percentile(pdfDrop, 90), firstRun: +pdfDrop[0]!.toFixed(1) },
      pdfBytes: pdf.length,
      firstLoad: first,
      repeatLoad: repeat,
      verifyJsBytes: bundle,
    };
    console.log(`\npages: the verification page in Chromium (${RUNS} runs each, warm cache; times from the page's navigation start)`);
    console.table({
      'QR landing → verdict (ms)': { p50: figures.qrLandingToVerdictMs.p50, p90: figures.qrLandingToVerdictMs.p90, 'first run': figures.qrLandingToVerdictMs.firstRun },
      'PDF: page open → verdict (ms)': { p50: figures.pdfPageOpenToVerdictMs.p50, p90: figures.pdfPageOpenToVerdictMs.p90, 'first run': figures.pdfPageOpenToVerdictMs.firstRun },
      '  of which page load (ms)': { p50: figures.pdfPageLoadMs.p50, p90: figures.pdfPageLoadMs.p90, 'first run': '' },
      '  of which drop → verdict (ms)': { p50: figures.pdfDropToVerdictMs.p50, p90: figures.pdfDropToVerdictMs.p90, 'first run': figures.pdfDropToVerdictMs.firstRun },
    });
    console.table({
      'first QR landing (empty cache)': first,
      'repeat QR landing (cached)': repeat,
    });
    console.log(`verify.js on disk: ${bundle} bytes (served gzipped: the transfer is in the table above); the PDF: ${pdf.length} bytes\n`);
    results.pages = figures;
  } finally {
    await browsing.close();
    await vault.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version } };
  await pagesBench(results);
  console.log(JSON.stringify(results.pages));
}
