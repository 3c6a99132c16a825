/**
 * Issuance figures (`npm run bench issuance`):
 *   1. CPU per licence by phase (render, sign, store, record), measured phase by phase in the bench process,
 *      on the embedded defaults and on PostgreSQL + the S3 gateway.
 *   2. POST /licences end to end against the service in its own process, started as `npm start` starts it
 *      (test/support/ServiceProcess), on the embedded defaults and on PostgreSQL + the S3 gateway, with 0
 *      and 2 render workers. The service's CPU per licence is its process's CPU (every thread: the request
 *      thread, the render workers, the anchorer's thread) from /proc over the measured window; autocannon,
 *      PostgreSQL and the gateway run in other processes and are shown beside it, not in it.
 *   3. Render + sign of the same licence, one pass, measured right before each configuration in a process
 *      of the service's kind (bench/render-sign-probe.ts, with the service's node arguments), and the issue's
 *      ratio: service CPU per licence ÷ render + sign (target ≤ 1.5, issue 19 item 2).
 *
 * BENCH_API_SECONDS (10), BENCH_ISSUANCE_FIRST_WARMUP_SECONDS (40, before a service's first row),
 * BENCH_ISSUANCE_WARMUP_SECONDS (10, before its others), BENCH_ISSUANCE_CONNECTIONS (`1,8`), BENCH_ISSUANCE_CONFIGS (`embedded:0,embedded:2,
 * postgres-s3:0,postgres-s3:2`), BENCH_SERVICE_LOG_LEVEL (`info`, the service's default: one line per
 * request), BENCH_ISSUANCE_CPU_PROF=dir (V8 CPU profiles of the service process and its worker threads
 * there; summarise with bench/profile-summary.ts), BENCH_PHASES=false (leave out part 1).
 */
import { spawn } from 'node:child_process';
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
import { loadS3TestConfig, S3_STATE_DIR_DEFAULT } from '../test/support/s3-test-config.ts';
import type { S3Cfg } from '../test/support/s3-test-config.ts';
import { departmentToken, freePort, serviceNodeArguments, ServiceProcess } from '../test/support/service-process.ts';
import { businessLicenceRequest, DEPARTMENTS } from '../test/support/test-vault.ts';
import { cpuMsByName, cpuMsByNameSince, ownCpuMsSince, processCpuMs, threadCpuMs, threadsCpuMs } from './process-cpu.ts';

const PHASE_N = Number(process.env.BENCH_PHASE_N ?? 300);
const API_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
// Long enough for V8 to finish optimising the request path and the render workers' code: 400 requests
// after start, or 10 s at 8 connections, its optimising compiler still took about 1 ms of CPU per
// licence on V8's background threads (perf); after 40 s it compiled a handful of functions a second.
// A service runs for days, so the figures are its steady state: this long before the first row of
// each service process, BENCH_ISSUANCE_WARMUP_SECONDS before the others.
const FIRST_WARMUP_SECONDS = Number(process.env.BENCH_ISSUANCE_FIRST_WARMUP_SECONDS ?? 40);
const WARMUP_SECONDS = Number(process.env.BENCH_ISSUANCE_WARMUP_SECONDS ?? 10);
const CONNECTIONS = (process.env.BENCH_ISSUANCE_CONNECTIONS ?? '1,8').split(',').map(Number);
const CONFIGS = (process.env.BENCH_ISSUANCE_CONFIGS ?? 'embedded:0,embedded:2,postgres-s3:0,postgres-s3:2').split(',').map((c) => {
  const [engine, workers] = c.split(':');
  if (engine !== 'embedded' && engine !== 'postgres-s3') throw new Error(`BENCH_ISSUANCE_CONFIGS: unknown engine ${engine}`);
  return { engine, renderWorkers: Number(workers ?? 2) } as const;
});
const SERVICE_LOG_LEVEL = process.env.BENCH_SERVICE_LOG_LEVEL ?? 'info';
const CPU_PROFILE_DIR = process.env.BENCH_ISSUANCE_CPU_PROF;
const DATABASE_PROCESSES = ['postgres'];
const S3_STATE_DIR = process.env.LV_S3_STATE_DIR || S3_STATE_DIR_DEFAULT;
const OBJECT_STORE_PROCESSES = ['radosgw', 'ceph-osd', 'ceph-mon'];
// Replicas and probes agree on this URL; the service's QR codes point at it.
const PUBLIC_BASE_URL = 'http://vault.bench';

