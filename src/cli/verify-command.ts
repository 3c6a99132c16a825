/**
 * `licence-vault verify`: runs the pure verifier locally on the PDF and receipt. Only the ledger facts
 * (and, unless pinned with --ca/--vkey, the trust material) come from the network. An auditor who pins
 * the issuer CA and the checkpoint key does not have to trust the vault operator.
 * Exit codes: 0 verified (offline: every check that runs offline passed); 1 a check failed; 2 could not
 * check (the network, the ledger or the server did not answer, or the input could not be read: nothing is
 * known to be wrong with the licence); 3 nothing failed but a check that matters did not run (no receipt).
 * With --json a report is printed in every case, also for 2 (`couldNotCheck` says why).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { consistencyProofSpan, headline, parseLeafData, parseReceipt, todayInChina, verifyLicence } from '../verify/index.ts';
import type { Headline, LedgerFacts, Receipt, VerificationReport } from '../verify/index.ts';
import { parseVerifier } from '../proofs/checkpoint.ts';

export interface VerifyCommandOptions {
  receipt?: string;
  offline?: boolean;
  baseUrl: string;
  ca?: string[];
  vkey?: string;
  json?: boolean;
}

export const EXIT = { verified: 0, checkFailed: 1, couldNotCheck: 2, incomplete: 3 } as const;

/** The network, the ledger or the vault did not answer as it should: nothing is known about the licence. */
class CouldNotCheck extends Error {}

const FETCH_TIMEOUT_MS = 20_000;

async function fetchText(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    throw new CouldNotCheck(`${url}: ${(error as Error).message}`);
  }
  if (!response.ok) {
    const retry = response.headers.get('retry-after');
    throw new CouldNotCheck(`${url} answered ${response.status}${retry ? ` (retry after ${retry} s)` : ''}`);
  }
  return response.text();
}

/** What --json prints when nothing could be checked (the report's shape, with the reason). */
function couldNotCheckReport(reason: string, pdf: Uint8Array | null, receipt: Receipt | null) {
  return {
    ok: false, complete: false, verdict: 'could-not-check', couldNotCheck: { reason },
    licenceId: receipt?.licenceId ?? null,
    documentSha256: pdf ? crypto.createHash('sha256').update(pdf).digest('hex') : null,
    checks: [],
  };
}

function writeCouldNotCheck(opts: VerifyCommandOptions, reason: string, pdf: Uint8Array | null, receipt: Receipt | null): number {
  if (opts.json) process.stdout.write(`${JSON.stringify(couldNotCheckReport(reason, pdf, receipt), null, 2)}\n`);
  else process.stdout.write(`COULD NOT CHECK: ${reason}\n`);
  process.stderr.write(`could not check: ${reason}\n`);
  return EXIT.couldNotCheck;
}

function pemToDer(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(new crypto.X509Certificate(m[0]).raw));
}

export async function runVerify(file: string, opts: VerifyCommandOptions): Promise<number> {
  let pdf: Uint8Array;
  try {
    pdf = new Uint8Array(fs.readFileSync(file));
  } catch (error) {
    return writeCouldNotCheck(opts, `cannot read ${file}: ${(error as Error).message}`, null, null);
  }
  let receipt: Receipt | null = null;
  if (opts.receipt) {
    try {
      receipt = parseReceipt(JSON.parse(fs.readFileSync(opts.receipt, 'utf8')));
    } catch (error) {
      return writeCouldNotCheck(opts, `receipt ${opts.receipt}: ${(error as Error).message}`, pdf, null);
    }
  }
  try {
    return await verifyWithFacts(pdf, receipt, opts);
  } catch (error) {
    if (error instanceof CouldNotCheck) return writeCouldNotCheck(opts, error.message, pdf, receipt);
    throw error;
  }
}

