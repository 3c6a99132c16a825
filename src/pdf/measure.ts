/**
 * Micro-benchmark: CPU ms per licence for render, sign, and render+sign.
 *   npx tsx src/pdf/measure.ts [iterations]
 */
import { loadFontChain, DEFAULT_FONT_PATHS } from './fonts.ts';
import { renderLicencePdf, renderSignedLicencePdf } from './render-licence.ts';
import { signPdfPades } from './pades.ts';
import { sampleLicenceInput } from './sample-input.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../pki/dev-pki.ts';

const N = Number(process.argv[2] ?? 200);
const WARMUP = 40;

function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

async function bench(name: string, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await fn(i);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await fn(i);
  const wall = (performance.now() - t0) / N;
  console.log(`${name.padEnd(34)} cpu ${(cpuMs(c0) / N).toFixed(2)} ms/licence   wall ${wall.toFixed(2)} ms`);
}

const tLoad = performance.now();
const fonts = loadFontChain(process.env['FONT_PATHS']?.split(':') ?? DEFAULT_FONT_PATHS);
console.log(`font chain load: ${(performance.now() - tLoad).toFixed(1)} ms (${fonts.fonts.map((f) => f.postscriptName).join(', ')})`);
const ca = await generateIssuerCa({ commonName: 'Bench CA', organization: 'Bench' });
const signer = await issueDepartmentSigningCert(ca, { commonName: 'Bench Signer', organization: 'Bench', departmentCode: '11110000MB0123456X' });
const signingTime = new Date();
const input = (i: number) => sampleLicenceInput({ licenceId: `LV-2024-3501-${String(i).padStart(6, '0')}` });

const unsigned = await renderLicencePdf(input(0), fonts);
console.log(`PDF size unsigned ${unsigned.length} B`);
await bench('render (renderLicencePdf)', (i) => renderLicencePdf(input(i), fonts));
await bench('sign (signPdfPades, load+save)', () => signPdfPades(unsigned, signer, { signingTime }));
await bench('render+sign (renderSignedLicencePdf)', (i) => renderSignedLicencePdf(input(i), fonts, signer, { signingTime }));