/** Phase by phase in this process: render, sign, store, record (PostgreSQL's and the gateway's CPU not included). */
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
    if (measure) totals.render += ownCpuMsSince(c);
    c = process.cpuUsage();
    const pdf = await signPdfPades(unsigned, signer, { signingTime: new Date() });
    if (measure) totals.sign += ownCpuMsSince(c);
    const sha = crypto.createHash('sha256').update(pdf).digest('hex');
    c = process.cpuUsage();
    await objects.put(`bench/${label}/${sha}.pdf`, pdf, 'application/pdf');
    if (measure) totals.store += ownCpuMsSince(c);
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
    if (measure) totals.record += ownCpuMsSince(c);
  };
  for (let i = 0; i < 30; i++) await run(i, false);
  for (let i = 30; i < 30 + PHASE_N; i++) await run(i, true);
  const c = process.cpuUsage();
  for (let i = 0; i < PHASE_N; i++) await renderSignedLicencePdf(sampleLicenceInput({ licenceId: `BL.${DEPARTMENTS.market}.${String(i).padStart(10, '0')}.01.X` }), fonts, signer, { signingTime: new Date() });
  const onePass = ownCpuMsSince(c) / PHASE_N;
  const perLicence = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, +(v / PHASE_N).toFixed(2)]));
  return { ...(perLicence as typeof totals), renderSignOnePass: +onePass.toFixed(2) };
}

interface RenderSignProbe {
  n: number;
  /** One pass on the process's own thread, as the service with RENDER_WORKERS=0. */
  mainThreadMs: number;
  /** Through a pool of worker threads, the whole process's CPU, as the service with render workers. */
  poolMs: number | null;
  workers: number;
}

