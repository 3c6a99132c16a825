/**
 * The one coded error of every verifier in the project: Merkle proofs, checkpoints and signed notes, field
 * commitments, and the licence verifier's PDF, certificate and receipt checks (style of sigstore-js
 * `VerificationError({ code, message })`). Verifiers never answer a bare `false`: every failure carries a
 * stable code that an API client, the CLI, the page and a test can branch on.
 * Pure and browser-compatible: no Node built-ins.
 */

export type VerificationErrorCode =
  // Transparency log proofs and checkpoints (RFC 9162, C2SP tlog-checkpoint / signed-note).
  | 'INCLUSION_PROOF_INVALID'
  | 'CONSISTENCY_PROOF_INVALID'
  | 'CHECKPOINT_MALFORMED'
  | 'CHECKPOINT_SIGNATURE_INVALID'
  | 'CHECKPOINT_KEY_MISMATCH'
  | 'CHECKPOINT_ORIGIN_MISMATCH'
  /** A signer (skey) or verifier (vkey) key string is itself malformed. */
  | 'CHECKPOINT_KEY_INVALID'
  // The licence verifier's checks (src/verify/).
  | 'SIGNATURE_INVALID'
  | 'CERT_UNTRUSTED'
  | 'DOCUMENT_HASH_MISMATCH'
  | 'CHECKPOINT_NOT_ANCHORED'
  | 'LICENCE_REVOKED'
  | 'LICENCE_SUSPENDED'
  | 'RECEIPT_MALFORMED'
  | 'PDF_MALFORMED';

export interface VerificationErrorOptions {
  code: VerificationErrorCode;
  message: string;
  cause?: unknown;
}

export class VerificationError extends Error {
  readonly code: VerificationErrorCode;

  constructor({ code, message, cause }: VerificationErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'VerificationError';
    this.code = code;
  }
}

// Type guard so callers (and tests) can check the code without instanceof gymnastics across bundles.
export function isVerificationError(err: unknown, code?: VerificationErrorCode): err is VerificationError {
  return err instanceof VerificationError && (code === undefined || err.code === code);
}

/** Throws a VerificationError: `fail('RECEIPT_MALFORMED', 'why')`. */
export function fail(code: VerificationErrorCode, message: string, cause?: unknown): never {
  throw new VerificationError({ code, message, cause });
}

/** Message of an unknown thrown value (for details). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
