/**
 * One headline a person can act on, decided by the worst fact (DESIGN: "a verdict a person can act on").
 * Every verifier — the page, the CLI, the API — reduces its checks to exactly one of these, in this order
 * of importance, and never shows "valid" for a licence that is not valid today. "Could not check" (the
 * network or the ledger did not answer, or nothing tied the file to a licence) is an answer of its own,
 * never folded into valid or invalid. Pure: no I/O.
 */
import type { CheckOutcome, VerificationReport } from './licence-verifier.ts';

/** Worst first: the first that applies is the headline. */
export const VERDICTS = [
  'tampered', // 文件被改动: the file, its signature or its proof was altered
  'untrusted-issuer', // 签发机构不受信任: signed, but not under a trusted issuer CA
  'not-found', // 查无此证: no such licence (or a wrong verification code): do not accept
  'revoked', // 已撤销
  'suspended', // 已暂停
  'expired', // 已过期: its validity ended before today
  'not-yet-valid', // 尚未生效: its validity starts after today
  'superseded', // 已换发: a newer version replaces it
  'could-not-check', // 无法核验: the network, the vault or the ledger did not answer; nothing is known
  'valid', // 有效
] as const;

export type Verdict = (typeof VERDICTS)[number];

/** Everything a verifier knows, reduced to facts; `undefined` means "not known". */
export interface VerdictFacts {
  /** The verifier's checks on a file (absent when only the licence card was looked up). */
  report?: Pick<VerificationReport, 'checks'>;
  /** The vault found no licence for this id and code, or for this document. */
  notFound?: boolean;
  /** A file was checked against a licence it does not belong to (scanned QR of licence A, PDF of B). */
  documentMismatch?: boolean;
  /** The licence's status now, from the ledger (or the card); null when it could not be learnt. */
  status?: 'active' | 'suspended' | 'revoked' | 'superseded' | null;
  /** Its validity window (YYYY-MM-DD; validUntil null = no end). */
  validity?: { validFrom: string; validUntil: string | null } | null;
  /** Today, YYYY-MM-DD, in the verifier's time zone (Asia/Shanghai for licences issued in China). */
  today: string;
  /** The network, the vault or the ledger did not answer. */
  unreachable?: boolean;
}

export interface Headline {
  verdict: Verdict;
  /** True only for `valid`: the one verdict shown in green. */
  acceptable: boolean;
  /** Stable codes of the facts that decided it (for the technical details and for tests). */
  because: string[];
}

const TAMPER_CODES = new Set(['SIGNATURE_INVALID', 'PDF_MALFORMED', 'DOCUMENT_HASH_MISMATCH', 'INCLUSION_PROOF_INVALID', 'CHECKPOINT_SIGNATURE_INVALID', 'RECEIPT_MALFORMED']);

function failedCodes(checks: CheckOutcome[]): string[] {
  return checks.flatMap((c) => (c.ok === false ? [c.code] : []));
}

export function headline(facts: VerdictFacts): Headline {
  const checks = facts.report?.checks ?? [];
  const failed = failedCodes(checks);
  const decide = (verdict: Verdict, because: string[]): Headline => ({ verdict, acceptable: verdict === 'valid', because });

  const tampered = failed.filter((c) => TAMPER_CODES.has(c));
  if (facts.documentMismatch) tampered.push('DOCUMENT_OF_ANOTHER_LICENCE');
  // An anchor check that failed because the ledger holds a different root for the same size is a split
  // view (the log lied): as bad as a tampered file. One that failed because the ledger is behind is not.
  const anchor = checks.find((c) => c.check === 'anchor');
  if (anchor?.ok === false && /different root|not a prefix|split view/.test(anchor.detail)) tampered.push('CHECKPOINT_NOT_ANCHORED');
  if (tampered.length) return decide('tampered', tampered);
  if (failed.includes('CERT_UNTRUSTED')) return decide('untrusted-issuer', ['CERT_UNTRUSTED']);
  if (facts.notFound) return decide('not-found', ['LICENCE_NOT_FOUND']);

  const status = facts.status ?? (failed.includes('LICENCE_REVOKED') ? 'revoked' : failed.includes('LICENCE_SUSPENDED') ? 'suspended' : undefined);
  if (status === 'revoked' || failed.includes('LICENCE_REVOKED')) return decide('revoked', ['LICENCE_REVOKED']);
  if (status === 'suspended' || failed.includes('LICENCE_SUSPENDED')) return decide('suspended', ['LICENCE_SUSPENDED']);
  if (facts.validity?.validUntil && facts.validity.validUntil < facts.today) return decide('expired', ['VALIDITY_ENDED']);
  if (facts.validity && facts.validity.validFrom > facts.today) return decide('not-yet-valid', ['VALIDITY_NOT_STARTED']);
  if (status === 'superseded') return decide('superseded', ['LICENCE_SUPERSEDED']);

  // Nothing is wrong that we know of. It is valid only if everything that matters was actually checked.
  const unknown: string[] = [];
  if (facts.unreachable) unknown.push('UNREACHABLE');
  if (failed.includes('CHECKPOINT_NOT_ANCHORED')) unknown.push('NOT_YET_ANCHORED');
  if (status === null || status === undefined) unknown.push('STATUS_UNKNOWN');
  if (!facts.validity) unknown.push('VALIDITY_UNKNOWN');
  if (facts.report) {
    for (const c of checks) if (c.ok === null) unknown.push(`NOT_CHECKED_${c.check.replace(/[A-Z]/g, (m) => `_${m}`).toUpperCase()}`);
    const signature = checks.find((c) => c.check === 'signature');
    if (signature?.ok !== true) unknown.push('SIGNATURE_NOT_VERIFIED');
  }
  if (unknown.length) return decide('could-not-check', unknown);
  return decide('valid', ['ALL_CHECKS_PASSED']);
}

/** Today as YYYY-MM-DD in China Standard Time (UTC+8, no daylight saving): where the licences are valid. */
export function todayInChina(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
