/**
 * `npm run bench`: issuance figures for the foundation issue.
 *   1. CPU per licence for render, sign, store and record, measured phase by phase in-process.
 *   2. Licences issued per second end to end through the HTTP API, the service in its own process and
 *      autocannon here, on the embedded defaults and, where reachable, on PostgreSQL + the S3 gateway, with
 *      the service's CPU per licence against render + sign (bench/issuance.ts).
 *   3. Transparency: log appends/s, proof latency at 10^4–10^7 leaves, ledger tx per 1 M licences, verify latency.
 *   4. Replicas: issuance throughput with one service process vs two on one PostgreSQL database.
 * `npm run bench [pdf] [issuance] [transparency] [ledger] [exchange] [digitize] [replicas]`. Numbers go to stdout and bench/out/results.json.
 * Never run as a test: figures, not assertions.
 */
import fs from 'node:fs';
import os from 'node:os';
import { issuanceBench } from './issuance.ts';
import { transparencyBench } from './transparency.ts';
import { exchangeBench } from './exchange.ts';
import { digitizeBench } from './digitize.ts';
import { replicasBench } from './replicas.ts';
import { ledgerBench } from './ledger.ts';
import { pdfBench } from './pdf.ts';
import { tilesBench } from './tiles.ts';
import { pagesBench } from './pages.ts';

const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version }, at: new Date().toISOString() };

const sections = new Set(process.argv.slice(2).length ? process.argv.slice(2) : ['pdf', 'issuance', 'transparency', 'tiles', 'ledger', 'exchange', 'digitize', 'replicas', 'pages']);

async function main() {
  fs.mkdirSync('bench/out', { recursive: true });
  console.log(`Licence Vault bench — ${os.cpus().length} cores, ${process.version} — sections: ${[...sections].join(', ')}\n`);
  if (sections.has('pdf')) await pdfBench(results);
  if (sections.has('issuance')) await issuanceBench(results);
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

await main();
process.exit(0);
