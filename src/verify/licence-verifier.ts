/**
 * The one licence verifier (style: sigstore-js `packages/verify`): pure, bytes
 * in, verdict out, stable failure codes. Used by the CLI, the API and the
 * browser verification page, so: no `node:*`, no Buffer, no fetch, no I/O.
 * Ledger facts are fetched by the caller and passed in.
 *
 * Checks, in order (each recorded; later checks still run where meaningful):
 *   1. signature     PAdES signature: ByteRange covers the whole file except
 *                    /Contents, CMS parses, message-digest, signing-certificate-v2,
 *                    RSA signature over the signed attributes.
 *   2. issuer        signer certificate issued by one of the trusted issuer CAs,
 *                    valid at the /M signing time (else now).
 *   3. documentHash  SHA-256(pdf) = leaf.documentSha256.
 *   4. inclusion     leaf.licenceId = receipt.licenceId; the RFC 9162 inclusion
 *                    proof leads to the checkpoint root; treeSize = checkpoint size.
 *   5. checkpoint    the C2SP checkpoint note verifies with the log's vkey and origin.
 *   6. anchor        the ledger anchors this checkpoint (or a later one).
 *   7. status        the ledger's licence status.
 *
 * Overall verdict: `ok` = no check failed AND signature and issuer passed.
 * Checks that could not run (no receipt, offline) are `ok: null` and do not
 * make `ok` false; `complete` says whether all seven ran and passed or failed.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

import { base64Decode } from '../proofs/base64.ts';
import { parseCheckpoint, verifyCheckpoint } from '../proofs/checkpoint.ts';
import type { ParsedCheckpoint } from '../proofs/checkpoint.ts';
import { HASH_SIZE, hashLeaf, verifyConsistency, verifyInclusion } from '../proofs/merkle.ts';
import { bytesEqual } from '../proofs/bytes.ts';
import { CmsError, parseSignedData, signedDataProblem } from './cms.ts';
import type { ParsedSignedData } from './cms.ts';
import { DerError } from './der.ts';
import { errorMessage, isVerificationError } from '../proofs/verification-error.ts';
import type { VerificationErrorCode as VerificationCode } from '../proofs/verification-error.ts';
import { extractPdfSignature } from './pdf-signature.ts';
import type { PdfSignature } from './pdf-signature.ts';
import { decodeInclusionProof, decodeProofHashes, parseLeafData, parseReceipt } from './receipt.ts';
import type { LeafFields, Receipt } from './receipt.ts';
import {
  KeyUsage,
  OID,
  formatName,
  issuanceProblem,
  nameAttribute,
  parseCertificate,
  unknownCriticalExtensions,
} from './x509.ts';
import type { Certificate } from './x509.ts';

export type { VerificationErrorCode as VerificationCode } from '../proofs/verification-error.ts';
export type { Receipt, ReceiptAnchor } from './receipt.ts';

export type CheckName = 'signature' | 'issuer' | 'documentHash' | 'inclusion' | 'checkpoint' | 'anchor' | 'status';

export type CheckOutcome =
  | { check: CheckName; ok: true; detail: string }
  | { check: CheckName; ok: false; code: VerificationCode; detail: string }
  /** Not run: offline, no receipt, or an earlier step it depends on could not be parsed. */
  | { check: CheckName; ok: null; detail: string };

export interface TrustPolicy {
  /** Trusted issuer CA certificates (DER). */
  issuerCaCertsDer: Uint8Array[];
  /** C2SP vkey of the log. */
  checkpointVkey: string;
  logOrigin: string;
}

/** Fetched by the caller (API / ledger client) and passed in; `null` when offline. */
export interface LedgerFacts {
  anchoredCheckpoint: { origin: string; size: number; rootHashBase64: string } | null;
  licenceStatus: { status: 'active' | 'suspended' | 'revoked' | 'superseded'; changedAt: string } | null;
  /**
   * When the ledger anchors a larger tree than the receipt's checkpoint: the RFC 9162 consistency proof
   * (base64 hashes) from the receipt's size to the anchored size. It may come from the untrusted log
   * (`GET /transparency/consistency`): it is checked against the receipt's root and the ledger's.
   */
  consistencyProof?: string[] | null;
}

