/**
 * Render + sign, as the service does it (one pass: renderSignedLicencePdf), for a plain licence and for a
 * digitized one with a ≈ 200 KB JPEG scan: CPU ms per licence, bytes per PDF and the signature's unsigned
 * gap (the zero padding after the CMS inside /Contents).
 *
 *   npx tsx bench/pdf.ts                         this tree only
 *   BENCH_PDF_BASELINE=/path/to/old/pdf npx tsx bench/pdf.ts
 *                                                also an older copy of src/pdf, in the same process, in
 *                                                alternating rounds, so before/after come from one run.
 *                                                Make one with its `../` imports pointing at this tree:
 *       mkdir /tmp/pdf-old && for f in $(git ls-tree --name-only REV src/pdf/); do git show REV:$f > /tmp/pdf-old/$(basename $f); done
 *       sed -i "s#'\.\./#'$PWD/src/#g" /tmp/pdf-old/*.ts
 *   BENCH_PDF_N (default 200 per kind and variant), BENCH_PDF_CPU_PROF=1 (plain licences only, no
 *   baseline: a .cpuprofile in bench/out/ for bench/profile-summary.ts)
 *
 * Exported as pdfBench(results) for `npm run bench`. Figures, not assertions: this machine's speed varies
 * 2× between sessions, so compare variants measured in one run only.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeScanJpeg } from './digitize.ts';
import { DEFAULT_FONT_PATHS, loadFontChain } from '../src/pdf/fonts.ts';
import { renderSignedLicencePdf } from '../src/pdf/render-licence.ts';
import { ownCpuMsSince } from './process-cpu.ts';
import { extractSignature } from '../src/pdf/pades.ts';
import { sampleDigitizedLicenceInput, sampleLicenceInput } from '../src/pdf/sample-input.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../src/pki/dev-pki.ts';
import type { SigningMaterial } from '../src/pki/dev-pki.ts';
import type { LicenceDocumentInput, LicenceScan } from '../src/licences/licence-document.ts';

interface Variant {
  name: string;
  render(input: LicenceDocumentInput, signer: SigningMaterial, signingTime: Date): Promise<Uint8Array>;
}

type Kind = 'plain' | 'digitized';

export interface PdfBenchRow {
  variant: string;
  kind: Kind;
  cpuMsPerLicence: number;
  bytes: number;
  unsignedGapBytes: number;
}

async function variantFrom(dir: string, name: string): Promise<Variant> {
  const fonts = (await import(pathToFileURL(path.join(dir, 'fonts.ts')).href)) as typeof import('../src/pdf/fonts.ts');
  const render = (await import(pathToFileURL(path.join(dir, 'render-licence.ts')).href)) as typeof import('../src/pdf/render-licence.ts');
  const chain = fonts.loadFontChain(fonts.DEFAULT_FONT_PATHS);
  return {
    name,
    async render(input, signer, signingTime) {
      return (await render.renderSignedLicencePdf(input, chain, signer, { signingTime, reason: `E-licence ${input.licenceId} issued`, location: 'Licence Vault' })).pdf;
    },
  };
}

function currentVariant(): Variant {
  const chain = loadFontChain(DEFAULT_FONT_PATHS);
  return {
    name: 'this tree',
    async render(input, signer, signingTime) {
      return (await renderSignedLicencePdf(input, chain, signer, { signingTime, reason: `E-licence ${input.licenceId} issued`, location: 'Licence Vault' })).pdf;
    },
  };
}

/** Bytes of /Contents after the CMS (zero padding the signature does not cover). */
function unsignedGap(pdf: Uint8Array): number {
  const sig = extractSignature(pdf);
  return (sig.byteRange[2]! - sig.byteRange[1]! - 2) / 2 - sig.cmsDer.length;
}

