/** Thin mapping of the correction operations of openapi.yaml to LicenceCorrections. */
import { DomainError } from '../errors/domain-error.ts';
import type { HttpResult, OperationHandlers, RequestContext } from '../http/http-types.ts';
import type { Correction, CorrectionStatus } from './correction-types.ts';
import type { CorrectionRequest, LicenceCorrections } from './licence-corrections.ts';
import type { Metrics } from '../observability/metrics.ts';
import { licenceIdParam, licenceRepresentation } from './licence-routes.ts';

/** The request as its readers see it: the evidence's store key and who typed it (an agent's ID) stay inside. */
function correctionRepresentation(c: Correction, overdue: boolean) {
  return {
    id: c.id, licenceId: c.licenceId, issuer: c.issuerCode, holderId: c.holderId, fields: c.fields, reason: c.reason,
    evidence: c.evidence ? { fileName: c.evidence.fileName, mediaType: c.evidence.mediaType, size: c.evidence.size, sha256: c.evidence.sha256, href: `/corrections/${c.id}/evidence` } : null,
    status: c.status, decisionReason: c.decisionReason, successorId: c.successorId,
    createdAt: c.createdAt, deadline: c.deadline, decidedAt: c.decidedAt, overdue,
  };
}

function param(ctx: RequestContext, name: string): string {
  const value = ctx.params[name];
  if (!value) throw DomainError.invalid('PARAMETER_MISSING', `${name} is required`, [{ field: name, message: 'is required' }]);
  return value;
}

export function correctionRoutes(corrections: LicenceCorrections, metrics: Metrics, publicBaseUrl: string): OperationHandlers {
  const json = (status: number, body: unknown, headers?: Record<string, string>): HttpResult => ({ status, json: body, headers });
  const shown = (c: Correction) => correctionRepresentation(c, corrections.isOverdue(c));
  return {
    async requestCorrection(ctx) {
      const correction = await corrections.request(ctx.principal, licenceIdParam(ctx), ctx.body as CorrectionRequest);
      return json(201, shown(correction), { Location: `/corrections/${correction.id}` });
    },
    async listMyCorrections(ctx) {
      return json(200, { items: (await corrections.mine(ctx.principal)).map(shown) });
    },
    async listCorrections(ctx) {
      const overdue = ctx.query.overdue === true || ctx.query.overdue === 'true';
      return json(200, { items: (await corrections.queue(ctx.principal, { status: ctx.query.status as CorrectionStatus | undefined, overdue })).map(shown) });
    },
    async getCorrection(ctx) {
      return json(200, shown(await corrections.get(ctx.principal, param(ctx, 'correctionId'))));
    },
    async getCorrectionEvidence(ctx) {
      const { bytes, evidence } = await corrections.evidence(ctx.principal, param(ctx, 'correctionId'));
      return {
        status: 200, body: bytes, contentType: evidence.mediaType,
        // Never rendered inline from our origin: a PDF or image the holder uploaded is opened as a download.
        headers: { 'Content-Disposition': `attachment; filename="evidence${extension(evidence.mediaType)}"`, 'Cache-Control': 'private, no-store', 'X-Content-Type-Options': 'nosniff' },
      };
    },
    async approveCorrection(ctx) {
      const { correction, licence, verificationCode } = await corrections.approve(ctx.principal, param(ctx, 'correctionId'), (ctx.body as { reason: string }).reason);
      metrics.statusChanges.inc({ action: 'correct' });
      metrics.licencesIssued.inc({ type: licence.typeKey });
      return json(201, { correction: shown(correction), licence: licenceRepresentation(licence, publicBaseUrl), verificationCode }, { 'Cache-Control': 'no-store' });
    },
    async rejectCorrection(ctx) {
      return json(200, shown(await corrections.reject(ctx.principal, param(ctx, 'correctionId'), (ctx.body as { reason: string }).reason)));
    },
    async getCorrectionSettings(ctx) {
      return json(200, await corrections.deadline(ctx.principal));
    },
    async setCorrectionSettings(ctx) {
      return json(200, await corrections.setDeadline(ctx.principal, (ctx.body as { deadlineDays: number }).deadlineDays));
    },
  };
}

function extension(mediaType: string): string {
  return mediaType === 'image/jpeg' ? '.jpg' : mediaType === 'image/png' ? '.png' : '.pdf';
}