/**
 * The sizes a consistency proof must span for the anchor check (LedgerFacts.consistencyProof): from the
 * receipt's tree to the larger one the ledger anchors; null when none is needed (or the receipt's size is
 * not a tree size, which the verifier reports itself).
 */
export function consistencyProofSpan(receiptTreeSize: unknown, anchored: { size: number } | null): { first: number; second: number } | null {
  if (typeof receiptTreeSize !== 'number' || !Number.isSafeInteger(receiptTreeSize) || receiptTreeSize < 1) return null;
  return anchored && receiptTreeSize < anchored.size ? { first: receiptTreeSize, second: anchored.size } : null;
}

export interface VerificationReport {
  /** No check failed, and signature + issuer passed (checks that could not run do not make this false). */
  ok: boolean;
  /** All seven checks ran (none is `ok: null`). `ok && complete` = fully verified online with a receipt. */
  complete: boolean;
  /** From the receipt; null without a (well-formed) receipt. */
  licenceId: string | null;
  /** Lowercase hex SHA-256 of the whole PDF. */
  documentSha256: string;
  checks: CheckOutcome[];
  /** Present when the PDF signature verified (identity bound by the signature; trust is the `issuer` check). */
  signer?: { subject: string; organizationIdentifier?: string; signingTime?: string };
}

export interface VerifyOptions {
  /** Time used for certificate validity when the PDF carries no /M signing time. Default: now. */
  now?: Date;
}

const passed = (check: CheckName, detail: string): CheckOutcome => ({ check, ok: true, detail });
const failed = (check: CheckName, code: VerificationCode, detail: string): CheckOutcome => ({ check, ok: false, code, detail });
const skipped = (check: CheckName, detail: string): CheckOutcome => ({ check, ok: null, detail });

// Why: one entry point for CLI, API and browser; never throws on bad input, every failure is a stable code.
export async function verifyLicence(
  pdf: Uint8Array,
  receipt: Receipt | null,
  trust: TrustPolicy,
  ledger: LedgerFacts | null,
  options: VerifyOptions = {},
): Promise<VerificationReport> {
  const documentSha256 = bytesToHex(sha256(pdf));

  // 1. signature
  const sig = checkSignature(pdf);
  // 2. issuer
  const signingTime = sig.pdfSignature?.signingTime ?? sig.signedData?.signingTime;
  const issuer = checkIssuer(sig.signedData, trust, signingTime, options.now ?? new Date());

  // Receipt-based checks.
  let parsed: { receipt: Receipt; leaf: LeafFields } | undefined;
  let receiptProblem: string | undefined;
  if (receipt !== null) {
    try {
      const r = parseReceipt(receipt);
      parsed = { receipt: r, leaf: parseLeafData(r.leafData) };
    } catch (err) {
      receiptProblem = errorMessage(err);
    }
  }
  let checkpoint: ParsedCheckpoint | undefined;
  let checkpointParseProblem: string | undefined;
  if (parsed) {
    try {
      checkpoint = parseCheckpoint(parsed.receipt.checkpoint);
    } catch (err) {
      checkpointParseProblem = errorMessage(err);
    }
  }
  const noReceipt = receipt === null ? 'no receipt: not checked' : 'not checked: the receipt is malformed';

  // 3. documentHash
  let documentHash: CheckOutcome;
  if (receiptProblem !== undefined) documentHash = failed('documentHash', 'RECEIPT_MALFORMED', receiptProblem);
  else if (!parsed) documentHash = skipped('documentHash', noReceipt);
  else if (parsed.leaf.documentSha256 !== documentSha256) {
    documentHash = failed(
      'documentHash',
      'DOCUMENT_HASH_MISMATCH',
      `SHA-256 of the PDF ${documentSha256} differs from the logged documentSha256 ${parsed.leaf.documentSha256}`,
    );
  } else documentHash = passed('documentHash', `SHA-256 of the PDF matches the logged leaf (${documentSha256})`);

  // 4. inclusion
  let inclusion: CheckOutcome;
  if (!parsed) inclusion = skipped('inclusion', noReceipt);
  else inclusion = checkInclusion(parsed.receipt, parsed.leaf, checkpoint, checkpointParseProblem);

  // 5. checkpoint
  let checkpointCheck: CheckOutcome;
  if (!parsed) checkpointCheck = skipped('checkpoint', noReceipt);
  else checkpointCheck = checkCheckpoint(parsed.receipt.checkpoint, trust);

  // 6. anchor
  let anchor: CheckOutcome;
  if (ledger === null) anchor = skipped('anchor', 'offline: not checked');
  else if (!parsed) anchor = skipped('anchor', noReceipt);
  else if (!checkpoint) anchor = skipped('anchor', `not checked: the checkpoint could not be parsed (${checkpointParseProblem ?? ''})`);
  else anchor = checkAnchor(checkpoint, ledger);

  // 7. status — only of the licence the receipt ties this PDF to: without one, a status the caller looked up
  // (for an id typed in, say) says nothing about this document.
  let status: CheckOutcome;
  if (ledger === null) status = skipped('status', 'offline: not checked');
  else if (!parsed) status = skipped('status', `${noReceipt} (without a receipt the PDF is tied to no licence id)`);
  else status = checkStatus(ledger, anchor.ok === true);

  const checks = [sig.outcome, issuer, documentHash, inclusion, checkpointCheck, anchor, status];
  const ok = checks.every((c) => c.ok !== false) && sig.outcome.ok === true && issuer.ok === true;
  const report: VerificationReport = {
    ok,
    complete: checks.every((c) => c.ok !== null),
    licenceId: parsed?.receipt.licenceId ?? null,
    documentSha256,
    checks,
  };
  if (sig.outcome.ok === true && sig.signedData) {
    const cert = sig.signedData.signerCert;
    const orgId = nameAttribute(cert.subject, OID.organizationIdentifier);
    report.signer = {
      subject: formatName(cert.subject),
      ...(orgId !== undefined ? { organizationIdentifier: orgId } : {}),
      ...(signingTime ? { signingTime: signingTime.toISOString() } : {}),
    };
  }
  return report;
}

