/**
 * Streaming error report of a digitization batch: one CSV line per problem,
 * `row_number,source_system,source_record_id,field,code,reason`, UTF-8 with a BOM so that Excel opens
 * the Chinese text correctly, RFC 4180 quoting by csv-stringify, CRLF line ends.
 *
 * Cells that a spreadsheet would run as a formula (starting with = + - @ or a tab/CR) are prefixed with
 * an apostrophe (OWASP "CSV injection"); pass `{ formulaGuard: false }` for a byte-exact report.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Stringifier } from 'csv-stringify';

export const ERROR_REPORT_COLUMNS = ['row_number', 'source_system', 'source_record_id', 'field', 'code', 'reason'] as const;

export interface ErrorReportEntry {
  rowNumber: number;
  sourceSystem?: string;
  sourceRecordId?: string;
  field: string;
  code: string;
  reason: string;
}

export interface ErrorReportOptions {
  /** Prefix cells that start with = + - @ TAB CR with an apostrophe (default true). */
  formulaGuard?: boolean;
}

export interface ErrorReportWriter {
  /** Writes one line; resolves once the stream can take more (back-pressure). */
  write(entry: ErrorReportEntry): Promise<void>;
  /** Writes one line per error of a row; source ids are taken from the raw row when present. */
  writeRow(rowNumber: number, raw: Record<string, unknown> | undefined, errors: ReadonlyArray<{ field: string; code: string; reason: string }>): Promise<void>;
  /** Lines written so far (header excluded). */
  readonly count: number;
  /** Flushes and closes the destination (a file is fsync-free but fully written when this resolves). */
  close(): Promise<void>;
}

const FORMULA_START = /^[=+\-@\t\r]/;

export function createErrorReport(destination: string | Writable, options: ErrorReportOptions = {}): ErrorReportWriter {
  const guard = options.formulaGuard ?? true;
  const out = typeof destination === 'string' ? fs.createWriteStream(destination) : destination;
  const stringifier: Stringifier = stringify({ header: true, columns: [...ERROR_REPORT_COLUMNS], bom: true, record_delimiter: 'windows' });
  stringifier.pipe(out);
  let failure: Error | null = null;
  const onError = (err: Error): void => {
    failure ??= err;
  };
  stringifier.on('error', onError);
  out.on('error', onError);
  let count = 0;
  const cell = (v: string | undefined): string => {
    const s = v ?? '';
    return guard && FORMULA_START.test(s) ? `'${s}` : s;
  };

  const writer: ErrorReportWriter = {
    get count() {
      return count;
    },
    async write(entry) {
      if (failure) throw failure;
      const ok = stringifier.write([
        String(entry.rowNumber),
        cell(entry.sourceSystem),
        cell(entry.sourceRecordId),
        cell(entry.field),
        cell(entry.code),
        cell(entry.reason),
      ]);
      count++;
      if (!ok) await Promise.race([once(stringifier, 'drain'), once(stringifier, 'error')]);
      if (failure) throw failure;
    },
    async writeRow(rowNumber, raw, errors) {
      const sourceSystem = textOf(raw?.source_system);
      const sourceRecordId = textOf(raw?.source_record_id);
      for (const e of errors) await writer.write({ rowNumber, sourceSystem, sourceRecordId, field: e.field, code: e.code, reason: e.reason });
    },
    async close() {
      const finished = once(out, 'finish');
      const closed = typeof destination === 'string' ? once(out, 'close') : Promise.resolve([]);
      stringifier.end();
      await finished;
      await closed;
      if (failure) throw failure;
    },
  };
  return writer;
}

function textOf(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  return '';
}
