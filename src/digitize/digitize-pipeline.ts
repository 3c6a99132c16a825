/**
 * The digitization pipeline: stream a manifest, normalise each row, load its scans, and issue it as an
 * e-licence marked "digitized from paper" through the same LicenceService as any issuance. A bad row goes
 * to the error report and never stops the batch. Exactly-once comes from the licence store: the
 * idempotency key is (source system, source record id) and the request hash covers the normalised row,
 * so a re-run or a resume after kill -9 replays finished rows, and a changed row is a conflict.
 */
import type { DepartmentPrincipal } from '../principals/principal.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { IssueLicenceRequest, LicenceService } from '../licences/licence-service.ts';
import type { LicenceScan } from '../licences/licence-document.ts';
import { createErrorReport } from './error-report.ts';
import type { ErrorReportEntry, ErrorReportWriter } from './error-report.ts';
import { isParseError, readManifest } from './manifest-reader.ts';
import type { ManifestEncoding, ManifestFormat, ManifestItem } from './manifest-reader.ts';
import { normaliseRow, sourceKey } from './row-normaliser.ts';
import type { DigitizeRow } from './row-normaliser.ts';
import { ScanError, scansInDirectory } from './scan-reader.ts';
import type { ScanSource } from './scan-reader.ts';

export interface DigitizeOptions extends Omit<RowRangeOptions, 'repeats' | 'shouldStop'> {
  manifest: string;
  scansDir: string;
  errorReport: string;
  encoding?: ManifestEncoding;
  format?: ManifestFormat;
}

export interface DigitizeProgress {
  processed: number;
  issued: number;
  errors: number;
}

/**
 * `alreadyDone`: rows issued by an earlier run (or earlier in this one, before a crash): reported, not
 * issued again. `duplicatesInManifest`: rows repeated within this manifest with identical content.
 */
export interface DigitizeSummary extends DigitizeCounts {
  dryRun: boolean;
  /** Where the error report is: the CLI's file, or an API job's report URL (never a server path). */
  errorReport: string;
  seconds: number;
}

export interface DigitizeDeps {
  licences: LicenceService;
  catalogue: LicenceTypeCatalogue;
  missingGlyphs: (text: string) => string[];
}

export function digitizeIdempotencyKey(row: Pick<DigitizeRow, 'sourceSystem' | 'sourceRecordId'>): string {
  return `digitize:${sourceKey(row)}`;
}

/** The issuance request of a row: deterministic, so a re-run hashes to the same request. */
export function requestFor(row: DigitizeRow, scans: Array<{ fileName: string; sha256: string; mediaType: string }>): IssueLicenceRequest {
  return {
    type: row.typeKey,
    holder: { id: row.holder.id, name: row.holder.name },
    fields: row.fields,
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    provenance: {
      kind: 'digitized-from-paper',
      sourceSystem: row.sourceSystem,
      sourceRecordId: row.sourceRecordId,
      originalIssueDate: row.originalIssueDate,
      archiveLocation: row.archiveLocation,
      reviewingClerk: row.reviewingClerk,
      holderIdOriginal: row.holder.idOriginal,
      aliases: { ...row.aliases } as Record<string, string>,
      scans,
      // Dates read with the century pivot, as the manifest wrote them (only when there are any, so the
      // request of every other row, and so its idempotency hash, is what it always was).
      ...(Object.keys(row.dateOriginals).length > 0 ? { dateOriginals: { ...row.dateOriginals } } : {}),
    },
  };
}

/** What a run (or one row range of a job) counted. */
export interface DigitizeCounts {
  rows: number;
  issued: number;
  alreadyDone: number;
  duplicatesInManifest: number;
  conflicts: number;
  rejected: Record<string, number>;
  rejectedRows: number;
}

export const noCounts = (): DigitizeCounts => ({ rows: 0, issued: 0, alreadyDone: 0, duplicatesInManifest: 0, conflicts: 0, rejected: {}, rejectedRows: 0 });

/** Adds `b` into `a` (progress and summaries of a job's row ranges). */
export function addCounts(a: DigitizeCounts, b: DigitizeCounts): DigitizeCounts {
  const rejected = { ...a.rejected };
  for (const [code, n] of Object.entries(b.rejected)) rejected[code] = (rejected[code] ?? 0) + n;
  return {
    rows: a.rows + b.rows, issued: a.issued + b.issued, alreadyDone: a.alreadyDone + b.alreadyDone, duplicatesInManifest: a.duplicatesInManifest + b.duplicatesInManifest,
    conflicts: a.conflicts + b.conflicts, rejected, rejectedRows: a.rejectedRows + b.rejectedRows,
  };
}

/** A later row of a source record seen earlier in the manifest: identical content, or different. */
export type RepeatVerdict = 'duplicate' | 'conflict';

