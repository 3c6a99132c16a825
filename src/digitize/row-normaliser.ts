/**
 * Turns one raw manifest row into a validated, normalised DigitizeRow, or into the full list of what is
 * wrong with it (every problem of the row, not just the first: a clerk fixes a row once).
 *
 * Pure and synchronous: no file or database access. Scan existence is asked of `ctx.scanExists`; scan
 * contents (corrupt, too large) are checked later by `loadScan`.
 */
import { sha256Hex } from '../hashing/sha256.ts';
import { canonicalJson } from '../proofs/canonical-json.ts';
import { chinaDateString } from '../identity/dates.ts';
import { checkResidentId, convertResidentId15To18 } from '../identity/resident-id.ts';
import { checkUscc } from '../identity/uscc.ts';
import { normaliseIdentifierInput } from '../identity/normalise.ts';
import type { HolderKind } from '../identity/holder-id.ts';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import { NO_EXPIRY_WORDS, parseHistoricDate } from './historic-dates.ts';

export type RowErrorCode =
  | 'EMPTY_REQUIRED'
  | 'UNKNOWN_TYPE'
  | 'BAD_HOLDER_ID'
  | 'BAD_HOLDER_NAME'
  | 'UNRENDERABLE_CHARACTER'
  | 'BAD_DATE'
  | 'BAD_VALIDITY'
  | 'FIELD_INVALID'
  | 'MISSING_SCAN'
  | 'BAD_SCAN_NAME'
  | 'UNEXPECTED_ALIAS';

export interface RowError {
  /** Manifest column (`holder_id`, `valid_until`, `scans`) or `fields.<name>`. */
  field: string;
  /** English explanation, naming the offending value or code point. */
  reason: string;
  code: RowErrorCode;
}

export interface DigitizeRow {
  sourceSystem: string;
  sourceRecordId: string;
  typeKey: string;
  holder: {
    kind: HolderKind;
    /** Normalised 18-character identifier (15-digit resident IDs converted). */
    id: string;
    /** The identifier exactly as the manifest gave it. */
    idOriginal: string;
    /** NFC, trimmed; characters outside the BMP kept intact. */
    name: string;
  };
  /** YYYY-MM-DD */
  originalIssueDate: string;
  /** YYYY-MM-DD */
  validFrom: string;
  /** YYYY-MM-DD, or null for no expiry. */
  validUntil: string | null;
  fields: Record<string, unknown>;
  scans: string[];
  archiveLocation: string;
  reviewingClerk: string;
  aliases: { oldRegistrationNumber?: string };
  /**
   * The text of every date that was read with the century pivot (a two-digit year), by column
   * (`original_issue_date`, `valid_from`, `valid_until`, `fields.<name>`): kept beside the normalised date, as
   * the original ID is. Empty when no date needed the pivot.
   */
  dateOriginals: Record<string, string>;
  /** Hex SHA-256 of the canonical (RFC 8785) JSON of every other property except holder.idOriginal and dateOriginals. */
  contentSha256: string;
}

export type NormaliseResult = { ok: true; row: DigitizeRow } | { ok: false; errors: RowError[] };

export interface NormaliseContext {
  catalogue: LicenceTypeCatalogue;
  /** Code points (`U+XXXX`) of `text` that no font can draw, e.g. `getDefaultFontChain().findMissingGlyphs`. */
  missingGlyphs(text: string): string[];
  /** Whether a scan file of that name exists in the scans directory (omitted: not checked). */
  scanExists?(name: string): boolean;
  /** "Today" for future-date checks (default: now), taken in China Standard Time. */
  today?: Date;
  /** Reads two-digit years: yy ≤ pivot is 20yy, otherwise 19yy (see historic-dates.ts); without it they are refused. */
  centuryPivot?: number;
}

/** Columns that must be non-empty (EMPTY_REQUIRED); `scans` is checked separately (MISSING_SCAN). */
export const REQUIRED_COLUMNS = [
  'source_system',
  'source_record_id',
  'licence_type',
  'holder_id',
  'holder_name',
  'original_issue_date',
  'valid_from',
  'archive_location',
  'reviewing_clerk',
] as const;

