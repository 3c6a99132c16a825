/**
 * Stable failure codes of the licence verifier and the error its helpers throw.
 * Pure and browser-compatible: no `node:*`, no Buffer, no I/O.
 */

export type VerificationCode =
  | 'SIGNATURE_INVALID'
  | 'CERT_UNTRUSTED'
  | 'DOCUMENT_HASH_MISMATCH'
  | 'INCLUSION_PROOF_INVALID'
  | 'CHECKPOINT_SIGNATURE_INVALID'
  | 'CHECKPOINT_NOT_ANCHORED'
  | 'LICENCE_REVOKED'
  | 'LICENCE_SUSPENDED'
  | 'RECEIPT_MALFORMED'
  | 'PDF_MALFORMED';

// Helpers throw this; `verifyLicence` turns it into a failed CheckOutcome (never rethrows).
export class LicenceVerificationError extends Error {
  readonly code: VerificationCode;

  constructor(code: VerificationCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LicenceVerificationError';
    this.code = code;
  }
}

export function isLicenceVerificationError(err: unknown, code?: VerificationCode): err is LicenceVerificationError {
  return err instanceof LicenceVerificationError && (code === undefined || err.code === code);
}

export function fail(code: VerificationCode, message: string, cause?: unknown): never {
  throw new LicenceVerificationError(code, message, cause === undefined ? undefined : { cause });
}

/** Message of an unknown thrown value (for details). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