/**
 * Finds repeats of a source record within one manifest, in manifest order: the first good row of a key is
 * the one that counts. Rows that fail normalisation never count as seen.
 */
export class RepeatTracker {
  private readonly seen = new Map<string, string>(); // source key → content hash

  verdict(row: DigitizeRow): RepeatVerdict | null {
    const key = sourceKey(row);
    const earlier = this.seen.get(key);
    if (earlier === undefined) {
      this.seen.set(key, row.contentSha256);
      return null;
    }
    return earlier === row.contentSha256 ? 'duplicate' : 'conflict';
  }
}

/** Where a run's error report lines go (the CSV writer, or a row range's list). */
export interface ErrorSink {
  write(entry: ErrorReportEntry): Promise<void>;
}

export interface RowRangeOptions {
  dryRun?: boolean;
  /** Rows in flight at once (rendering runs on the worker pool). */
  concurrency?: number;
  /** Act only as this department: rows of types it does not issue are rejected (WRONG_ISSUER). */
  department?: string;
  /** Reads two-digit years (see historic-dates.ts); without it they are refused. */
  centuryPivot?: number;
  /**
   * Verdicts on rows that repeat an earlier row's source record, from a pass over the whole manifest (a
   * job's row ranges run apart, so none can see the others' rows). Without it they are found as the rows
   * go by, which is right when one run reads the whole manifest.
   */
  repeats?: ReadonlyMap<number, RepeatVerdict>;
  /** Asked before each row is read: true stops reading; the rows in flight finish first. */
  shouldStop?: () => boolean;
  onProgress?: (progress: DigitizeProgress) => void;
}

export interface RowsOutcome {
  counts: DigitizeCounts;
  /** Row number of the last row read (every row up to it is finished), or null when none was. */
  lastRow: number | null;
  /** True when shouldStop ended the run before the rows ran out. */
  stopped: boolean;
}

/**
 * The pipeline over a stream of manifest rows: normalise, load scans, issue; every problem to `errors`.
 * Used whole by `digitize` (the CLI) and per row range by the API jobs.
 */
export async function digitizeRows(deps: DigitizeDeps, items: AsyncIterable<ManifestItem>, scans: ScanSource, errors: ErrorSink, options: RowRangeOptions = {}): Promise<RowsOutcome> {
  const counts = noCounts();
  const repeats = options.repeats ?? null;
  const tracker = repeats ? null : new RepeatTracker();
  const inFlight = new Set<Promise<void>>();
  const concurrency = options.concurrency ?? 8;
  let errorCount = 0;
  let lastRow: number | null = null;
  let stopped = false;
  const reject = async (rowNumber: number, row: { sourceSystem?: string; sourceRecordId?: string }, entries: Array<{ field: string; code: string; reason: string }>) => {
    counts.rejectedRows += 1;
    for (const e of entries) {
      counts.rejected[e.code] = (counts.rejected[e.code] ?? 0) + 1;
      errorCount += 1;
      await errors.write({ rowNumber, sourceSystem: row.sourceSystem, sourceRecordId: row.sourceRecordId, field: e.field, code: e.code, reason: e.reason });
    }
  };
  const progress = () => options.onProgress?.({ processed: counts.rows, issued: counts.issued, errors: errorCount });
  const inManifestConflict = async (rowNumber: number, row: { sourceSystem?: string; sourceRecordId?: string }) => {
    counts.conflicts += 1;
    await reject(rowNumber, row, [{ field: 'source_record_id', code: 'CONFLICT', reason: 'the same source record appears earlier in this manifest with different content' }]);
    counts.rejectedRows -= 1; // counted as a conflict, not a rejection
  };

  try {
    for await (const item of items) {
      lastRow = item.rowNumber;
      counts.rows += 1;
      if (isParseError(item)) {
        await reject(item.rowNumber, {}, [{ field: '(row)', code: 'PARSE_ERROR', reason: item.parseError }]);
        progress();
      } else if (repeats?.has(item.rowNumber)) {
        if (repeats.get(item.rowNumber) === 'duplicate') counts.duplicatesInManifest += 1;
        else await inManifestConflict(item.rowNumber, rawSource(item.raw));
        progress();
      } else {
        const normalised = normaliseRow(item.raw, { catalogue: deps.catalogue, missingGlyphs: deps.missingGlyphs, scanExists: (name) => scans.exists(name), centuryPivot: options.centuryPivot });
        if (!normalised.ok) {
          await reject(item.rowNumber, rawSource(item.raw), normalised.errors);
          progress();
        } else {
          const row = normalised.row;
          const verdict = tracker?.verdict(row) ?? null;
          if (verdict === 'duplicate') {
            counts.duplicatesInManifest += 1;
            progress();
          } else if (verdict === 'conflict') {
            await inManifestConflict(item.rowNumber, row);
            progress();
          } else {
            const task = processRow(deps, options, scans, row, item.rowNumber, counts, reject).finally(() => {
              inFlight.delete(task);
              progress();
            });
            // Marked as observed at once: a row failing while the loop awaits the next manifest line must not be
            // an unhandled rejection (that ends the process). Its failure still surfaces through race/all below.
            task.catch(() => undefined);
            inFlight.add(task);
            if (inFlight.size >= concurrency) await Promise.race(inFlight);
          }
        }
      }
      if (options.shouldStop?.()) {
        stopped = true;
        break;
      }
    }
    await Promise.all(inFlight);
  } catch (error) {
    // A failure that is not a row's own (the database went away): let the rows in flight settle first,
    // so a resumed run never overlaps with this one.
    await Promise.allSettled(inFlight);
    throw error;
  }
  return { counts, lastRow, stopped };
}