/** Same limit as the licence service applies to holder names. */
export const MAX_HOLDER_NAME_LENGTH = 100;
const MAX_TEXT_LENGTH = 400;

export function normaliseRow(raw: Record<string, unknown>, ctx: NormaliseContext): NormaliseResult {
  const errors: RowError[] = [];
  const err = (field: string, code: RowErrorCode, reason: string): void => {
    errors.push({ field, code, reason });
  };

  const text: Record<string, string> = {};
  const notText = new Set<string>();
  for (const col of [...REQUIRED_COLUMNS, 'valid_until', 'old_registration_number']) {
    const v = cellText(raw[col]);
    if (v === null) {
      err(col, 'FIELD_INVALID', `must be text, got ${describeValue(raw[col])}`);
      notText.add(col);
      text[col] = '';
      continue;
    }
    text[col] = v.normalize('NFC').trim();
  }
  for (const col of REQUIRED_COLUMNS) {
    if (text[col] === '' && !notText.has(col)) err(col, 'EMPTY_REQUIRED', 'is required and empty');
  }
  for (const col of ['source_system', 'source_record_id'] as const) {
    const v = text[col]!;
    if ([...v].length > MAX_TEXT_LENGTH) err(col, 'FIELD_INVALID', `must be at most ${MAX_TEXT_LENGTH} characters`);
    if (!isWellFormed(v)) err(col, 'UNRENDERABLE_CHARACTER', 'contains a lone surrogate (broken character encoding)');
  }
  for (const col of ['archive_location', 'reviewing_clerk'] as const) {
    if ([...text[col]!].length > MAX_TEXT_LENGTH) err(col, 'FIELD_INVALID', `must be at most ${MAX_TEXT_LENGTH} characters`);
    glyphCheck(col, text[col]!);
  }

  function glyphCheck(field: string, value: string): void {
    if (value === '') return;
    if (!isWellFormed(value)) {
      err(field, 'UNRENDERABLE_CHARACTER', 'contains a lone surrogate (broken character encoding)');
      return;
    }
    const missing = ctx.missingGlyphs(value);
    if (missing.length > 0) err(field, 'UNRENDERABLE_CHARACTER', `contains characters no configured font can draw: ${missing.join(', ')}`);
  }

  // Licence type.
  const typeKey = text.licence_type!;
  const type = typeKey === '' ? undefined : ctx.catalogue.get(typeKey);
  if (typeKey !== '' && !type) {
    const known = ctx.catalogue.list().map((t) => t.key).join(', ');
    err('licence_type', 'UNKNOWN_TYPE', `unknown licence type ${JSON.stringify(typeKey)}; known types: ${known}`);
  }

  // Holder identifier, per the type's holder kind.
  const idOriginal = typeof raw.holder_id === 'number' ? String(raw.holder_id) : typeof raw.holder_id === 'string' ? raw.holder_id : '';
  let holderId = '';
  if (type && text.holder_id !== '') {
    const checked = checkHolder(type.holderKind, idOriginal, ctx.today ?? new Date());
    if (checked.ok) holderId = checked.value;
    else err('holder_id', 'BAD_HOLDER_ID', checked.message);
  }

  // Holder name.
  const name = text.holder_name!;
  if (name !== '') {
    if ([...name].length > MAX_HOLDER_NAME_LENGTH) err('holder_name', 'BAD_HOLDER_NAME', `must be at most ${MAX_HOLDER_NAME_LENGTH} characters, got ${[...name].length}`);
    if (/[\u0000-\u001f\u007f]/.test(name)) err('holder_name', 'BAD_HOLDER_NAME', 'contains a control character (line break or tab)');
    glyphCheck('holder_name', name);
  }

  // Dates.
  const today = isoFromYyyymmdd(chinaDateString(ctx.today ?? new Date()));
  const dateOriginals: Record<string, string> = {};
  const readDate = (field: string, value: string) => {
    const parsed = parseHistoricDate(value, { centuryPivot: ctx.centuryPivot });
    if (parsed.ok && parsed.twoDigitYear) dateOriginals[field] = value;
    return parsed;
  };
  const date = (col: 'original_issue_date' | 'valid_from'): string | null => {
    if (text[col] === '') return null;
    const parsed = readDate(col, text[col]!);
    if (!parsed.ok) {
      err(col, 'BAD_DATE', parsed.reason);
      return null;
    }
    return parsed.value;
  };
  const originalIssueDate = date('original_issue_date');
  if (originalIssueDate !== null && originalIssueDate > today) {
    err('original_issue_date', 'BAD_DATE', `${originalIssueDate} is in the future (today is ${today})`);
  }
  const validFrom = date('valid_from');
  let validUntil: string | null = null;
  let validUntilOk = true;
  const untilText = text.valid_until!;
  if (untilText !== '' && !NO_EXPIRY_WORDS.includes(untilText)) {
    const parsed = readDate('valid_until', untilText);
    if (parsed.ok) validUntil = parsed.value;
    else {
      validUntilOk = false;
      err('valid_until', 'BAD_DATE', parsed.reason);
    }
  }
  if (validFrom !== null && validUntil !== null && validUntil <= validFrom) {
    err('valid_until', 'BAD_VALIDITY', `valid until ${validUntil} is not after valid from ${validFrom}`);
  }

  // Type-specific fields.
  const fields = collectFields(raw, err);
  if (type && fields) {
    const dateFields = new Set(
      Object.entries((type.schema.properties ?? {}) as Record<string, Record<string, unknown>>)
        .filter(([, prop]) => prop.format === 'date')
        .map(([fieldName]) => fieldName),
    );
    const badDates = new Set<string>();
    for (const [fieldName, value] of Object.entries(fields)) {
      if (typeof value !== 'string') continue;
      if (dateFields.has(fieldName)) {
        const parsed = readDate(`fields.${fieldName}`, value);
        if (parsed.ok) fields[fieldName] = parsed.value;
        else {
          badDates.add(fieldName);
          err(`fields.${fieldName}`, 'FIELD_INVALID', parsed.reason);
        }
      } else {
        glyphCheck(`fields.${fieldName}`, value);
      }
    }
    for (const v of ctx.catalogue.validateFields(type.key, fields)) {
      const fieldName = v.field;
      if (badDates.has(fieldName)) continue; // already reported with the historic-date reason
      err(fieldName === '(fields)' ? 'fields' : `fields.${fieldName}`, 'FIELD_INVALID', v.message);
    }
  }

  // Scans.
  const scans = splitScans(raw.scans);
  if (scans === null) err('scans', 'MISSING_SCAN', `must be file names separated by ';', got ${describeValue(raw.scans)}`);
  else if (scans.length === 0) err('scans', 'MISSING_SCAN', 'no scan file is named; at least one is required');
  else {
    const seen = new Set<string>();
    for (const scan of scans) {
      if (!isSafeScanName(scan)) {
        err('scans', 'BAD_SCAN_NAME', `${JSON.stringify(scan)} is not a plain file name (no directories, '..' or control characters)`);
        continue;
      }
      if (seen.has(scan)) {
        err('scans', 'BAD_SCAN_NAME', `${JSON.stringify(scan)} is named twice`);
        continue;
      }
      seen.add(scan);
      if (ctx.scanExists && !ctx.scanExists(scan)) err('scans', 'MISSING_SCAN', `scan file ${JSON.stringify(scan)} does not exist`);
    }
  }

  // Alias: historic business registration number (工商注册号), for organisations given by USCC.
  const aliases: { oldRegistrationNumber?: string } = {};
  const oldReg = text.old_registration_number!;
  if (oldReg !== '') {
    const value = normaliseIdentifierInput(oldReg);
    if (type && type.holderKind !== 'organisation') {
      err('old_registration_number', 'UNEXPECTED_ALIAS', `an old business registration number is only kept for organisations; ${type.key} is held by a person`);
    } else if (!/^[0-9A-Z-]{6,30}$/.test(value)) {
      err('old_registration_number', 'UNEXPECTED_ALIAS', `${JSON.stringify(oldReg)} is not a registration number (6–30 digits or letters)`);
    } else aliases.oldRegistrationNumber = value;
  }

  if (errors.length > 0 || !type || originalIssueDate === null || validFrom === null || !validUntilOk || scans === null || !fields) {
    return { ok: false, errors: errors.length > 0 ? errors : [{ field: '(row)', code: 'EMPTY_REQUIRED', reason: 'row is incomplete' }] };
  }

  const content = {
    sourceSystem: text.source_system!,
    sourceRecordId: text.source_record_id!,
    typeKey: type.key,
    holder: { kind: type.holderKind, id: holderId, name },
    originalIssueDate,
    validFrom,
    validUntil,
    fields,
    scans,
    archiveLocation: text.archive_location!,
    reviewingClerk: text.reviewing_clerk!,
    aliases,
  };
  const contentSha256 = sha256Hex(canonicalJson(content) ?? '');
  return {
    ok: true,
    row: { ...content, holder: { ...content.holder, idOriginal }, dateOriginals, contentSha256 },
  };
}

