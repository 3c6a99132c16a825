/**
 * `licence-vault digitize <manifest> --scans <dir>`: runs the digitization pipeline in this process
 * against the configured database and object store (DATABASE_URL / S3_* / DATA_DIR). With the embedded
 * PGlite database, stop the service first: PGlite admits one process at a time.
 */
import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { createVault } from '../compose.ts';
import { loadConfig } from '../config/config.ts';
import { digitize } from '../digitize/digitize-pipeline.ts';
import type { DigitizeSummary } from '../digitize/digitize-pipeline.ts';
import type { ManifestEncoding } from '../digitize/manifest-reader.ts';
import { isCenturyPivot } from '../digitize/historic-dates.ts';
import { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import { createLogger } from '../observability/logger.ts';

export interface DigitizeCommandOptions {
  scans: string;
  encoding?: ManifestEncoding;
  dryRun?: boolean;
  errorReport?: string;
  department?: string;
  concurrency?: string;
  progress?: boolean;
  /** Two-digit years yy ≤ this are 20yy, the others 19yy (see src/digitize/manifest-format.md). */
  centuryPivot?: string;
}

/** Counts data rows cheaply for the progress bar's total and ETA (a streaming pass, flat memory). */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of fs.createReadStream(file)) for (const byte of chunk as Buffer) if (byte === 10) lines += 1;
  return Math.max(0, file.endsWith('.jsonl') ? lines : lines - 1);
}

export async function runDigitize(manifest: string, opts: DigitizeCommandOptions): Promise<number> {
  if (!fs.existsSync(manifest)) {
    process.stderr.write(`error: manifest ${manifest} not found\n`);
    return 1;
  }
  if (!fs.existsSync(opts.scans)) {
    process.stderr.write(`error: scans directory ${opts.scans} not found\n`);
    return 1;
  }
  let centuryPivot: number | undefined;
  if (opts.centuryPivot !== undefined) {
    centuryPivot = /^\d{1,2}$/.test(opts.centuryPivot.trim()) ? Number(opts.centuryPivot.trim()) : NaN;
    if (!isCenturyPivot(centuryPivot)) {
      process.stderr.write(`error: --century-pivot takes a two-digit year 0–99 (two-digit years up to it are read as 20yy, the others as 19yy), not ${JSON.stringify(opts.centuryPivot)}\n`);
      return 1;
    }
  }
  const config = loadConfig({ ...process.env, ANCHORER_ENABLED: 'false' });
  const vault = await createVault(config, { logger: createLogger(process.env.LOG_LEVEL ?? 'warn') });
  // This process digitizes its own manifest and exits: it takes no API job's work from the shared queue.
  await vault.digitizeJobs.stop();
  const total = await countLines(manifest);
  const showBar = opts.progress !== false && process.stderr.isTTY;
  const bar = new cliProgress.SingleBar(
    { format: 'digitizing [{bar}] {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted} | issued {issued} | errors {errors}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  if (showBar) bar.start(total, 0, { rate: '0', issued: 0, errors: 0 });
  let lastLine = 0;
  let summary: DigitizeSummary;
  try {
    summary = await digitize(
      { licences: vault.licences, catalogue: LicenceTypeCatalogue.load(), missingGlyphs: (t) => vault.documents.missingGlyphs(t) },
      {
        manifest,
        scansDir: opts.scans,
        errorReport: opts.errorReport ?? `${manifest}.errors.csv`,
        encoding: opts.encoding,
        dryRun: opts.dryRun,
        department: opts.department,
        concurrency: opts.concurrency ? Number(opts.concurrency) : undefined,
        centuryPivot,
        onProgress: (p) => {
          const rate = (p.processed / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1);
          if (showBar) bar.update(p.processed, { rate, issued: p.issued, errors: p.errors });
          else if (p.processed - lastLine >= 500) {
            lastLine = p.processed;
            process.stderr.write(`digitizing: ${p.processed}/${total} rows, ${rate} rows/s, issued ${p.issued}, errors ${p.errors}\n`);
          }
        },
      },
    );
  } finally {
    if (showBar) bar.stop();
    await vault.close();
  }
  const rejected = Object.entries(summary.rejected).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  process.stdout.write(
    [
      `${summary.dryRun ? 'dry run: nothing was issued' : 'digitization finished'} in ${summary.seconds.toFixed(1)} s (${(summary.rows / Math.max(0.001, summary.seconds)).toFixed(1)} rows/s)`,
      `  rows read            ${summary.rows}`,
      `  issued               ${summary.issued}`,
      `  already done before  ${summary.alreadyDone}`,
      `  repeated in manifest ${summary.duplicatesInManifest}`,
      `  conflicts            ${summary.conflicts}`,
      `  rejected rows        ${summary.rejectedRows} (${rejected})`,
      `  error report         ${summary.errorReport}`,
      `SUMMARY ${JSON.stringify(summary)}`,
      '',
    ].join('\n'),
  );
  return summary.rejectedRows + summary.conflicts > 0 ? 2 : 0;
}
