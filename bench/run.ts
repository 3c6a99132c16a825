/**
 * `npm run bench`: issuance figures for the foundation issue.
 *   1. CPU per licence for render, sign, store and record, measured phase by phase in-process.
 *   2. Licences issued per second end to end through the HTTP API in one process (autocannon), on the
 *      embedded defaults and, where reachable, on PostgreSQL + the S3 gateway.
 *   3. Transparency: log appends/s, proof latency at 10^4–10^7 leaves, ledger tx per 1 M licences, verify latency.
 *   4. Replicas: issuance throughput with one service process vs two on one PostgreSQL database.
 * `npm run bench [pdf] [issuance] [transparency] [ledger] [exchange] [digitize] [replicas]`. Numbers go to stdout and bench/out/results.json.
 * Never run as a test: figures, not assertions.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createLicenceStore } from '../src/licences/licence-store.ts';
import { createLocalDirectoryStore } from '../src/storage/local-directory-store.ts';
import { createS3ObjectStore } from '../src/storage/s3-object-store.ts';
import type { ObjectStore } from '../src/storage/object-store.ts';
import { createDepartmentStore } from '../src/departments/department-store.ts';
import { DEFAULT_FONT_PATHS, loadFontChain } from '../src/pdf/fonts.ts';
import { renderLicencePdf, renderSignedLicencePdf } from '../src/pdf/render-licence.ts';
import { signPdfPades } from '../src/pdf/pades.ts';
import { sampleLicenceInput } from '../src/pdf/sample-input.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../src/pki/dev-pki.ts';
import type { Database } from '../src/db/database.ts';
import { openTestDatabase, postgresUnavailableReason } from '../test/support/databases.ts';
import { loadS3TestConfig } from '../test/support/s3-test-config.ts';
import { businessLicenceRequest, DEPARTMENTS, TestVault } from '../test/support/test-vault.ts';
import { transparencyBench } from './transparency.ts';
import { exchangeBench } from './exchange.ts';
import { digitizeBench } from './digitize.ts';
import { replicasBench } from './replicas.ts';
import { ledgerBench } from './ledger.ts';
import { pdfBench } from './pdf.ts';
import { tilesBench } from './tiles.ts';
import { pagesBench } from './pages.ts';

const PHASE_N = Number(process.env.BENCH_PHASE_N ?? 300);
const API_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version }, at: new Date().toISOString() };

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

async function phaseCosts(label: string, db: Database, objects: ObjectStore) {
  const fonts = loadFontChain(DEFAULT_FONT_PATHS);
  const ca = await generateIssuerCa({ commonName: 'Bench CA', organization: 'Bench' });
  const signer = await issueDepartmentSigningCert(ca, { commonName: 'Bench', organization: 'Bench', departmentCode: DEPARTMENTS.market });
  await createDepartmentStore(db).upsert({ code: DEPARTMENTS.market, nameZh: '市场监管局', nameEn: 'Market', roles: ['issuer'], jwks: { keys: [] }, signingChainPem: signer.chainPem });
  const store = createLicenceStore(db);
  const totals = { render: 0, sign: 0, store: 0, record: 0 };
  const run = async (i: number, measure: boolean) => {
    const id = `BL.${DEPARTMENTS.market}.${String(1_000_000 + i).padStart(10, '0')}.01.X`;
    let c = process.cpuUsage();
    const unsigned = await renderLicencePdf(sampleLicenceInput({ licenceId: id }), fonts);
    if (measure) totals.render += cpuMs(c);
    c = process.cpuUsage();
    const pdf = await signPdfPades(unsigned, signer, { signingTime: new Date() });
    if (measure) totals.sign += cpuMs(c);
    const sha = crypto.createHash('sha256').update(pdf).digest('hex');
    c = process.cpuUsage();
    await objects.put(`bench/${label}/${sha}.pdf`, pdf, 'application/pdf');
    if (measure) totals.store += cpuMs(c);
    c = process.cpuUsage();
    await store.insert({
      licence: {
        id, typeKey: 'business-licence', typeCode: 'BL', issuerCode: DEPARTMENTS.market,
        holder: { kind: 'organisation', id: '91350100M000100Y43', name: '北京𠮷𪚥餐饮管理有限公司' }, fields: { a: 1 },
        validFrom: '2026-01-01', validUntil: null, version: 1, previousId: null, status: 'active',
        document: { sha256: sha, key: `bench/${label}/${sha}.pdf`, size: pdf.length }, fieldCommitmentRoot: 'c'.repeat(64), provenance: null, issuedAt: new Date().toISOString(),
      },
      fieldSalts: { a: 'c2FsdA==' },
      provenanceSalts: null, verificationCodeSha256: 'c'.repeat(64), idempotencyKey: null, requestSha256: null,
      effects: { log: [{ origin: 'bench.local/log', subject: id, leaf: { kind: 'licence.issued', licenceId: id, documentSha256: sha } }], ledger: [{ origin: 'bench.local/log', licenceId: id, status: 'active', reasonSha256: 'd'.repeat(64), changedAt: new Date().toISOString() }] },
      event: { licenceId: id, action: 'issue', fromStatus: null, toStatus: 'active', reason: 'bench', actor: DEPARTMENTS.market, at: new Date().toISOString() },
    });
    if (measure) totals.record += cpuMs(c);
  };
  for (let i = 0; i < 30; i++) await run(i, false);
  for (let i = 30; i < 30 + PHASE_N; i++) await run(i, true);
  // The service renders and signs in one pass (one pdf-lib save); measure that path too.
  const c = process.cpuUsage();
  for (let i = 0; i < PHASE_N; i++) await renderSignedLicencePdf(sampleLicenceInput({ licenceId: `BL.${DEPARTMENTS.market}.${String(i).padStart(10, '0')}.01.X` }), fonts, signer, { signingTime: new Date() });
  const onePass = cpuMs(c) / PHASE_N;
  const perLicence = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, +(v / PHASE_N).toFixed(2)]));
  return { ...(perLicence as typeof totals), renderSignOnePass: +onePass.toFixed(2) };
}

async function apiThroughput(vault: TestVault, connections: number) {
  const token = await vault.departmentToken(DEPARTMENTS.market);
  const body = JSON.stringify(businessLicenceRequest());
  // warm-up
  await autocannon({ url: `${vault.baseUrl}/licences`, method: 'POST', connections: 4, amount: 40, body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const c0 = process.cpuUsage();
  const result = await autocannon({ url: `${vault.baseUrl}/licences`, method: 'POST', connections, duration: API_SECONDS, body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const cpu = cpuMs(c0);
  const ok = result['2xx'];
  await new Promise((resolve) => setTimeout(resolve, 1000)); // let requests cut off at the deadline finish
  return {
    connections,
    licencesPerSecond: +(ok / (result.duration || API_SECONDS)).toFixed(1),
    non2xx: result.non2xx,
    errors: result.errors,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    serviceProcessCpuMsPerLicence: ok ? +(cpu / ok).toFixed(2) : null,
  };
}

function table(rows: Array<Record<string, unknown>>) {
  console.table(rows);
}

const sections = new Set(process.argv.slice(2).length ? process.argv.slice(2) : ['pdf', 'issuance', 'transparency', 'tiles', 'ledger', 'exchange', 'digitize', 'replicas', 'pages']);

async function main() {
  fs.mkdirSync('bench/out', { recursive: true });
  console.log(`Licence Vault bench — ${os.cpus().length} cores, ${process.version} — sections: ${[...sections].join(', ')}\n`);
  if (sections.has('pdf')) await pdfBench(results);
  if (sections.has('issuance')) await issuanceBench();
  if (sections.has('transparency')) await transparencyBench(results);
  if (sections.has('tiles')) await tilesBench(results);
  if (sections.has('ledger')) await ledgerBench(results);
  if (sections.has('exchange')) await exchangeBench(results);
  if (sections.has('digitize')) await digitizeBench(results);
  if (sections.has('replicas')) await replicasBench(results);
  if (sections.has('pages')) await pagesBench(results);
  fs.writeFileSync('bench/out/results.json', JSON.stringify(results, null, 2));
  console.log('\nwritten: bench/out/results.json');
}

async function issuanceBench() {
  // 1. Phase costs on the embedded defaults.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-bench-'));
  const pglite = await openTestDatabase('pglite');
  const local = await createLocalDirectoryStore(path.join(dataDir, 'objects'));
  const embeddedPhases = await phaseCosts('embedded', pglite.db, local);
  await pglite.dispose();
  results.phasesEmbedded = embeddedPhases;

  let pgS3Phases: Record<string, number> | string = 'skipped';
  let pgEnv: Record<string, string> | null = null;
  const pgReason = await postgresUnavailableReason();
  const s3 = await loadS3TestConfig().catch((e: Error) => ({ skipReason: e.message }));
  let pgDb: Awaited<ReturnType<typeof openTestDatabase>> | null = null;
  if (!pgReason && !('skipReason' in s3)) {
    pgDb = await openTestDatabase('postgres');
    const s3Store = await createS3ObjectStore({ endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, bucket: s3.bucket, region: s3.region });
    pgS3Phases = await phaseCosts('pg-s3', pgDb.db, s3Store);
    await s3Store.close();
    await pgDb.dispose();
    pgDb = await openTestDatabase('postgres');
    pgEnv = { DATABASE_URL: pgDb.url!, S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_BUCKET: s3.bucket, S3_REGION: s3.region };
  } else {
    pgS3Phases = `skipped: ${pgReason ?? (s3 as { skipReason: string }).skipReason}`;
  }
  results.phasesPostgresS3 = pgS3Phases;
  console.log('CPU ms per licence by phase (in-process; PostgreSQL and RGW server CPU not included):');
  table([{ engine: 'embedded (PGlite + local dir)', ...embeddedPhases }, ...(typeof pgS3Phases === 'string' ? [] : [{ engine: 'PostgreSQL + S3 (RGW)', ...pgS3Phases }])]);
  const rs = embeddedPhases.renderSignOnePass;
  console.log(`render + sign as the service does it (one pass): ${rs.toFixed(2)} ms CPU per licence (target ≤ 8 ms) → ${(1000 / rs).toFixed(0)} PDFs/s per core ceiling\n`);

  // 2. End-to-end through the API, one service process.
  const api: Array<Record<string, unknown>> = [];
  for (const workers of ['0', '2']) {
    const embedded = await TestVault.start({ env: { RENDER_WORKERS: workers } });
    for (const c of [1, 8]) api.push({ engine: 'embedded', renderWorkers: Number(workers), ...(await apiThroughput(embedded, c)) });
    await embedded.stop();
  }
  if (pgEnv) {
    const prod = await TestVault.start({ env: { ...pgEnv, RENDER_WORKERS: '2' } });
    for (const c of [1, 8]) api.push({ engine: 'PostgreSQL + S3', renderWorkers: 2, ...(await apiThroughput(prod, c)) });
    await prod.stop();
    await pgDb!.dispose();
  }
  results.api = api;
  console.log('POST /licences end to end (render + sign + store + record), target ≥ 100 licences/s:');
  table(api.map((r) => ({ ...r, latencyMs: `p50 ${(r.latencyMs as { p50: number }).p50} / p99 ${(r.latencyMs as { p99: number }).p99}` })));
  fs.rmSync(dataDir, { recursive: true, force: true });
}

await main();
process.exit(0);