/** A whole manifest file with its scans directory, as `licence-vault digitize` runs it. */
export async function digitize(deps: DigitizeDeps, options: DigitizeOptions): Promise<DigitizeSummary> {
  const started = Date.now();
  const report = createErrorReport(options.errorReport);
  let outcome: RowsOutcome;
  try {
    outcome = await digitizeRows(deps, readManifest(options.manifest, { encoding: options.encoding ?? 'auto', format: options.format }), scansInDirectory(options.scansDir), report, options);
  } finally {
    await report.close();
  }
  return { ...outcome.counts, dryRun: Boolean(options.dryRun), errorReport: options.errorReport, seconds: (Date.now() - started) / 1000 };
}

async function processRow(
  deps: DigitizeDeps,
  options: RowRangeOptions,
  scanSource: ScanSource,
  row: DigitizeRow,
  rowNumber: number,
  summary: DigitizeCounts,
  reject: (rowNumber: number, row: DigitizeRow, entries: Array<{ field: string; code: string; reason: string }>) => Promise<void>,
): Promise<void> {
  const type = deps.catalogue.get(row.typeKey)!;
  if (options.department && type.issuer !== options.department) {
    await reject(rowNumber, row, [{ field: 'licence_type', code: 'WRONG_ISSUER', reason: `${row.typeKey} is issued by ${type.issuer}, not ${options.department}` }]);
    return;
  }
  const scans: LicenceScan[] = [];
  const scanFacts: Array<{ fileName: string; sha256: string; mediaType: string }> = [];
  for (const name of row.scans) {
    try {
      const scan = await scanSource.load(name);
      scans.push({ fileName: name, sha256: scan.sha256, images: scan.pages, ...(scan.pdfBytes ? { pdfBytes: scan.pdfBytes } : {}) });
      scanFacts.push({ fileName: name, sha256: scan.sha256, mediaType: scan.mediaType });
    } catch (error) {
      if (!(error instanceof ScanError)) throw error;
      await reject(rowNumber, row, [{ field: 'scans', code: error.code, reason: `${name}: ${error.reason}` }]);
      return;
    }
  }
  const request = requestFor(row, scanFacts);
  const principal: DepartmentPrincipal = { kind: 'department', code: type.issuer, roles: ['issuer'], tokenId: 'digitize' };
  const key = digitizeIdempotencyKey(row);
  if (options.dryRun) {
    const state = await deps.licences.digitizedState(principal, request, key);
    if (state === 'done') summary.alreadyDone += 1;
    else if (state === 'conflict') await conflict();
    return;
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const outcome = await deps.licences.issue(principal, request, key, { scans });
      if (outcome.replayed) summary.alreadyDone += 1;
      else summary.issued += 1;
      return;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === 'IDEMPOTENCY_KEY_REUSED') return conflict();
      // The object store or renderer being briefly unavailable is worth two retries; anything else is the row's.
      if (error.kind === 'unavailable' && attempt < 2) {
        await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
        continue;
      }
      const entries = error.fields?.length ? error.fields.map((e) => ({ field: e.field, code: error.code, reason: e.message })) : [{ field: '(row)', code: error.code, reason: error.message }];
      await reject(rowNumber, row, entries);
      return;
    }
  }

  async function conflict() {
    summary.conflicts += 1;
    await reject(rowNumber, row, [{ field: 'source_record_id', code: 'CONFLICT', reason: 'this source record was digitized before with different content; it was not re-issued' }]);
    summary.rejectedRows -= 1;
  }
}

export function rawSource(raw: Record<string, unknown>): { sourceSystem?: string; sourceRecordId?: string } {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  return { sourceSystem: text(raw.source_system), sourceRecordId: text(raw.source_record_id) };
}

export type { ErrorReportWriter };
