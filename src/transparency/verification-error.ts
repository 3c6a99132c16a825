/**
 * Stable, machine-readable verification failures for the transparency log
 * (style mirrors sigstore-js `VerificationError({ code, message })`).
 * Pure and browser-compatible: no Node built-ins.
 */

export type VerificationErrorCode =
  | 'INCLUSION_PROOF_INVALID'
  | 'CONSISTENCY_PROOF_INVALID'
  | 'CHECKPOINT_MALFORMED'
  | 'CHECKPOINT_SIGNATURE_INVALID'
  | 'CHECKPOINT_KEY_MISMATCH'
  | 'CHECKPOINT_ORIGIN_MISMATCH'
  /** A signer (skey) or verifier (vkey) key string is itself malformed. */
  | 'CHECKPOINT_KEY_INVALID';

export interface VerificationErrorOptions {
  code: VerificationErrorCode;
  message: string;
  cause?: unknown;
}

// Verifiers never answer a bare `false`: every failure carries a stable code callers can branch on.
export class VerificationError extends Error {
  readonly code: VerificationErrorCode;

  constructor({ code, message, cause }: VerificationErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'VerificationError';
    this.code = code;
  }
}

// Type guard so callers (and tests) can check the code without instanceof gymnastics across bundles.
export function isVerificationError(
  err: unknown,
  code?: VerificationErrorCode,
): err is VerificationError {
  return err instanceof VerificationError && (code === undefined || err.code === code);
}
