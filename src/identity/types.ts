/**
 * Shared result types for the identity module.
 *
 * Every validator returns a discriminated result rather than a boolean so
 * that callers can show the user *why* an identifier was rejected.
 */

export type IdentifierErrorCode =
  | 'EMPTY'
  | 'BAD_LENGTH'
  | 'BAD_CHARACTER'
  | 'BAD_CHECK_CHARACTER'
  | 'BAD_DATE'
  | 'BAD_REGION';

export interface IdentifierOk {
  ok: true;
  /** The normalised identifier (half-width, upper-case, trimmed). */
  value: string;
  /** The input exactly as supplied by the caller. */
  original: string;
}

export interface IdentifierFailure {
  ok: false;
  code: IdentifierErrorCode;
  /** English explanation of why the identifier was rejected. */
  message: string;
}

export type IdentifierCheck = IdentifierOk | IdentifierFailure;

/** Convenience constructor for a failure result. */
export function fail(code: IdentifierErrorCode, message: string): IdentifierFailure {
  return { ok: false, code, message };
}

/** Describes a character for an error message, e.g. `'A'` or `U+3000`. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0x21 && cp <= 0x7e) return `'${ch}'`;
  return `'${ch}' (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}