export async function pdfBench(results: Record<string, unknown>, options: { n?: number; baselineDir?: string } = {}): Promise<PdfBenchRow[]> {
  const n = options.n ?? Number(process.env.BENCH_PDF_N ?? 200);
  const baselineDir = options.baselineDir ?? process.env.BENCH_PDF_BASELINE;
  const ca = await generateIssuerCa({ commonName: 'Bench CA', organization: 'Bench' });
  const signer = await issueDepartmentSigningCert(ca, { commonName: 'Bench Signer', organization: 'Bench', departmentCode: '111101050000100149' });
  const jpeg = await makeScanJpeg();
  const size = jpegSize(jpeg);
  const scan: LicenceScan = { fileName: 'scan-200k.jpg', sha256: crypto.createHash('sha256').update(jpeg).digest('hex'), images: [{ kind: 'jpeg', bytes: jpeg, ...size }] };
  let serial = 0;
  // A plain licence is the sample business licence; a digitized one the sample digitized licence with
  // the ≈ 200 KB scan as its one page (as bench/digitize.ts's render + sign ceiling uses it).
  const inputFor = (kind: Kind): LicenceDocumentInput => {
    const id = `BL.111101050000100149.${String(serial++).padStart(10, '0')}.01.G`;
    const common = { licenceId: id, verifyUrl: `https://licence-vault.example.gov.cn/verify/${id}#7K2M9QXW3HTRPV8D` };
    return kind === 'plain' ? sampleLicenceInput(common) : sampleDigitizedLicenceInput({ ...common, scans: [scan] });
  };

  const variants: Variant[] = [];
  if (baselineDir) variants.push(await variantFrom(baselineDir, `baseline (${baselineDir})`));
  variants.push(currentVariant());
  const kinds: Kind[] = ['plain', 'digitized'];
  const signingTime = new Date();

  // Warm-up: every variant and kind, so none pays for the JIT alone.
  for (let i = 0; i < 30; i++) for (const v of variants) for (const k of kinds) await v.render(inputFor(k), signer, signingTime);

  const profile = process.env.BENCH_PDF_CPU_PROF === '1' && !baselineDir;
  const session = profile ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }

  const cpu = new Map<string, number>();
  const count = new Map<string, number>();
  const rounds = 10;
  const perRound = Math.max(1, Math.round(n / rounds));
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      for (const k of profile ? (['plain'] as Kind[]) : kinds) {
        const c0 = process.cpuUsage();
        for (let i = 0; i < perRound; i++) await v.render(inputFor(k), signer, signingTime);
        const key = `${v.name}|${k}`;
        cpu.set(key, (cpu.get(key) ?? 0) + ownCpuMsSince(c0));
        count.set(key, (count.get(key) ?? 0) + perRound);
      }
    }
  }
  if (session) {
    const { profile: p } = await session.post('Profiler.stop');
    fs.mkdirSync('bench/out', { recursive: true });
    const file = `bench/out/pdf-${Date.now()}.cpuprofile`;
    fs.writeFileSync(file, JSON.stringify(p));
    console.log(`CPU profile: ${file} (npx tsx bench/profile-summary.ts ${file})`);
    session.disconnect();
  }

  const rows: PdfBenchRow[] = [];
  for (const v of variants) {
    for (const k of kinds) {
      const key = `${v.name}|${k}`;
      if (!count.get(key)) continue;
      const pdf = await v.render(inputFor(k), signer, signingTime);
      rows.push({ variant: v.name, kind: k, cpuMsPerLicence: +(cpu.get(key)! / count.get(key)!).toFixed(2), bytes: pdf.length, unsignedGapBytes: unsignedGap(pdf) });
    }
  }
  console.log(`render + sign, one pass (renderSignedLicencePdf), ${perRound * rounds} licences per row in ${rounds} alternating rounds, ${os.cpus().length} cores, ${process.version}, scan ${jpeg.length} B JPEG:`);
  console.table(rows);
  results.pdf = rows;
  return rows;
}

/** Width and height from a baseline or progressive JPEG's SOF marker. */
function jpegSize(jpeg: Buffer): { width: number; height: number } {
  let i = 2;
  while (i < jpeg.length) {
    if (jpeg[i] !== 0xff) throw new Error('not a JPEG marker');
    const marker = jpeg[i + 1]!;
    const len = jpeg.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) return { height: jpeg.readUInt16BE(i + 5), width: jpeg.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results: Record<string, unknown> = {};
  await pdfBench(results);
  process.exit(0);
}
