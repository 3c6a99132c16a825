/**
 * The digitization pipeline: stream a manifest, normalise each row, load its scans, and issue it as an
 * e-licence marked "digitized from paper" through the same LicenceService as any issuance. A bad row goes
 * to the error report and never stops the batch. Exactly-once comes from the licence store: the
 * idempotency key is (source system, source record id) and the request hash covers the normalised row,
 * so a re-run or a resume after kill -9 replays finished rows, and a changed row is a conflict.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DepartmentPrincipal } from '../principals/principal.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { IssueLicenceRequest, LicenceService } from '../licences/licence-service.ts';
import type { LicenceScan } from '../licences/licence-document.ts';
import { createErrorReport } from './error-report.ts';
import type { ErrorReportWriter } from './error-report.ts';
import { isParseError, readManifest } from './manifest-reader.ts';
import type { ManifestEncoding, ManifestFormat } from './manifest-reader.ts';
import { normaliseRow, sourceKey } from './row-normaliser.ts';
import type { DigitizeRow } from './row-normaliser.ts';
import { loadScan, ScanError } from './scan-reader.ts';

export interface DigitizeOptions {
  manifest: string;
  scansDir: string;
  errorReport: string;
  encoding?: ManifestEncoding;
  format?: ManifestFormat;
  dryRun?: boolean;
  /** Rows in flight at once (rendering runs on the worker pool). */
  concurrency?: number;
  /** Act only as this department: rows of types it does not issue are rejected (WRONG_ISSUER). */
  department?: string;
  onProgress?: (progress: DigitizeProgress) => void;
}

export interface DigitizeProgress {
  processed: number;
  issued: number;
  errors: number;
}

export interface DigitizeSummary {
  rows: number;
  issued: number;
  /** Rows issued by an earlier run (or earlier in this one, before a crash): reported, not issued again. */
  alreadyDone: number;
  /** Rows repeated within this manifest with identical content. */
  duplicatesInManifest: number;
  conflicts: number;
  rejected: Record<string, number>;
  rejectedRows: number;
  dryRun: boolean;
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
    },
  };
}

export async function digitize(deps: DigitizeDeps, options: DigitizeOptions): Promise<DigitizeSummary> {
  const started = Date.now();
  const report = createErrorReport(options.errorReport);
  const summary: DigitizeSummary = { rows: 0, issued: 0, alreadyDone: 0, duplicatesInManifest: 0, conflicts: 0, rejected: {}, rejectedRows: 0, dryRun: Boolean(options.dryRun), errorReport: options.errorReport, seconds: 0 };
  const seen = new Map<string, string>(); // source key → content hash, to spot repeats within the manifest
  const inFlight = new Set<Promise<void>>();
  const concurrency = options.concurrency ?? 8;
  let errors = 0;
  const reject = async (rowNumber: number, row: { sourceSystem?: string; sourceRecordId?: string }, entries: Array<{ field: string; code: string; reason: string }>) => {
    summary.rejectedRows += 1;
    for (const e of entries) {
      summary.rejected[e.code] = (summary.rejected[e.code] ?? 0) + 1;
      errors += 1;
      await report.write({ rowNumber, sourceSystem: row.sourceSystem, sourceRecordId: row.sourceRecordId, field: e.field, code: e.code, reason: e.reason });
    }
  };
  const progress = () => options.onProgress?.({ processed: summary.rows, issued: summary.issued, errors });

  try {
    for await (const item of readManifest(options.manifest, { encoding: options.encoding ?? 'auto', format: options.format })) {
      summary.rows += 1;
      if (isParseError(item)) {
        await reject(item.rowNumber, {}, [{ field: '(row)', code: 'PARSE_ERROR', reason: item.parseError }]);
        progress();
        continue;
      }
      const normalised = normaliseRow(item.raw, {
        catalogue: deps.catalogue,
        missingGlyphs: deps.missingGlyphs,
        scanExists: (name) => fs.existsSync(path.join(options.scansDir, name)),
      });
      if (!normalised.ok) {
        await reject(item.rowNumber, rawSource(item.raw), normalised.errors);
        progress();
        continue;
      }
      const row = normalised.row;
      const key = sourceKey(row);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        if (earlier === row.contentSha256) summary.duplicatesInManifest += 1;
        else {
          summary.conflicts += 1;
          await reject(item.rowNumber, row, [{ field: 'source_record_id', code: 'CONFLICT', reason: 'the same source record appears earlier in this manifest with different content' }]);
          summary.rejectedRows -= 1; // counted as a conflict, not a rejection
        }
        progress();
        continue;
      }
      seen.set(key, row.contentSha256);
      const task = processRow(deps, options, row, item.rowNumber, summary, reject).finally(() => {
        inFlight.delete(task);
        progress();
      });
      // Marked as observed at once: a row failing while the loop awaits the next manifest line must not be
      // an unhandled rejection (that ends the process). Its failure still surfaces through race/all below.
      task.catch(() => undefined);
      inFlight.add(task);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } catch (error) {
    // A failure that is not a row's own (the database went away): let the rows in flight settle first,
    // so a resumed run never overlaps with this one.
    await Promise.allSettled(inFlight);
    throw error;
  } finally {
    await report.close();
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

async function processRow(
  deps: DigitizeDeps,
  options: DigitizeOptions,
  row: DigitizeRow,
  rowNumber: number,
  summary: DigitizeSummary,
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
      const scan = await loadScan(path.join(options.scansDir, name));
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

function rawSource(raw: Record<string, unknown>): { sourceSystem?: string; sourceRecordId?: string } {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  return { sourceSystem: text(raw.source_system), sourceRecordId: text(raw.source_record_id) };
}

export type { ErrorReportWriter };
