/**
 * `licence-vault verify`: runs the pure verifier locally on the PDF and receipt. Only the ledger facts
 * (and, unless pinned with --ca/--vkey, the trust material) come from the network. An auditor who pins
 * the issuer CA and the checkpoint key does not have to trust the vault operator.
 * Exit codes: 0 verified (offline: every check that runs offline passed); 1 a check failed; 2 the input
 * could not be read; 3 nothing failed but a check that matters did not run (no receipt).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { consistencyProofSpan, verifyLicence, parseReceipt } from '../verify/index.ts';
import type { LedgerFacts, Receipt, VerificationReport } from '../verify/index.ts';
import { parseVerifier } from '../transparency/checkpoint.ts';

export interface VerifyCommandOptions {
  receipt?: string;
  offline?: boolean;
  baseUrl: string;
  ca?: string[];
  vkey?: string;
  json?: boolean;
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}

function pemToDer(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(new crypto.X509Certificate(m[0]).raw));
}

export async function runVerify(file: string, opts: VerifyCommandOptions): Promise<number> {
  let pdf: Uint8Array;
  try {
    pdf = new Uint8Array(fs.readFileSync(file));
  } catch (error) {
    process.stderr.write(`error: cannot read ${file}: ${(error as Error).message}\n`);
    return 2;
  }
  let receipt: Receipt | null = null;
  if (opts.receipt) {
    try {
      receipt = parseReceipt(JSON.parse(fs.readFileSync(opts.receipt, 'utf8')));
    } catch (error) {
      process.stderr.write(`error: receipt ${opts.receipt}: ${(error as Error).message}\n`);
      return 2;
    }
  }
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
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  if (!report.ok) return 1;
  // Offline, the ledger checks cannot run by design; any other check that did not run leaves the PDF
  // unverified where it matters (no receipt: not tied to the log or the ledger, status unknown).
  const notRun = report.checks.filter((c) => c.ok === null && !(opts.offline && (c.check === 'anchor' || c.check === 'status')));
  if (notRun.length === 0) return 0;
  process.stderr.write(`not fully verified: ${notRun.map((c) => c.check).join(', ')} not checked${receipt ? '' : ' (give --receipt: without it the PDF is tied to no licence, and its status is unknown)'}\n`);
  return 3;
}

export function formatReport(report: VerificationReport): string {
  const lines = [`licence ${report.licenceId ?? '(unknown)'}  sha256 ${report.documentSha256}`];
  for (const c of report.checks) {
    const mark = c.ok === true ? 'PASS' : c.ok === false ? 'FAIL' : 'SKIP';
    lines.push(`  ${mark}  ${c.check.padEnd(13)} ${'code' in c ? `${c.code}: ` : ''}${c.detail}`);
  }
  lines.push(report.ok ? (report.complete ? 'VERIFIED' : 'VERIFIED (some checks not run)') : 'NOT VERIFIED');
  return `${lines.join('\n')}\n`;
}