interface SignatureResult {
  outcome: CheckOutcome;
  pdfSignature?: PdfSignature;
  /** Set when the CMS parsed (even if the signature then failed), so the issuer check can still run. */
  signedData?: ParsedSignedData;
}

function checkSignature(pdf: Uint8Array): SignatureResult {
  let pdfSignature: PdfSignature;
  try {
    pdfSignature = extractPdfSignature(pdf);
  } catch (err) {
    if (isVerificationError(err)) return { outcome: failed('signature', err.code, err.message) };
    return { outcome: failed('signature', 'PDF_MALFORMED', errorMessage(err)) };
  }
  let signedData: ParsedSignedData;
  try {
    signedData = parseSignedData(pdfSignature.cmsDer);
  } catch (err) {
    const why = err instanceof DerError || err instanceof CmsError ? err.message : errorMessage(err);
    return { outcome: failed('signature', 'SIGNATURE_INVALID', `CMS signature is malformed: ${why}`), pdfSignature };
  }
  const problem = signedDataProblem(signedData, sha256(pdfSignature.signedBytes));
  if (problem !== undefined) return { outcome: failed('signature', 'SIGNATURE_INVALID', problem), pdfSignature, signedData };
  const [, coveredEnd, gapEnd] = pdfSignature.byteRange;
  return {
    outcome: passed(
      'signature',
      `PAdES signature by "${formatName(signedData.signerCert.subject)}" verifies over the whole file ` +
        `except /Contents (ByteRange 0..${coveredEnd}, ${gapEnd}..${pdf.length})`,
    ),
    pdfSignature,
    signedData,
  };
}

