/**
 * Render + sign of plain licences, measured in a process of the service's kind: bench/issuance.ts starts
 * this file with the node arguments of `npm start` (serviceNodeArguments), so the denominator of "service
 * CPU per licence ÷ render + sign" runs with the same runtime flags (young generation size) as the
 * service it is compared with, in the same bench run.
 *
 * Prints one JSON line: CPU ms per licence of the one-pass renderer (renderSignedLicencePdf) on this
 * thread, and of the same work through a render pool of `BENCH_PROBE_WORKERS` worker threads (the whole
 * process's CPU: the workers plus the posting and receiving on this thread).
 */
import { DEFAULT_FONT_PATHS, loadFontChain } from '../src/pdf/fonts.ts';
import { renderSignedLicencePdf } from '../src/pdf/render-licence.ts';
import { createRenderPool } from '../src/pdf/render-pool.ts';
import { sampleLicenceInput } from '../src/pdf/sample-input.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../src/pki/dev-pki.ts';
import { ownCpuMsSince } from './process-cpu.ts';

const N = Number(process.env.BENCH_PROBE_N ?? 300);
const WORKERS = Number(process.env.BENCH_PROBE_WORKERS ?? 2);

const ca = await generateIssuerCa({ commonName: 'Bench CA', organization: 'Bench' });
const signer = await issueDepartmentSigningCert(ca, { commonName: 'Bench Signer', organization: 'Bench', departmentCode: '111101050000100149' });
const fonts = loadFontChain(DEFAULT_FONT_PATHS);
let serial = 0;
const input = () => {
  const id = `BL.111101050000100149.${String(serial++).padStart(10, '0')}.01.G`;
  return sampleLicenceInput({ licenceId: id, verifyUrl: `http://vault.bench/verify/${id}#7K2M9QXW3HTRPV8D` });
};
const options = () => ({ signingTime: new Date(), reason: 'E-licence issued', location: 'Licence Vault' });

for (let i = 0; i < 50; i++) await renderSignedLicencePdf(input(), fonts, signer, options());
let c = process.cpuUsage();
for (let i = 0; i < N; i++) await renderSignedLicencePdf(input(), fonts, signer, options());
const mainThreadMs = ownCpuMsSince(c) / N;

let poolMs: number | null = null;
if (WORKERS > 0) {
  const pool = createRenderPool({ size: WORKERS });
  await pool.ready();
  // Two jobs per worker in flight, as a loaded service keeps them.
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: WORKERS * 2 }, async () => {
      while (next++ < count) await pool.render(input(), signer, options());
    }));
  };
  await run(50 * WORKERS);
  c = process.cpuUsage();
  await run(N);
  poolMs = ownCpuMsSince(c) / N;
  await pool.close();
}
process.stdout.write(`${JSON.stringify({ n: N, mainThreadMs: +mainThreadMs.toFixed(3), poolMs: poolMs === null ? null : +poolMs.toFixed(3), workers: WORKERS })}\n`);
process.exit(0);
