/**
 * Exchange figures: a consented verification query (POST /exchange/queries) at 50 and 200 connections,
 * against the service running as its own process on PostgreSQL, next to a bare express + pg round trip
 * measured in the same run as the ceiling. Called by bench/run.ts.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { openTestDatabase, postgresUnavailableReason } from '../test/support/databases.ts';
import { accessRecordingBench } from './access-recording.ts';
import { median } from './statistics.ts';
import { departmentToken, serviceNodeArguments } from '../test/support/service-process.ts';
import { DEPARTMENTS, HOLDERS } from '../test/support/test-vault.ts';
import { cpuMsByName, cpuMsByNameSince, processCpuMs } from './process-cpu.ts';

const SECONDS = Number(process.env.BENCH_EXCHANGE_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_EXCHANGE_ROUNDS ?? 3);

type LoadResult = Awaited<ReturnType<typeof load>>;

/** Each figure's median over the rounds (errors and non-2xx answers summed). */
function medianOf(results: LoadResult[]) {
  const m = (pick: (r: LoadResult) => number) => +median(results.map(pick)).toFixed(3);
  return {
    connections: results[0]!.connections, requestsPerSecond: Math.round(m((r) => r.requestsPerSecond)), p50Ms: m((r) => r.p50Ms), p99Ms: m((r) => r.p99Ms),
    serverCpuMsPerRequest: m((r) => r.serverCpuMsPerRequest), databaseCpuMsPerRequest: m((r) => r.databaseCpuMsPerRequest),
    loadGeneratorCpuMsPerRequest: m((r) => r.loadGeneratorCpuMsPerRequest),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0), errors: results.reduce((sum, r) => sum + r.errors, 0),
  };
}

function startProcess(script: string, env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // BENCH_CPU_PROF=dir writes a V8 CPU profile of the service process there (where the time goes).
    const profile = process.env.BENCH_CPU_PROF && script === 'src/main.ts' ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
    // The service starts as `npm start` starts it (same node flags); the ceiling as plain node.
    const args = script === 'src/main.ts' ? serviceNodeArguments() : ['--import', 'tsx', script];
    const child = spawn(process.execPath, [...profile, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready') || output.includes('running on')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => reject(new Error(`${script} exited ${code}: ${output.slice(-2000)}`)));
  });
}