function checkIssuer(
  signedData: ParsedSignedData | undefined,
  trust: TrustPolicy,
  signingTime: Date | undefined,
  now: Date,
): CheckOutcome {
  if (!signedData) return skipped('issuer', 'not checked: no signer certificate (the signature could not be parsed)');
  const cert = signedData.signerCert;
  const when = signingTime ?? now;
  const whenText = `${signingTime ? 'signing time' : 'now'} ${when.toISOString()}`;
  const critical = unknownCriticalExtensions(cert);
  if (critical.length > 0) {
    return failed('issuer', 'CERT_UNTRUSTED', `signer certificate has unsupported critical extensions ${critical.join(', ')}`);
  }
  if (
    cert.keyUsage !== undefined &&
    !cert.keyUsage.has(KeyUsage.digitalSignature) &&
    !cert.keyUsage.has(KeyUsage.nonRepudiation)
  ) {
    return failed('issuer', 'CERT_UNTRUSTED', 'signer certificate keyUsage allows neither digitalSignature nor nonRepudiation');
  }
  const problems: string[] = [];
  for (const [i, der] of trust.issuerCaCertsDer.entries()) {
    let ca: Certificate;
    try {
      ca = parseCertificate(der);
    } catch (err) {
      problems.push(`trusted CA #${i} could not be parsed: ${errorMessage(err)}`);
      continue;
    }
    const problem = issuanceProblem(cert, ca, when);
    if (problem === undefined) {
      return passed('issuer', `signer certificate issued by trusted CA "${formatName(ca.subject)}", valid at ${whenText}`);
    }
    if (bytesEqual(cert.issuerDer, ca.subjectDer)) problems.unshift(problem); // the CA that names it first
    else problems.push(problem);
  }
  if (trust.issuerCaCertsDer.length === 0) problems.push('no trusted issuer CA is configured');
  return failed(
    'issuer',
    'CERT_UNTRUSTED',
    `signer certificate "${formatName(cert.subject)}" (issuer "${formatName(cert.issuer)}") does not chain to a trusted CA at ${whenText}: ${problems[0] ?? ''}`,
  );
}

function checkInclusion(
  receipt: Receipt,
  leaf: LeafFields,
  checkpoint: ParsedCheckpoint | undefined,
  checkpointParseProblem: string | undefined,
): CheckOutcome {
  if (leaf.licenceId !== receipt.licenceId) {
    return failed(
      'inclusion',
      'RECEIPT_MALFORMED',
      `leafData.licenceId ${JSON.stringify(leaf.licenceId)} differs from receipt.licenceId ${JSON.stringify(receipt.licenceId)}`,
    );
  }
  if (!checkpoint) return skipped('inclusion', `not checked: the checkpoint could not be parsed (${checkpointParseProblem ?? ''})`);
  if (receipt.treeSize !== checkpoint.size) {
    return failed(
      'inclusion',
      'INCLUSION_PROOF_INVALID',
      `receipt treeSize ${receipt.treeSize} differs from the checkpoint size ${checkpoint.size}`,
    );
  }
  try {
    const proof = decodeInclusionProof(receipt.inclusionProof);
    verifyInclusion(hashLeaf(utf8ToBytes(receipt.leafData)), receipt.leafIndex, receipt.treeSize, proof, checkpoint.rootHash);
  } catch (err) {
    if (isVerificationError(err)) {
      return failed('inclusion', 'INCLUSION_PROOF_INVALID', err.message);
    }
    return failed('inclusion', 'INCLUSION_PROOF_INVALID', errorMessage(err));
  }
  return passed('inclusion', `leaf ${receipt.leafIndex} is included in the tree of size ${receipt.treeSize} (RFC 9162 inclusion proof)`);
}

function checkCheckpoint(note: string, trust: TrustPolicy): CheckOutcome {
  try {
    const cp = verifyCheckpoint(note, trust.checkpointVkey, { expectedOrigin: trust.logOrigin });
    return passed('checkpoint', `checkpoint ${cp.origin} size ${cp.size} is signed by the log key`);
  } catch (err) {
    const code = isVerificationError(err) ? `${err.code}: ` : '';
    return failed('checkpoint', 'CHECKPOINT_SIGNATURE_INVALID', `${code}${errorMessage(err)}`);
  }
}

