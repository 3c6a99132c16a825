/**
 * Electronic licence identifier, GB/T 36904 shape:
 *
 *   typeCode.issuerCode.serial.version.check
 *   e.g. BL.91350100M000100Y43.0000000001.01.K
 *
 *   typeCode   2–8 characters [A-Z0-9] (licence type)
 *   issuerCode the issuing department's USCC (validated with checkUscc)
 *   serial     exactly 10 digits
 *   version    2 digits, 01–99
 *   check      one character [0-9A-Z]: ISO/IEC 7064 MOD 37,36 over
 *              typeCode + issuerCode + serial + version (dots removed)
 */

import { computeMod37_36Check } from './iso7064.ts';
import { normaliseIdentifierInput } from './normalise.ts';
import { describeChar } from './types.ts';
import type { IdentifierErrorCode } from './types.ts';
import { checkUscc } from './uscc.ts';

export type LicenceIdErrorCode = 'BAD_FORMAT' | 'BAD_CHECK_CHARACTER' | IdentifierErrorCode;

export interface LicenceIdFailure {
  ok: false;
  code: LicenceIdErrorCode;
  message: string;
}

export interface ParsedLicenceId {
  ok: true;
  typeCode: string;
  issuerCode: string;
  serial: bigint;
  version: number;
  check: string;
  /** The canonical (normalised) identifier string. */
  value: string;
}

export type LicenceIdParse = ParsedLicenceId | LicenceIdFailure;

export interface LicenceIdParts {
  typeCode: string;
  issuerCode: string;
  serial: number | bigint;
  version: number;
}

export type NextVersionResult = { ok: true; value: string; version: number } | LicenceIdFailure;

export const MAX_SERIAL = 9_999_999_999n;
const TYPE_CODE_RE = /^[A-Z0-9]{2,8}$/;

function bad(code: LicenceIdErrorCode, message: string): LicenceIdFailure {
  return { ok: false, code, message };
}

/**
 * Computes the MOD 37,36 check character of a licence id from its four
 * already-formatted parts (e.g. 'BL', USCC, '0000000001', '01').
 */
export function computeLicenceIdCheck(typeCode: string, issuerCode: string, serial10: string, version2: string): string {
  return computeMod37_36Check(`${typeCode}${issuerCode}${serial10}${version2}`);
}

/**
 * Builds a licence identifier with its check character.
 * Inputs are normalised like other identifiers (trim, full-width → half-width,
 * upper-case).
 * @throws RangeError with an English reason if any part is invalid.
 */
export function formatLicenceId(parts: LicenceIdParts): string {
  const typeCode = normaliseIdentifierInput(parts.typeCode);
  if (!TYPE_CODE_RE.test(typeCode)) {
    throw new RangeError(`typeCode must be 2–8 characters [A-Z0-9], got '${parts.typeCode}'`);
  }
  const issuer = checkUscc(parts.issuerCode);
  if (!issuer.ok) throw new RangeError(`issuerCode is not a valid unified social credit code: ${issuer.message}`);

  let serial: bigint;
  if (typeof parts.serial === 'bigint') {
    serial = parts.serial;
  } else {
    if (!Number.isSafeInteger(parts.serial)) {
      throw new RangeError(`serial must be a safe integer, got ${parts.serial}`);
    }
    serial = BigInt(parts.serial);
  }
  if (serial < 0n || serial > MAX_SERIAL) {
    throw new RangeError(`serial must be between 0 and ${MAX_SERIAL} (10 digits), got ${serial}`);
  }
  if (!Number.isInteger(parts.version) || parts.version < 1 || parts.version > 99) {
    throw new RangeError(`version must be an integer 1–99, got ${parts.version}`);
  }
  const serial10 = serial.toString().padStart(10, '0');
  const version2 = String(parts.version).padStart(2, '0');
  const check = computeLicenceIdCheck(typeCode, issuer.value, serial10, version2);
  return `${typeCode}.${issuer.value}.${serial10}.${version2}.${check}`;
}

/**
 * Parses and validates a licence identifier.
 *
 * Error codes: EMPTY; BAD_FORMAT (wrong shape of any part, whitespace,
 * version 00); any USCC error code for the issuer part (message prefixed
 * with "issuer code: "); BAD_CHECK_CHARACTER for the licence check character.
 */
export function parseLicenceId(s: string): LicenceIdParse {
  const value = normaliseIdentifierInput(s);
  if (value.length === 0) return bad('EMPTY', 'licence id is empty');
  const ws = /\s/u.exec(value);
  if (ws) return bad('BAD_FORMAT', `licence id contains whitespace at position ${ws.index + 1}; spaces are not allowed`);

  const parts = value.split('.');
  if (parts.length !== 5) {
    return bad('BAD_FORMAT', `licence id must have 5 dot-separated parts (typeCode.issuerCode.serial.version.check), got ${parts.length}`);
  }
  const [typeCode = '', issuerCode = '', serialStr = '', versionStr = '', check = ''] = parts;

  if (!TYPE_CODE_RE.test(typeCode)) {
    return bad('BAD_FORMAT', `type code must be 2–8 characters [A-Z0-9], got '${typeCode}'`);
  }
  const issuer = checkUscc(issuerCode);
  if (!issuer.ok) return bad(issuer.code, `issuer code: ${issuer.message}`);
  if (!/^\d{10}$/.test(serialStr)) {
    return bad('BAD_FORMAT', `serial must be exactly 10 digits, got '${serialStr}'`);
  }
  if (!/^\d{2}$/.test(versionStr)) {
    return bad('BAD_FORMAT', `version must be exactly 2 digits, got '${versionStr}'`);
  }
  if (versionStr === '00') return bad('BAD_FORMAT', `version must be between 01 and 99, got '00'`);
  if (!/^[0-9A-Z]$/.test(check)) {
    const shown = check.length === 1 ? describeChar(check) : `'${check}'`;
    return bad('BAD_FORMAT', `check must be a single character [0-9A-Z], got ${shown}`);
  }

  const expected = computeLicenceIdCheck(typeCode, issuerCode, serialStr, versionStr);
  if (expected !== check) {
    return bad('BAD_CHECK_CHARACTER', `licence id check character should be '${expected}', got '${check}'`);
  }
  return {
    ok: true,
    typeCode,
    issuerCode,
    serial: BigInt(serialStr),
    version: Number(versionStr),
    check,
    value,
  };
}

/**
 * Returns the same licence id with version + 1 and a freshly computed check
 * character. Fails with the parse error if `id` is invalid, or BAD_FORMAT if
 * the version is already 99.
 */
export function nextVersionId(id: string): NextVersionResult {
  const parsed = parseLicenceId(id);
  if (!parsed.ok) return parsed;
  if (parsed.version >= 99) {
    return bad('BAD_FORMAT', `version 99 is the highest version; licence id ${parsed.value} cannot be given a next version`);
  }
  const version = parsed.version + 1;
  const value = formatLicenceId({ typeCode: parsed.typeCode, issuerCode: parsed.issuerCode, serial: parsed.serial, version });
  return { ok: true, value, version };
}
