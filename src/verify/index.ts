/** Public surface of the licence verifier (pure; usable from the CLI, the API and the browser). */
export { consistencyProofSpan, verifyLicence } from './licence-verifier.ts';
export type {
  CheckName,
  CheckOutcome,
  LedgerFacts,
  TrustPolicy,
  VerificationReport,
  VerifyOptions,
} from './licence-verifier.ts';
export { parseReceipt, parseLeafData } from './receipt.ts';
export { headline, todayInChina, VERDICTS } from './verdict.ts';
export type { Headline, Verdict, VerdictFacts } from './verdict.ts';
export { presentationTokenFrom, verifyPresentation } from './presentation.ts';
export type { PresentationCheck, PresentationClaims, PresentationNames, PresentationWireClaims, PublicJwk } from './presentation.ts';
export type { Receipt, ReceiptAnchor, LeafFields } from './receipt.ts';
export { VerificationError, isVerificationError } from '../proofs/verification-error.ts';
export type { VerificationErrorCode as VerificationCode } from '../proofs/verification-error.ts';
export { extractPdfSignature } from './pdf-signature.ts';
export type { PdfSignature } from './pdf-signature.ts';
