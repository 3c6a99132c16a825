import v8 from 'node:v8';
import vm from 'node:vm';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { isParseError, readManifest } from '../../src/digitize/manifest-reader.ts';
import type { ManifestReadInfo } from '../../src/digitize/manifest-reader.ts';
import { normaliseRow, sourceKey } from '../../src/digitize/row-normaliser.ts';
import type { NormaliseContext } from '../../src/digitize/row-normaliser.ts';
import { loadScan, ScanError } from '../../src/digitize/scan-reader.ts';
import { LicenceTypeCatalogue } from '../../src/catalogue/catalogue.ts';
import { getDefaultFontChain } from '../../src/pdf/fonts.ts';
import { generateMessyManifest, TODAY } from './messy-manifest-generator.ts';
import type { ExpectedCounts, GeneratedManifest, MessyManifestOptions } from './messy-manifest-generator.ts';
import { tempDir } from './helpers.ts';

const catalogue = LicenceTypeCatalogue.load();
const chain = getDefaultFontChain();

function context(g: GeneratedManifest): NormaliseContext {
  return {
    catalogue,
    missingGlyphs: (t) => chain.findMissingGlyphs(t),
    scanExists: (name) => fs.existsSync(path.join(g.scansDir, name)),
    today: TODAY,
  };
}

function hashDir(dir: string): string {
  const h = crypto.createHash('sha256');
  for (const name of fs.readdirSync(dir).sort()) {
    h.update(name).update('\0').update(fs.readFileSync(path.join(dir, name)));
  }
  return h.digest('hex');
}

/** What a batch would count: normaliser, then source-key idempotency, then scans. */
async function runBatch(g: GeneratedManifest, options: { encoding?: 'auto' | 'gb18030' } = {}): Promise<{ counts: Omit<ExpectedCounts, 'traits' | 'totalRows'> & { totalRows: number }; info: Partial<ManifestReadInfo>; mismatches: string[] }> {
  const ctx = context(g);
  const issuedHash = new Map<string, string>();
  const normaliserRejected: Record<string, number> = {};
  const scanRejected: Record<string, number> = {};
  const mismatches: string[] = [];
  let totalRows = 0;
  let normaliserOk = 0;
  let duplicates = 0;
  let conflicts = 0;
  const info: Partial<ManifestReadInfo> = {};
  for await (const item of readManifest(g.manifestPath, { encoding: options.encoding ?? 'auto' }, info)) {
    totalRows++;
    if (isParseError(item)) {
      mismatches.push(`row ${item.rowNumber}: parse error ${item.parseError}`);
      continue;
    }
    const result = normaliseRow(item.raw, ctx);
    const injected = g.rejectedRows.get(item.rowNumber);
    if (!result.ok) {
      const codes = [...new Set(result.errors.map((e) => e.code))];
      if (codes.length !== 1 || codes[0] !== injected) mismatches.push(`row ${item.rowNumber}: expected ${injected ?? 'ok'}, got ${JSON.stringify(result.errors)}`);
      normaliserRejected[codes[0]!] = (normaliserRejected[codes[0]!] ?? 0) + 1;
      continue;
    }
    normaliserOk++;
    const key = sourceKey(result.row);
    const earlier = issuedHash.get(key);
    if (earlier !== undefined) {
      if (earlier === result.row.contentSha256) duplicates++;
      else conflicts++;
      continue;
    }
    let scanError: ScanError | null = null;
    for (const name of result.row.scans) {
      try {
        await loadScan(path.join(g.scansDir, name));
      } catch (err) {
        if (!(err instanceof ScanError)) throw err;
        scanError = err;
        break;
      }
    }
    if (scanError) {
      if (injected !== scanError.code) mismatches.push(`row ${item.rowNumber}: expected ${injected ?? 'ok'}, got scan ${scanError.message}`);
      scanRejected[scanError.code] = (scanRejected[scanError.code] ?? 0) + 1;
      continue;
    }
    if (injected) mismatches.push(`row ${item.rowNumber}: expected ${injected}, but it passed`);
    issuedHash.set(key, result.row.contentSha256);
  }
  return {
    counts: {
      totalRows,
      normaliserOk,
      normaliserRejected,
      scanRejected,
      rejected: { ...normaliserRejected, ...scanRejected },
      issued: issuedHash.size,
      duplicates,
      conflicts,
    },
    info,
    mismatches,
  };
}

function withoutTraits(e: ExpectedCounts): Omit<ExpectedCounts, 'traits'> {
  const { traits: _traits, ...rest } = e;
  return rest;
}