async function verifyWithFacts(pdf: Uint8Array, receipt: Receipt | null, opts: VerifyCommandOptions): Promise<number> {
  const caPem = opts.ca ? opts.ca.map((f) => fs.readFileSync(f, 'utf8')).join('\n') : await fetchText(`${opts.baseUrl}/pki/issuer-ca.pem`);
  const vkeyText = opts.vkey ? (fs.existsSync(opts.vkey) ? fs.readFileSync(opts.vkey, 'utf8') : opts.vkey) : await fetchText(`${opts.baseUrl}/transparency/vkey`);
  const vkey = vkeyText.trim();
  // By this project's convention the checkpoint key is named after the log origin.
  const origin = parseVerifier(vkey).name;
  let ledger: LedgerFacts | null = null;
  if (!opts.offline) {
    const query = receipt ? `?licenceId=${encodeURIComponent(receipt.licenceId)}` : '';
    const facts = JSON.parse(await fetchText(`${opts.baseUrl}/ledger/facts${query}`)) as LedgerFacts;
    ledger = { anchoredCheckpoint: facts.anchoredCheckpoint, licenceStatus: facts.licenceStatus, consistencyProof: null };
    // The ledger anchors a later tree: ask the log for the proof that the receipt's tree is its prefix (the
    // verifier checks it against both roots, so the log need not be trusted for it).
    const span = consistencyProofSpan(receipt?.treeSize, facts.anchoredCheckpoint);
    if (span) ledger.consistencyProof = (JSON.parse(await fetchText(`${opts.baseUrl}/transparency/consistency?first=${span.first}&second=${span.second}`)) as { proof: string[] }).proof;
  }
  const report = await verifyLicence(pdf, receipt, { issuerCaCertsDer: pemToDer(caPem), checkpointVkey: vkey, logOrigin: origin }, ledger);
  const verdict = cliHeadline(report, receipt, ledger);
  process.stdout.write(opts.json ? `${JSON.stringify({ ...report, verdict: verdict.verdict, because: verdict.because }, null, 2)}\n` : formatReport(report, verdict));
  if (!report.ok) return EXIT.checkFailed;
  // Offline, the ledger checks cannot run by design; any other check that did not run leaves the PDF
  // unverified where it matters (no receipt: not tied to the log or the ledger, status unknown).
  const notRun = report.checks.filter((c) => c.ok === null && !(opts.offline && (c.check === 'anchor' || c.check === 'status')));
  if (notRun.length === 0) return EXIT.verified;
  process.stderr.write(`not fully verified: ${notRun.map((c) => c.check).join(', ')} not checked${receipt ? '' : ' (give --receipt: without it the PDF is tied to no licence, and its status is unknown)'}\n`);
  return EXIT.incomplete;
}

/**
 * The one headline (src/verify/verdict.ts) from what the CLI learnt: the checks, the ledger's status, the
 * validity window in the receipt's leaf. Offline, the ledger's facts are not known: at best "could not
 * check" for the status, which the exit code (0: every check that runs offline passed) does not change.
 */
function cliHeadline(report: VerificationReport, receipt: Receipt | null, ledger: LedgerFacts | null): Headline {
  let validity: { validFrom: string; validUntil: string | null } | null = null;
  try {
    const leaf = receipt ? parseLeafData(receipt.leafData) : null;
    if (leaf && typeof leaf.validFrom === 'string') validity = { validFrom: leaf.validFrom, validUntil: typeof leaf.validUntil === 'string' ? leaf.validUntil : null };
  } catch {
    validity = null; // the report says the receipt is malformed
  }
  const anchored = report.checks.find((c) => c.check === 'anchor')?.ok === true;
  const status = ledger?.licenceStatus?.status ?? (ledger && anchored ? 'active' : null);
  return headline({ report, status, validity, today: todayInChina(), unreachable: ledger === null });
}

export function formatReport(report: VerificationReport, verdict?: Headline): string {
  const lines = [`licence ${report.licenceId ?? '(unknown)'}  sha256 ${report.documentSha256}`];
  for (const c of report.checks) {
    const mark = c.ok === true ? 'PASS' : c.ok === false ? 'FAIL' : 'SKIP';
    lines.push(`  ${mark}  ${c.check.padEnd(13)} ${'code' in c ? `${c.code}: ` : ''}${c.detail}`);
  }
  lines.push(report.ok ? (report.complete ? 'VERIFIED' : 'VERIFIED (some checks not run)') : 'NOT VERIFIED');
  if (verdict) lines.push(`verdict: ${verdict.verdict.toUpperCase()} (${verdict.because.join(', ')})`);
  return `${lines.join('\n')}\n`;
}
