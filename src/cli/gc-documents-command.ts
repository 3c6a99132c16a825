/**
 * `licence-vault gc-documents`: deletes licence PDFs no licence row points at (stored, then the database
 * write failed), older than a grace period; `--dry-run` only lists them. Runs against the configured
 * database and object store, like the service (with embedded PGlite, not while the service runs on the
 * same data directory).
 */
import cliProgress from 'cli-progress';
import { createVault } from '../compose.ts';
import { loadConfig } from '../config/config.ts';
import { sweepOrphanDocuments } from '../licences/orphan-documents.ts';
import { createLogger } from '../observability/logger.ts';

export interface GcDocumentsOptions {
  olderThanHours: string;
  dryRun?: boolean;
  progress?: boolean;
}

export async function runGcDocuments(opts: GcDocumentsOptions): Promise<number> {
  const hours = Number(opts.olderThanHours);
  if (!Number.isFinite(hours) || hours < 1) {
    process.stderr.write(`error: --older-than-hours must be a number of hours ≥ 1 (an issuance in flight must never lose its PDF), got ${JSON.stringify(opts.olderThanHours)}\n`);
    return 2;
  }
  const vault = await createVault(loadConfig({ ...process.env, ANCHORER_ENABLED: 'false' }), { logger: createLogger(process.env.LOG_LEVEL ?? 'warn') });
  const showBar = opts.progress !== false && process.stderr.isTTY;
  const bar = new cliProgress.SingleBar({ format: 'checking documents [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  try {
    const report = await sweepOrphanDocuments({ db: vault.db, objects: vault.objects }, {
      graceMs: hours * 3600_000,
      dryRun: Boolean(opts.dryRun),
      onProgress: (done, total) => {
        if (!showBar) return;
        if (done === Math.min(500, total)) bar.start(total, 0);
        bar.update(done);
      },
    });
    if (showBar) bar.stop();
    for (const key of report.orphans) process.stdout.write(`${opts.dryRun ? 'would delete' : 'deleted'} ${key}\n`);
    process.stdout.write(
      `${report.scanned} documents: ${report.referenced} referenced, ${report.tooYoung} unreferenced but younger than ${hours} h (kept), ` +
        `${report.unrecognised} not document keys (kept), ${report.orphans.length} orphaned (${opts.dryRun ? 'dry run: none deleted' : `${report.deleted} deleted`})\n`,
    );
    return 0;
  } finally {
    if (showBar) bar.stop();
    await vault.close();
  }
}