/** bench/render-sign-probe.ts in a process started with the service's node arguments. */
function probeRenderSign(workers: number): Promise<RenderSignProbe> {
  const args = serviceNodeArguments();
  args[args.length - 1] = 'bench/render-sign-probe.ts';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, BENCH_PROBE_WORKERS: String(workers) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as RenderSignProbe);
      else reject(new Error(`render-sign probe exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

/** Whose CPU besides the service's a row shows: the backends of its database, the daemons of its S3 gateway. */
interface Neighbours {
  databaseName: string | null;
  s3StateDir: string | null;
}

async function issueThroughApi(service: ServiceProcess, token: string, connections: number, warmUpSeconds: number, neighbours: Neighbours) {
  const options = {
    url: `${service.baseUrl}/licences`,
    method: 'POST' as const,
    body: JSON.stringify(businessLicenceRequest()),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  };
  await autocannon({ ...options, connections, duration: warmUpSeconds });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const service0 = processCpuMs(service.pid);
  const mainThread0 = threadCpuMs(service.pid);
  const threads0 = threadsCpuMs(service.pid);
  // Other engineers' databases and gateways on the machine are not this row's: only the backends of the
  // bench's own database (its name is in their command line; the server's shared background processes
  // are left out) and the daemons started with this gateway's configuration count.
  const database = neighbours.databaseName ?? '\0none';
  const objectStore = neighbours.s3StateDir ?? '\0none';
  const database0 = cpuMsByName(DATABASE_PROCESSES, database);
  const objectStore0 = cpuMsByName(OBJECT_STORE_PROCESSES, objectStore);
  const generator0 = process.cpuUsage();
  const result = await autocannon({ ...options, connections, duration: API_SECONDS });
  const serviceMs = processCpuMs(service.pid) - service0;
  const mainThreadMs = threadCpuMs(service.pid) - mainThread0;
  // The service's threads by CPU in the window (BENCH_ISSUANCE_THREADS=true): request thread first.
  const threads = [...threadsCpuMs(service.pid)].map(([tid, ms]) => ({ tid, ms: ms - (threads0.get(tid) ?? 0) })).filter((t) => t.ms > 0).sort((a, b) => (a.tid === service.pid ? -1 : b.tid === service.pid ? 1 : b.ms - a.ms));
  const generatorMs = ownCpuMsSince(generator0);
  const databaseMs = cpuMsByNameSince(DATABASE_PROCESSES, database0, database);
  const objectStoreMs = cpuMsByNameSince(OBJECT_STORE_PROCESSES, objectStore0, objectStore);
  const ok = result['2xx'];
  if (process.env.BENCH_ISSUANCE_THREADS === 'true') console.log(`service threads, CPU ms per licence: ${threads.map((t) => `${t.tid}: ${(t.ms / Math.max(1, ok)).toFixed(2)}`).join(', ')}`);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // let requests cut off at the deadline finish
  const per = (ms: number) => (ok ? +(ms / ok).toFixed(2) : null);
  return {
    connections,
    licencesPerSecond: +(ok / (result.duration || API_SECONDS)).toFixed(1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    serviceCpuMsPerLicence: per(serviceMs),
    /** Of which on the request thread (HTTP, validation, database client, PGlite; with render workers, no PDF work). */
    serviceMainThreadCpuMsPerLicence: per(mainThreadMs),
    databaseCpuMsPerLicence: per(databaseMs),
    objectStoreCpuMsPerLicence: per(objectStoreMs),
    loadGeneratorCpuMsPerLicence: per(generatorMs),
  };
}

/** Takes the PDFs the service stored for the licences of `db` out of the (small, shared) test gateway again. */
async function deleteDocuments(db: Database, s3: S3Cfg): Promise<void> {
  const store = await createS3ObjectStore({ endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, bucket: s3.bucket, region: s3.region });
  try {
    const keys = (await db('licences').select('document_key')).map((row: { document_key: string }) => row.document_key);
    for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map((key) => store.delete(key)));
  } finally {
    await store.close();
  }
}

export async function issuanceBench(results: Record<string, unknown>) {
  console.log('\n— issuance —');
  const pgReason = await postgresUnavailableReason();
  const s3Loaded = await loadS3TestConfig().catch((e: Error) => ({ skipReason: e.message }));
  const s3: S3Cfg | null = 'skipReason' in s3Loaded ? null : s3Loaded;
  const productionSkip = pgReason ?? (s3 ? null : (s3Loaded as { skipReason: string }).skipReason);

  // 1. Phase costs in this process.
  if (process.env.BENCH_PHASES !== 'false') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-bench-'));
    const pglite = await openTestDatabase('pglite');
    const embeddedPhases = await phaseCosts('embedded', pglite.db, await createLocalDirectoryStore(path.join(dataDir, 'objects')));
    await pglite.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
    results.phasesEmbedded = embeddedPhases;
    let pgS3Phases: Record<string, number> | string = `skipped: ${productionSkip}`;
    if (!productionSkip) {
      const pgDb = await openTestDatabase('postgres');
      const s3Store = await createS3ObjectStore({ endpoint: s3!.endpoint, accessKey: s3!.accessKey, secretKey: s3!.secretKey, bucket: s3!.bucket, region: s3!.region });
      pgS3Phases = await phaseCosts('pg-s3', pgDb.db, s3Store);
      // The test gateway is small and shared: the bench takes its objects away again.
      for (const key of await s3Store.list('bench/pg-s3/')) await s3Store.delete(key);
      await s3Store.close();
      await pgDb.dispose();
    }
    results.phasesPostgresS3 = pgS3Phases;
    console.log('CPU ms per licence by phase, in the bench process (PostgreSQL and RGW server CPU not included):');
    console.table([{ engine: 'embedded (PGlite + local dir)', ...embeddedPhases }, ...(typeof pgS3Phases === 'string' ? [] : [{ engine: 'PostgreSQL + S3 (RGW)', ...pgS3Phases }])]);
  }

  // 2 and 3. The service in its own process; render + sign measured next to each configuration.
  const rows: Array<Record<string, unknown>> = [];
  for (const config of CONFIGS) {
    if (config.engine === 'postgres-s3' && productionSkip) {
      console.log(`PostgreSQL + S3 skipped: ${productionSkip}`);
      continue;
    }
    const probe = await probeRenderSign(config.renderWorkers);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-bench-issuance-'));
    const db = config.engine === 'postgres-s3' ? await openTestDatabase('postgres', { migrate: false }) : null;
    const profileDir = CPU_PROFILE_DIR ? path.resolve(CPU_PROFILE_DIR, `${config.engine}-w${config.renderWorkers}`) : null;
    const service = await ServiceProcess.start({
      dataDir, databaseUrl: db?.url ?? null, port: await freePort(), publicBaseUrl: PUBLIC_BASE_URL,
      extraNodeArguments: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
      env: {
        RENDER_WORKERS: String(config.renderWorkers), LOG_LEVEL: SERVICE_LOG_LEVEL,
        ...(config.engine === 'postgres-s3' ? { S3_ENDPOINT: s3!.endpoint, S3_ACCESS_KEY: s3!.accessKey, S3_SECRET_KEY: s3!.secretKey, S3_BUCKET: s3!.bucket, S3_REGION: s3!.region } : {}),
      },
    });
    try {
      const token = await departmentToken(service.baseUrl, dataDir, DEPARTMENTS.market, PUBLIC_BASE_URL);
      for (const [n, connections] of CONNECTIONS.entries()) {
        const neighbours = { databaseName: db ? new URL(db.url!).pathname.slice(1) : null, s3StateDir: config.engine === 'postgres-s3' ? S3_STATE_DIR : null };
        const run = await issueThroughApi(service, token, connections, n === 0 ? FIRST_WARMUP_SECONDS : WARMUP_SECONDS, neighbours);
        const renderSignMs = probe.mainThreadMs;
        rows.push({
          engine: config.engine, renderWorkers: config.renderWorkers, ...run,
          renderSignMs, renderSignOnWorkersMs: probe.poolMs,
          ratio: run.serviceCpuMsPerLicence === null ? null : +(run.serviceCpuMsPerLicence / renderSignMs).toFixed(2),
        });
      }
    } finally {
      await service.stop(30_000);
      if (db) await deleteDocuments(db.db, s3!).catch((error: Error) => console.log(`could not delete the bench's documents from S3: ${error.message}`));
      await db?.dispose().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  results.issuance = rows;
  console.log(`POST /licences end to end, the service in its own process (${SERVICE_LOG_LEVEL} logging), ${API_SECONDS} s per row, ${os.cpus().length} cores.`);
  console.log("CPU ms per licence: the service process (all its threads; mainThreadMs: of which its request thread), PostgreSQL's backends of the bench's database, the S3 gateway (its radosgw, OSD and monitor) and autocannon (the bench process).");
  console.log('renderSignMs: render + sign, one pass, on the main thread of a process started like the service, measured right before the row; renderSignOnWorkersMs: the same through a pool of render workers (whole process).');
  console.log('ratio = serviceCpuMsPerLicence ÷ renderSignMs (issue 19 target ≤ 1.5):');
  console.table(rows.map((r) => ({
    engine: r.engine, workers: r.renderWorkers, conns: r.connections, 'licences/s': r.licencesPerSecond, p50: r.p50Ms, p99: r.p99Ms, non2xx: r.non2xx, errors: r.errors,
    serviceMs: r.serviceCpuMsPerLicence, mainThreadMs: r.serviceMainThreadCpuMsPerLicence, renderSignMs: r.renderSignMs, ratio: r.ratio, onWorkersMs: r.renderSignOnWorkersMs,
    databaseMs: r.databaseCpuMsPerLicence, objectStoreMs: r.objectStoreCpuMsPerLicence, autocannonMs: r.loadGeneratorCpuMsPerLicence,
  })));
  for (const r of rows) {
    console.log(`${r.engine}, ${r.renderWorkers} render workers, ${r.connections} connections: service CPU ${r.serviceCpuMsPerLicence} ms per licence ÷ render + sign ${r.renderSignMs} ms = ${r.ratio}× (${r.licencesPerSecond} licences/s)`);
  }
}