describe('digitize: messy manifest generator', function () {
  this.timeout(60_000);
  const root = tempDir('messy');
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const gen = (name: string, options: Omit<MessyManifestOptions, 'dir'>): GeneratedManifest =>
    generateMessyManifest({ dir: path.join(root, name), ...options });

  it('is deterministic: same seed → same bytes; another seed → other bytes', () => {
    const a = gen('det-a', { rows: 300, seed: 7 });
    const b = gen('det-b', { rows: 300, seed: 7 });
    const c = gen('det-c', { rows: 300, seed: 8 });
    expect(fs.readFileSync(a.manifestPath).equals(fs.readFileSync(b.manifestPath))).to.equal(true);
    expect(hashDir(a.scansDir)).to.equal(hashDir(b.scansDir));
    expect(a.expected).to.deep.equal(b.expected);
    expect(fs.readFileSync(a.manifestPath).equals(fs.readFileSync(c.manifestPath))).to.equal(false);
  });

  it('covers the messy mix and all its fonts can draw the names', () => {
    const g = gen('mix', { rows: 1200, seed: 42 });
    const t = g.expected.traits;
    for (const trait of ['id-15-digit', 'full-width-id', 'non-bmp-name', 'traditional-name', 'chinese-numeral-date', 'old-registration-number', 'tiff-scan', 'pdf-scan', 'png-scan', 'jpeg-scan']) {
      expect(t[trait] ?? 0, trait).to.be.greaterThan(0);
    }
    for (const code of ['BAD_HOLDER_ID', 'EMPTY_REQUIRED', 'MISSING_SCAN', 'BAD_DATE', 'BAD_VALIDITY', 'UNKNOWN_TYPE', 'FIELD_INVALID', 'CORRUPT_SCAN']) {
      expect(g.expected.rejected[code] ?? 0, code).to.be.greaterThan(0);
    }
    expect(g.expected.duplicates).to.be.greaterThan(0);
    expect(g.expected.conflicts).to.be.greaterThan(0);
    expect(chain.findMissingGlyphs('北京𠮷𪚥餐饮管理有限公司臺灣麵館王𪚥')).to.deep.equal([]);
    const e = g.expected;
    const rejected = Object.values(e.rejected).reduce((x, y) => x + y, 0);
    expect(e.issued + e.duplicates + e.conflicts + rejected).to.equal(e.totalRows);
  });

  for (const [label, options] of [
    ['UTF-8 CSV with BOM', { encoding: 'utf8-bom' }],
    ['GB18030 CSV without BOM (auto-detected)', { encoding: 'gb18030' }],
    ['JSONL', { format: 'jsonl' }],
  ] as const) {
    it(`reading + normalising + scans of a ${label} yields exactly the expected counts`, async () => {
      const g = gen(`counts-${label.replace(/\W+/g, '-')}`, { rows: 1000, seed: 2024, ...options });
      const { counts, info, mismatches } = await runBatch(g);
      expect(mismatches.slice(0, 5)).to.deep.equal([]);
      expect(counts).to.deep.equal(withoutTraits(g.expected));
      if ('encoding' in options && options.encoding === 'gb18030') expect(info).to.include({ encoding: 'gb18030', bom: false });
    });
  }

  it('memory stays flat: stream-reading and normalising 20 000 rows', async () => {
    // A real collection before each reading, so the figure is retained memory, not garbage awaiting GC.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const g = gen('memory', { rows: 20_000, seed: 99, writeScans: false, richScans: false });
    const ctx: NormaliseContext = { ...context(g), scanExists: (name) => !name.endsWith('-lost.jpg') };
    for (let i = 0; i < 200; i++) normaliseRow({ licence_type: 'business-licence' }, ctx); // warm caches
    gc();
    const before = process.memoryUsage().heapUsed;
    let ok = 0;
    let n = 0;
    let retainedAtHalf = 0;
    for await (const item of readManifest(g.manifestPath)) {
      if (!isParseError(item) && normaliseRow(item.raw, ctx).ok) ok++;
      if (++n === 10_000) {
        gc();
        retainedAtHalf = process.memoryUsage().heapUsed - before;
      }
    }
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    expect(n).to.equal(20_000);
    expect(ok).to.be.greaterThan(12_000);
    // Streaming keeps nothing per row: retained heap neither grows with the rows read nor reaches 10 MB.
    expect(retained, `retained ${(retained / 1e6).toFixed(1)} MB after 20 000 rows`).to.be.lessThan(10e6);
    expect(retained - retainedAtHalf, `grew ${((retained - retainedAtHalf) / 1e6).toFixed(1)} MB from 10 000 to 20 000 rows`).to.be.lessThan(5e6);
  });
});