function checkAnchor(checkpoint: ParsedCheckpoint, ledger: LedgerFacts): CheckOutcome {
  const anchored = ledger.anchoredCheckpoint;
  if (anchored === null) {
    return failed('anchor', 'CHECKPOINT_NOT_ANCHORED', `the ledger has no anchored checkpoint for ${checkpoint.origin}`);
  }
  if (anchored.origin !== checkpoint.origin) {
    return failed(
      'anchor',
      'CHECKPOINT_NOT_ANCHORED',
      `the ledger's anchored checkpoint is for origin ${JSON.stringify(anchored.origin)}, not ${JSON.stringify(checkpoint.origin)}`,
    );
  }
  if (!Number.isSafeInteger(anchored.size) || anchored.size < checkpoint.size) {
    return failed(
      'anchor',
      'CHECKPOINT_NOT_ANCHORED',
      `the ledger's latest anchored size ${String(anchored.size)} is below the receipt's checkpoint size ${checkpoint.size}`,
    );
  }
  const root = typeof anchored.rootHashBase64 === 'string' ? base64Decode(anchored.rootHashBase64) : undefined;
  if (root === undefined || root.length !== HASH_SIZE) {
    return failed('anchor', 'CHECKPOINT_NOT_ANCHORED', `the ledger's anchored root is not base64 of ${HASH_SIZE} bytes`);
  }
  if (anchored.size > checkpoint.size) return checkAnchoredLater(checkpoint, anchored.size, root, ledger.consistencyProof);
  if (!bytesEqual(root, checkpoint.rootHash)) {
    return failed(
      'anchor',
      'CHECKPOINT_NOT_ANCHORED',
      `the ledger anchors a different root for size ${checkpoint.size} (the log presented a split view)`,
    );
  }
  return passed('anchor', `checkpoint size ${checkpoint.size} is anchored on the ledger with the same root`);
}

/**
 * The ledger anchors a later tree: the receipt's checkpoint counts as anchored only if it is a prefix of
 * that tree. The log's signature alone proves nothing here (the operator holds the log key and could sign
 * a forked tree), so without a consistency proof that checks out the anchor check fails.
 */
function checkAnchoredLater(checkpoint: ParsedCheckpoint, anchoredSize: number, anchoredRoot: Uint8Array, proofBase64: string[] | null | undefined): CheckOutcome {
  const where = `the ledger anchors size ${anchoredSize}, the receipt's checkpoint has size ${checkpoint.size}`;
  if (!Array.isArray(proofBase64)) {
    return failed('anchor', 'CHECKPOINT_NOT_ANCHORED', `${where}, and no consistency proof between them was given`);
  }
  const proof = decodeProofHashes(proofBase64);
  if ('badIndex' in proof) return failed('anchor', 'CHECKPOINT_NOT_ANCHORED', `${where}; consistencyProof[${proof.badIndex}] is not standard base64 of ${HASH_SIZE} bytes`);
  try {
    verifyConsistency(checkpoint.size, anchoredSize, proof, checkpoint.rootHash, anchoredRoot);
  } catch (err) {
    return failed('anchor', 'CHECKPOINT_NOT_ANCHORED', `${where}, and the receipt's tree is not a prefix of the anchored one: ${errorMessage(err)}`);
  }
  return passed('anchor', `${where}; the RFC 9162 consistency proof shows the receipt's tree is a prefix of the anchored one`);
}

function checkStatus(ledger: LedgerFacts, issuanceAnchored: boolean): CheckOutcome {
  const s = ledger.licenceStatus;
  // The ledger records status *changes* only (a million issuances must not cost a million transactions):
  // an anchored issuance with no change on the ledger is in force.
  if (s === null) {
    return issuanceAnchored
      ? passed('status', 'in force: issuance anchored, no suspension, revocation or supersession on the ledger')
      : skipped('status', 'the ledger has no status record for this licence and its issuance is not shown anchored');
  }
  const since = `since ${s.changedAt}`;
  switch (s.status) {
    case 'active':
      return passed('status', `active ${since}`);
    case 'superseded':
      // A superseded version was validly issued and is not withdrawn; the holder has a newer version.
      return passed('status', `superseded by a newer version ${since}`);
    case 'suspended':
      return failed('status', 'LICENCE_SUSPENDED', `the licence is suspended ${since}`);
    case 'revoked':
      return failed('status', 'LICENCE_REVOKED', `the licence is revoked ${since}`);
    default:
      // Fail closed on a status this verifier does not know.
      return failed('status', 'LICENCE_SUSPENDED', `unrecognised ledger status ${JSON.stringify(String(s.status))}: treated as not in force`);
  }
}
