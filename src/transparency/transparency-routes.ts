/** Thin mapping of the transparency operations (receipts, checkpoints, proofs, ledger facts). */
import { DomainError } from '../errors/domain-error.ts';
import type { OperationHandlers } from '../http/http-types.ts';
import { parseLicenceId } from '../identity/licence-id.ts';
import type { StoredCheckpoint } from '../log/log-types.ts';
import type { LicenceCards } from './licence-card.ts';
import type { TransparencyService } from './transparency-service.ts';

function checkpointRepresentation(c: StoredCheckpoint) {
  return { origin: c.origin, size: c.size, rootHash: Buffer.from(c.rootHash).toString('base64'), note: c.note, createdAt: c.createdAt, anchor: c.anchor, anchorError: c.anchorError };
}

function licenceId(raw: string | undefined): string {
  const parsed = parseLicenceId(raw ?? '');
  if (!parsed.ok) throw DomainError.invalid('LICENCE_ID_INVALID', `licenceId ${parsed.message}`, [{ field: 'licenceId', message: parsed.message }]);
  return raw!;
}

export function transparencyRoutes(service: TransparencyService, cards: LicenceCards, issuerCaPem: () => string): OperationHandlers {
  return {
    async getLicenceReceipt(ctx) {
      return { status: 200, json: await service.receipt(ctx.principal, licenceId(ctx.params.licenceId)) };
    },
    async getLicenceValidity(ctx) {
      const at = ctx.query.at === undefined ? new Date() : new Date(String(ctx.query.at));
      if (Number.isNaN(at.getTime())) throw DomainError.invalid('TIME_INVALID', 'at must be an RFC 3339 date-time', [{ field: 'at', message: 'not a date-time' }]);
      return { status: 200, json: await service.validityAt(ctx.principal, licenceId(ctx.params.licenceId), at) };
    },
    async getLatestCheckpoint() {
      const checkpoint = await service.latestCheckpoint();
      return { status: 200, body: checkpoint.note, contentType: 'text/plain; charset=utf-8', headers: { 'Cache-Control': 'no-cache' } };
    },
    async listCheckpoints(ctx) {
      const limit = Number(ctx.query.limit ?? 50);
      const before = ctx.query.beforeSize === undefined ? undefined : Number(ctx.query.beforeSize);
      return { status: 200, json: { origin: service.origin, items: (await service.listCheckpoints(limit, before)).map(checkpointRepresentation) } };
    },
    async getCheckpointVerifierKey() {
      return { status: 200, body: `${service.vkey}\n`, contentType: 'text/plain; charset=utf-8' };
    },
    async getConsistencyProof(ctx) {
      const first = Number(ctx.query.first);
      const second = Number(ctx.query.second);
      return { status: 200, json: { origin: service.origin, first, second, proof: await service.consistency(first, second) } };
    },
    async listLogLeaves(ctx) {
      const leaves = await service.leaves(ctx.principal, Number(ctx.query.start), Number(ctx.query.end));
      return { status: 200, json: { origin: service.origin, items: leaves.map((l) => ({ index: l.index, subject: l.subject, data: l.data, createdAt: l.createdAt })) } };
    },
    async listAnchoringAlarms(ctx) {
      return { status: 200, json: { items: await service.alarms(ctx.principal) } };
    },
    async getLedgerFacts(ctx) {
      const id = ctx.query.licenceId === undefined ? null : licenceId(String(ctx.query.licenceId));
      return { status: 200, json: await service.ledgerFacts(id) };
    },
    async verifyLicenceDocument(ctx) {
      const { pdf, receipt } = ctx.body as { pdf: string; receipt?: unknown };
      const bytes = Buffer.from(pdf, 'base64');
      if (bytes.length === 0 || bytes.toString('base64').replace(/=+$/, '') !== pdf.replace(/\s/g, '').replace(/=+$/, '')) {
        throw DomainError.invalid('PDF_NOT_BASE64', 'pdf must be the base64 of the PDF file', [{ field: 'pdf', message: 'not base64' }]);
      }
      return { status: 200, json: await service.verifyDocument(new Uint8Array(bytes), receipt) };
    },
    async openVerificationPage(ctx) {
      // No check here: the page explains a malformed number in words. The code stays in the fragment.
      return { status: 302, headers: { Location: `/app/verify.html?licence=${encodeURIComponent(ctx.params.licenceId ?? '')}`, 'Cache-Control': 'no-store' } };
    },
    async getLicenceCard(ctx) {
      const { licenceId: raw, code } = ctx.body as { licenceId: string; code: string };
      return { status: 200, json: await cards.byCode(licenceId(raw), code), headers: { 'Cache-Control': 'no-store' } };
    },
    async getLicenceCardByDocument(ctx) {
      return { status: 200, json: await cards.byDocument(String(ctx.params.documentSha256)), headers: { 'Cache-Control': 'no-store' } };
    },
    async getIssuerCaCertificate() {
      return { status: 200, body: issuerCaPem(), contentType: 'application/x-pem-file' };
    },
  };
}
