/**
 * Throughput of render + sign: in-process (main thread) vs the worker pool with 1..N workers.
 *   npx tsx src/pdf/measure-pool.ts [licences=300] [sizes=1,2]
 * CPU is process-wide (all threads); "main ELU" is the main thread's event-loop utilisation during the
 * run (how much of the main thread render+sign still takes: the rest is left for express + PGlite).
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DEFAULT_FONT_PATHS, loadFontChain } from './fonts.ts';
import { renderSignedLicencePdf } from './render-licence.ts';
import { createRenderPool } from './render-pool.ts';
import { sampleLicenceInput } from './sample-input.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../pki/dev-pki.ts';

const N = Number(process.argv[2] ?? 300);
const SIZES = (process.argv[3] ?? '1,2').split(',').map(Number);
const WARMUP = 40;

const ca = await generateIssuerCa({ commonName: 'Measure CA', organization: 'Measure' });
const signer = await issueDepartmentSigningCert(ca, { commonName: 'Measure Signer', organization: 'Measure', departmentCode: '11110000MB0123456X' });
const signingTime = new Date();
const input = (i: number) => sampleLicenceInput({ licenceId: `LV-2024-3501-${String(i).padStart(6, '0')}` });
const opts = (i: number) => ({ signingTime, reason: `E-licence ${input(i).licenceId} issued`, location: 'Licence Vault' });

async function measure(name: string, run: (i: number) => Promise<Uint8Array>, parallel: boolean): Promise<void> {
  const c0 = process.cpuUsage();
  const e0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let bytes = 0;
  if (parallel) {
    const pdfs = await Promise.all(Array.from({ length: N }, (_, i) => run(i)));
    for (const p of pdfs) bytes += p.length;
  } else {
    for (let i = 0; i < N; i++) bytes += (await run(i)).length;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const elu = performance.eventLoopUtilization(e0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `${name.padEnd(22)} ${(N / (wallMs / 1000)).toFixed(1).padStart(6)} licences/s   wall ${(wallMs / N).toFixed(2)} ms/licence   ` +
      `cpu ${(cpuMs / N).toFixed(2)} ms/licence (all threads)   main ELU ${(elu.utilization * 100).toFixed(0)}%   avg ${(bytes / N / 1024).toFixed(1)} KiB`,
  );
}

console.log(`node ${process.version}, ${availableParallelism()} CPUs, loadavg ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${N} licences, warm-up ${WARMUP}`);

console.log(`RSS before fonts ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
const fonts = loadFontChain(DEFAULT_FONT_PATHS);
const inProcess = async (i: number) => (await renderSignedLicencePdf(input(i), fonts, signer, opts(i))).pdf;
for (let i = 0; i < WARMUP; i++) await inProcess(i);
await measure('in-process (main)', inProcess, false);

for (const size of SIZES) {
  const t0 = performance.now();
  const pool = createRenderPool({ size });
  await pool.ready();
  const startMs = performance.now() - t0;
  await Promise.all(Array.from({ length: WARMUP * size }, (_, i) => pool.render(input(i), signer, opts(i))));
  const rss = process.memoryUsage().rss;
  await measure(`pool size ${size}`, (i) => pool.render(input(i), signer, opts(i)), true);
  await pool.close();
  console.log(`${''.padEnd(22)} (pool start-up ${startMs.toFixed(0)} ms: tsx bootstrap + font chain per worker; process RSS with pool ${(rss / 2 ** 20).toFixed(0)} MiB)`);
}