/** The pipeline's idempotency key of a row: `(source system, source record id)`. */
export function sourceKey(row: Pick<DigitizeRow, 'sourceSystem' | 'sourceRecordId'>): string {
  return JSON.stringify([row.sourceSystem, row.sourceRecordId]);
}

function checkHolder(kind: HolderKind, input: string, now: Date): { ok: true; value: string } | { ok: false; message: string } {
  const normalised = normaliseIdentifierInput(input);
  if (kind === 'person' && /^\d{15}$/.test(normalised)) {
    const converted = convertResidentId15To18(normalised);
    if (!converted.ok) return { ok: false, message: `15-digit resident ID: ${converted.message}` };
    const check = checkResidentId(converted.value, { now });
    return check.ok ? { ok: true, value: check.value } : { ok: false, message: `15-digit resident ID converted to ${converted.value}: ${check.message}` };
  }
  const check = kind === 'person' ? checkResidentId(normalised, { now }) : checkUscc(normalised);
  if (check.ok) return { ok: true, value: check.value };
  const what = kind === 'person' ? 'resident ID number (GB 11643)' : 'unified social credit code (GB 32100)';
  return { ok: false, message: `not a valid ${what}: ${check.message}` };
}

/** Text of a cell: strings as is, finite numbers as decimal, null/undefined as ''; anything else null. */
function cellText(v: unknown): string | null {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Fields from `fields` (JSONL object, or a JSON string), `fields_json` (CSV JSON column) and
 * `field.<name>` columns (empty cells omitted); the columns win over the JSON on a clash.
 * String values are NFC-normalised and trimmed; an empty string counts as absent.
 */
function collectFields(raw: Record<string, unknown>, err: (field: string, code: RowErrorCode, reason: string) => void): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  let ok = true;
  for (const col of ['fields', 'fields_json']) {
    let v = raw[col];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch (e) {
        err(col, 'FIELD_INVALID', `is not valid JSON: ${(e as Error).message}`);
        ok = false;
        continue;
      }
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      err(col, 'FIELD_INVALID', 'must be a JSON object of field name → value');
      ok = false;
      continue;
    }
    Object.assign(out, v);
  }
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith('field.')) continue;
    const name = key.slice('field.'.length);
    if (value === undefined || value === null || value === '') continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(out)) {
    if (typeof value !== 'string') continue;
    const v = value.normalize('NFC').trim();
    if (v === '') delete out[name];
    else out[name] = v;
  }
  return ok ? out : null;
}

function splitScans(v: unknown): string[] | null {
  if (v === undefined || v === null) return [];
  const parts = typeof v === 'string' ? v.split(/[;；]/) : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  if (parts === null) return null;
  return parts.map((p) => p.normalize('NFC').trim()).filter((p) => p !== '');
}

function isSafeScanName(name: string): boolean {
  return name !== '.' && name !== '..' && !/[/\\\u0000-\u001f\u007f]/.test(name) && isWellFormed(name) && name.length <= 255;
}

function isoFromYyyymmdd(s: string): string {
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}

/** No lone surrogate (String.prototype.isWellFormed, which the ES2023 lib typings lack). */
export function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}
