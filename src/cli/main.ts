/**
 * `licence-vault` command line. Development helpers for now: obtain a department access token with the
 * seeded client key (private_key_jwt) and a holder token from the development identity provider.
 */
import { Command } from 'commander';
import { signClientAssertion, tokenRequestForm } from '../auth/client-assertion.ts';
import { dataDirLayout, DEV_DEPARTMENTS, loadDevClientKey } from '../bootstrap/dev-environment.ts';
import { loadConfig } from '../config/config.ts';

const program = new Command('licence-vault').description('Licence Vault command line').showHelpAfterError();

program
  .command('token')
  .description('get an access token for a development department (signs a client assertion with its seeded key)')
  .requiredOption('--department <code>', `department code, one of: ${DEV_DEPARTMENTS.map((d) => `${d.code} (${d.roles.join(',')})`).join(', ')}`)
  .option('--url <baseUrl>', 'service base URL (default: PUBLIC_BASE_URL or http://127.0.0.1:8080)')
  .option('--scope <roles>', 'space-separated roles to ask for')
  .action(async (opts: { department: string; url?: string; scope?: string }) => {
    const config = loadConfig();
    const baseUrl = (opts.url ?? config.publicBaseUrl).replace(/\/$/, '');
    const key = await loadDevClientKey(dataDirLayout(config.dataDir).devClientsDir, opts.department);
    const assertion = await signClientAssertion(key, opts.department, `${config.publicBaseUrl}/oauth/token`);
    const response = await fetch(`${baseUrl}/oauth/token`, { method: 'POST', body: tokenRequestForm(assertion, opts.scope) });
    await printOrFail(response, (body) => (body as { access_token: string }).access_token);
  });

program
  .command('holder-token')
  .description('DEVELOPMENT ONLY: get a holder token from the development identity provider')
  .requiredOption('--subject <id>', 'resident ID number or unified social credit code')
  .option('--name <name>', 'display name')
  .option('--url <baseUrl>', 'service base URL')
  .action(async (opts: { subject: string; name?: string; url?: string }) => {
    const baseUrl = (opts.url ?? loadConfig().publicBaseUrl).replace(/\/$/, '');
    const response = await fetch(`${baseUrl}/dev-idp/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: opts.subject, ...(opts.name ? { name: opts.name } : {}) }),
    });
    await printOrFail(response, (body) => (body as { id_token: string }).id_token);
  });

program
  .command('verify')
  .description('verify an e-licence PDF: signature, issuer CA, document hash, inclusion proof, checkpoint, ledger anchor, status')
  .argument('<file.pdf>', 'the e-licence PDF')
  .option('--receipt <file>', 'the receipt JSON (GET /licences/{id}/receipt); without it the log checks are not run')
  .option('--offline', 'do not ask the ledger (anchor and status checks are not run)')
  .option('--url <baseUrl>', 'service to fetch trust material and ledger facts from (default: PUBLIC_BASE_URL)')
  .option('--ca <file...>', 'trusted issuer CA certificate(s), PEM (default: fetched from <url>/pki/issuer-ca.pem)')
  .option('--vkey <vkey>', 'checkpoint verifier key, or a file containing it (default: fetched from <url>/transparency/vkey)')
  .option('--json', 'print the full report as JSON')
  .action(async (file: string, opts: { receipt?: string; offline?: boolean; url?: string; ca?: string[]; vkey?: string; json?: boolean }) => {
    const { runVerify } = await import('./verify-command.ts');
    process.exitCode = await runVerify(file, { ...opts, baseUrl: (opts.url ?? loadConfig().publicBaseUrl).replace(/\/$/, '') });
  });

program
  .command('digitize')
  .description('digitize historic paper certificates: manifest (CSV or JSONL) + scans → signed e-licences, error report for bad rows')
  .argument('<manifest>', 'manifest file (.csv or .jsonl; see src/digitize/manifest-format.md)')
  .requiredOption('--scans <dir>', 'directory holding the scan files the manifest names')
  .option('--encoding <encoding>', 'manifest encoding: auto (default), utf8, gb18030, gbk')
  .option('--dry-run', 'validate and classify every row without issuing anything')
  .option('--error-report <file>', 'where to write the error report CSV (default: <manifest>.errors.csv)')
  .option('--department <code>', 'act only as this issuing department')
  .option('--concurrency <n>', 'rows in flight (default 8)')
  .option('--century-pivot <yy>', 'read two-digit years (98.3.5): yy up to this are 20yy, the others 19yy; without it such dates are refused')
  .option('--no-progress', 'no progress bar')
  .action(async (manifest: string, opts: Record<string, unknown>) => {
    const { runDigitize } = await import('./digitize-command.ts');
    process.exitCode = await runDigitize(manifest, opts as never);
  });

program
  .command('gc-documents')
  .description('delete licence PDFs that no licence points at (stored, then the database write failed), older than a grace period')
  .option('--older-than-hours <hours>', 'keep anything written more recently (an issuance may still be in flight)', '24')
  .option('--dry-run', 'list what would be deleted, delete nothing')
  .option('--no-progress', 'no progress bar')
  .action(async (opts: { olderThanHours: string; dryRun?: boolean; progress?: boolean }) => {
    const { runGcDocuments } = await import('./gc-documents-command.ts');
    process.exitCode = await runGcDocuments(opts);
  });

async function printOrFail(response: Response, pick: (body: unknown) => string): Promise<void> {
  const body = (await response.json().catch(() => ({}))) as { detail?: string; code?: string };
  if (!response.ok) {
    process.stderr.write(`error: ${response.status} ${body.code ?? ''} ${body.detail ?? ''}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${pick(body)}\n`);
}

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`error: ${error.message}\n`);
  process.exitCode = 1;
});