async function json(url: string, init: RequestInit) {
  const res = await fetch(url, init);
  const body = await res.json();
  if (!res.ok) throw new Error(`${init.method} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body as any;
}

/** CPU milliseconds this process (the load generator, autocannon) has used so far. */
function loadGeneratorCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * `server` is the process answering: its CPU per request over the measured window is steadier than
 * throughput on a shared 2-core machine (autocannon and PostgreSQL compete for the same cores).
 */
async function load(url: string, connections: number, server: ChildProcess, opts: Partial<autocannon.Options> = {}, warmUp = true) {
  // Warm-up long enough for V8 to optimise the hot path (a few thousand requests), so the measured
  // window is the steady state.
  if (warmUp) await autocannon({ url, connections, amount: Math.max(3000, connections * 10), ...opts });
  const cpu0 = processCpuMs(server.pid!);
  const database0 = cpuMsByName(['postgres']);
  const generator0 = loadGeneratorCpuMs();
  const r = await autocannon({ url, connections, duration: SECONDS, ...opts });
  const perRequest = (ms: number) => +(ms / Math.max(1, r.requests.total)).toFixed(3);
  return {
    connections, requestsPerSecond: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99,
    serverCpuMsPerRequest: perRequest(processCpuMs(server.pid!) - cpu0), databaseCpuMsPerRequest: perRequest(cpuMsByNameSince(['postgres'], database0)),
    loadGeneratorCpuMsPerRequest: perRequest(loadGeneratorCpuMs() - generator0), non2xx: r.non2xx, errors: r.errors,
  };
}

/**
 * The same load split evenly over several processes at once (one autocannon per process): total
 * throughput, the worst of their p99s, and the processes' summed CPU per request.
 */
async function loadSplit(targets: Array<{ url: string; server: ChildProcess }>, connections: number, opts: Partial<autocannon.Options> = {}) {
  const each = Math.floor(connections / targets.length);
  await Promise.all(targets.map((t) => autocannon({ url: t.url, connections: each, amount: Math.max(3000, each * 10), ...opts })));
  const cpu0 = targets.reduce((sum, t) => sum + processCpuMs(t.server.pid!), 0);
  const runs = await Promise.all(targets.map((t) => autocannon({ url: t.url, connections: each, duration: SECONDS, ...opts })));
  const total = runs.reduce((sum, r) => sum + r.requests.total, 0);
  const serverCpuMsPerRequest = +((targets.reduce((sum, t) => sum + processCpuMs(t.server.pid!), 0) - cpu0) / Math.max(1, total)).toFixed(3);
  return {
    connections, requestsPerSecond: Math.round(runs.reduce((sum, r) => sum + r.requests.average, 0)), p50Ms: Math.max(...runs.map((r) => r.latency.p50)),
    p99Ms: Math.max(...runs.map((r) => r.latency.p99)), serverCpuMsPerRequest, non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0), errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

export async function exchangeBench(results: Record<string, unknown>) {
  console.log('\n— exchange —');
  const reason = await postgresUnavailableReason();
  if (reason) {
    console.log(`exchange bench skipped: ${reason}`);
    return;
  }
  const recordingDb = await openTestDatabase('postgres');
  try {
    Object.assign(results, await accessRecordingBench(recordingDb));
  } finally {
    await recordingDb.dispose();
  }
  const db = await openTestDatabase('postgres');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-bench-exchange-'));
  const port = 18000 + Math.floor(Math.random() * 1000);
  const base = `http://127.0.0.1:${port}`;
  const vault = await startProcess('src/main.ts', {
    DATABASE_URL: db.url!, DATA_DIR: dataDir, PORT: String(port), PUBLIC_BASE_URL: base, SEED_DEV_DATA: 'true', LOG_LEVEL: process.env.BENCH_SERVICE_LOG_LEVEL ?? 'warn',
    ANCHOR_INTERVAL_MS: process.env.BENCH_ANCHOR_INTERVAL_MS ?? '1000', EXCHANGE_RATE_PER_DEPARTMENT_PER_MINUTE: '10000000', EXCHANGE_RATE_PER_HOLDER_PER_MINUTE: '10000000', EXCHANGE_ALERT_DISTINCT_HOLDERS: '1000000',
  });
  const barePort = port + 1000;
  const bare = await startProcess('bench/bare-express-pg.ts', { DATABASE_URL: db.url!, PORT: String(barePort) });
  // Not the ceiling: the same bare app on the service's HTTP server, for comparison.
  const bareOnVaultServer = await startProcess('bench/bare-express-pg.ts', { DATABASE_URL: db.url!, PORT: String(barePort + 2), BARE_SERVER: 'vault' });
  try {
    const token = (code: string) => departmentToken(base, dataDir, code);
    const market = await token(DEPARTMENTS.market);
    const tax = await token(DEPARTMENTS.tax);
    const holder = (await json(`${base}/dev-idp/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subject: HOLDERS.companyA }) })).id_token as string;
    const licence = await json(`${base}/licences`, {
      method: 'POST', headers: { authorization: `Bearer ${market}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'food-business-licence', holder: { id: HOLDERS.companyA, name: '北京𠮷𪚥餐饮管理有限公司' }, fields: { legalRepresentative: '张𠮷', premises: '北京市朝阳区建国路1号', mainBusinessFormat: '餐饮服务经营者', businessItems: '热食类食品制售' } }),
    });
    const consents: string[] = [];
    // Enough uses for every run below (each consent allows at most 1 000).
    for (let i = 0; i < 400; i++) {
      consents.push((await json(`${base}/me/consents`, {
        method: 'POST', headers: { authorization: `Bearer ${holder}`, 'content-type': 'application/json' },
        body: JSON.stringify({ requester: DEPARTMENTS.tax, purpose: { code: 'FOOD-PERMIT-CHANGE', text: 'bench' }, licenceTypes: ['food-business-licence'], fields: ['legalRepresentative', 'premises'], validUntil: new Date(Date.now() + 3600_000).toISOString(), maxUses: 1000 }),
      })).id);
    }
    await new Promise((r) => setTimeout(r, 2500)); // let the anchorer checkpoint the licence
    let n = 0;
    const body = () => JSON.stringify({ holderId: HOLDERS.companyA, serviceItem: 'FOOD-PERMIT-CHANGE', caseNumber: 'B-1', officialId: 'bench', basis: { kind: 'consent', consentId: consents[n++ % consents.length] }, query: { kind: 'verify', licenceId: licence.id }, fields: ['legalRepresentative'] });
    const check = await json(`${base}/exchange/queries`, { method: 'POST', headers: { authorization: `Bearer ${tax}`, 'content-type': 'application/json' }, body: body() });
    if (!check.results?.[0]?.receipt) console.log('note: the licence was not yet checkpointed; answers carry no receipt');
    const rows: Array<Record<string, unknown>> = [];
    const queryOptions = {
      method: 'POST' as const, headers: { authorization: `Bearer ${tax}`, 'content-type': 'application/json' },
      requests: [{ setupRequest: (req: any) => ({ ...req, body: body() }) }],
    };
    for (const connections of (process.env.BENCH_EXCHANGE_CONNECTIONS ?? '50,200').split(',').map(Number)) {
      // The machine's speed drifts during a run (other work on its two cores): rounds alternate the two
      // sides, each round's ratio compares neighbours in time, and the table gives medians.
      const rounds: Array<{ exchange: LoadResult; ceiling: LoadResult; floor: LoadResult; ceilingOnVaultServer: LoadResult }> = [];
      for (let round = 0; round < ROUNDS; round++) {
        const measureExchange = () => load(`${base}/exchange/queries`, connections, vault, queryOptions, round === 0);
        const measureCeiling = () => load(`http://127.0.0.1:${barePort}/ping`, connections, bare, {}, round === 0);
        let pair: { exchange: LoadResult; ceiling: LoadResult };
        if (round % 2 === 0) {
          const exchange = await measureExchange();
          pair = { exchange, ceiling: await measureCeiling() };
        } else {
          const ceiling = await measureCeiling();
          pair = { exchange: await measureExchange(), ceiling };
        }
        // The service's cheapest route (no database, no token): what its HTTP stack costs before any query work.
        const floor = await load(`${base}/healthz`, connections, vault, {}, round === 0);
        rounds.push({ ...pair, floor, ceilingOnVaultServer: await load(`http://127.0.0.1:${barePort + 2}/ping`, connections, bareOnVaultServer, {}, round === 0) });
      }
      const ratios = rounds.map((r) => r.exchange.requestsPerSecond / r.ceiling.requestsPerSecond);
      const floorRatios = rounds.map((r) => r.floor.requestsPerSecond / r.ceiling.requestsPerSecond);
      rows.push({ what: 'consented verification query', ...medianOf(rounds.map((r) => r.exchange)), ratioToCeiling: +median(ratios).toFixed(3), ratiosByRound: ratios.map((r) => r.toFixed(2)).join(' ') });
      rows.push({ what: 'bare express + pg (ceiling)', ...medianOf(rounds.map((r) => r.ceiling)) });
      rows.push({ what: 'service GET /healthz (its HTTP stack alone)', ...medianOf(rounds.map((r) => r.floor)), ratioToCeiling: +median(floorRatios).toFixed(3), ratiosByRound: floorRatios.map((r) => r.toFixed(2)).join(' ') });
      // The query against the bare app on the service's own HTTP server (ratio: query / this row).
      const onVaultServerRatios = rounds.map((r) => r.exchange.requestsPerSecond / r.ceilingOnVaultServer.requestsPerSecond);
      rows.push({ what: "bare express + pg on the service's HTTP server", ...medianOf(rounds.map((r) => r.ceilingOnVaultServer)), ratioToCeiling: +median(onVaultServerRatios).toFixed(3), ratiosByRound: onVaultServerRatios.map((r) => r.toFixed(2)).join(' ') });
    }
    console.log(`POST /exchange/queries on PostgreSQL (service in its own process) vs a bare express + pg round trip, medians of ${ROUNDS} alternating rounds of ${SECONDS} s; target p99 ≤ 20 ms at 200 connections and ≥ 50% of the ceiling:`);
    console.table(rows);

    Object.assign(results, { exchange: rows });
    if (process.env.BENCH_EXCHANGE_TWO_PROCESSES === 'false') return;
    // Both sides again as two processes each (replicas on one host, one PostgreSQL), 100 connections per
    // process: whether a second event loop finds CPU the first could not use. Not the comparison.
    const secondVault = await startProcess('src/main.ts', {
      DATABASE_URL: db.url!, DATA_DIR: dataDir, PORT: String(port + 1), PUBLIC_BASE_URL: base, SEED_DEV_DATA: 'true', LOG_LEVEL: 'warn', ANCHORER_ENABLED: 'false',
      EXCHANGE_RATE_PER_DEPARTMENT_PER_MINUTE: '10000000', EXCHANGE_RATE_PER_HOLDER_PER_MINUTE: '10000000', EXCHANGE_ALERT_DISTINCT_HOLDERS: '1000000',
    });
    const secondBare = await startProcess('bench/bare-express-pg.ts', { DATABASE_URL: db.url!, PORT: String(barePort + 1) });
    try {
      const replicaRows: Array<Record<string, unknown>> = [];
      const exchange = await loadSplit([{ url: `${base}/exchange/queries`, server: vault }, { url: `http://127.0.0.1:${port + 1}/exchange/queries`, server: secondVault }], 200, {
        method: 'POST', headers: { authorization: `Bearer ${tax}`, 'content-type': 'application/json' },
        requests: [{ setupRequest: (req: any) => ({ ...req, body: body() }) }],
      });
      const ceiling = await loadSplit([{ url: `http://127.0.0.1:${barePort}/ping`, server: bare }, { url: `http://127.0.0.1:${barePort + 1}/ping`, server: secondBare }], 200);
      replicaRows.push({ what: 'consented verification query, 2 processes', ...exchange, ratioToCeiling: +(exchange.requestsPerSecond / ceiling.requestsPerSecond).toFixed(3) });
      replicaRows.push({ what: 'bare express + pg, 2 processes', ...ceiling });
      console.log('The same at 200 connections with two processes on each side (100 connections each; p50/p99 the worse of the two):');
      console.table(replicaRows);
      Object.assign(results, { exchangeTwoProcesses: replicaRows });
    } finally {
      secondVault.kill('SIGTERM');
      secondBare.kill('SIGTERM');
    }
  } finally {
    vault.kill('SIGTERM');
    bare.kill('SIGTERM');
    bareOnVaultServer.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    await db.dispose().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
