/**
 * Replica figures: licences issued per second through POST /licences with one service process, then with
 * two service processes on the same PostgreSQL database and data directory (the second started with
 * ANCHORER_ENABLED=false, as a second replica would be), autocannon spreading its connections round-robin
 * over them. Measured with and without render worker threads: a replica only adds capacity where one
 * process leaves cores idle. Called by bench/run.ts (`npm run bench replicas`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { openTestDatabase, postgresUnavailableReason } from '../test/support/databases.ts';
import { departmentToken, freePort, ServiceProcess } from '../test/support/service-process.ts';
import { businessLicenceRequest, DEPARTMENTS } from '../test/support/test-vault.ts';

const SECONDS = Number(process.env.BENCH_REPLICAS_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_REPLICAS_CONNECTIONS ?? 8);
// Replicas must agree on the token issuer and audience, as they would behind one public name.
const PUBLIC_BASE_URL = 'http://vault.bench';

async function issuance(urls: string[], token: string) {
  const options = {
    // autocannon assigns connections to several URLs round-robin (its types only admit one).
    url: urls.map((u) => `${u}/licences`) as unknown as string,
    method: 'POST' as const,
    body: JSON.stringify(businessLicenceRequest()),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  };
  await autocannon({ ...options, connections: CONNECTIONS, amount: CONNECTIONS * 5 }); // warm-up: JIT, fonts, pools
  const r = await autocannon({ ...options, connections: CONNECTIONS, duration: SECONDS });
  return {
    licencesPerSecond: +(r['2xx'] / (r.duration || SECONDS)).toFixed(1),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

export async function replicasBench(results: Record<string, unknown>) {
  console.log('\n— replicas —');
  const reason = await postgresUnavailableReason();
  if (reason) {
    console.log(`replicas bench skipped: ${reason}`);
    return;
  }
  const db = await openTestDatabase('postgres', { migrate: false });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-bench-replicas-'));
  const rows: Array<Record<string, unknown>> = [];
  const running: ServiceProcess[] = [];
  try {
    for (const renderWorkers of ['0', String(Math.min(2, os.cpus().length))]) {
      const start = async (env: Record<string, string>) => {
        const service = await ServiceProcess.start({ dataDir, databaseUrl: db.url!, port: await freePort(), publicBaseUrl: PUBLIC_BASE_URL, env: { RENDER_WORKERS: renderWorkers, ...env } });
        running.push(service);
        return service;
      };
      const first = await start({});
      const token = await departmentToken(first.baseUrl, dataDir, DEPARTMENTS.market, PUBLIC_BASE_URL);
      const one = await issuance([first.baseUrl], token);
      const second = await start({ ANCHORER_ENABLED: 'false' });
      const two = await issuance([first.baseUrl, second.baseUrl], token);
      rows.push({ renderWorkers: Number(renderWorkers), replicas: 1, ...one });
      rows.push({ renderWorkers: Number(renderWorkers), replicas: 2, ...two, ratioToOne: +(two.licencesPerSecond / one.licencesPerSecond).toFixed(2) });
      while (running.length) await running.pop()!.stop();
    }
    console.log(`POST /licences on PostgreSQL + local objects, ${CONNECTIONS} connections, ${SECONDS} s, ${os.cpus().length} cores: one service process vs two on the same database and data directory:`);
    console.table(rows);
    Object.assign(results, { replicas: rows });
  } finally {
    while (running.length) await running.pop()!.stop();
    await db.dispose().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
