/** Thin mapping from the licence operations of openapi.yaml to LicenceService calls. */
import { parseLicenceId } from '../identity/licence-id.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { HttpResult, OperationHandlers, RequestContext } from '../http/http-types.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { IssueLicenceRequest, LicenceService, RenewLicenceRequest, StatusChangeAction } from './licence-service.ts';
import type { Licence, LicenceStatus, StatusEvent } from './licence-types.ts';
import type { LicencePresentations, PresentationRequest } from './licence-presentations.ts';

export function licenceRepresentation(l: Licence, publicBaseUrl: string) {
  const self = `/licences/${l.id}`;
  return {
    id: l.id,
    type: l.typeKey,
    typeCode: l.typeCode,
    issuer: l.issuerCode,
    holder: l.holder,
    fields: l.fields,
    validFrom: l.validFrom,
    validUntil: l.validUntil,
    version: l.version,
    previousId: l.previousId,
    status: l.status,
    document: { sha256: l.document.sha256, size: l.document.size, mediaType: 'application/pdf' },
    fieldCommitmentRoot: l.fieldCommitmentRoot,
    provenance: l.provenance,
    issuedAt: l.issuedAt,
    links: { self, document: `${self}/document`, history: `${self}/history`, receipt: `${self}/receipt`, verify: `${publicBaseUrl}/verify/${l.id}` },
  };
}

function eventRepresentation(e: StatusEvent) {
  return { action: e.action, fromStatus: e.fromStatus, toStatus: e.toStatus, reason: e.reason, actor: e.actor, at: e.at };
}

/** The path pattern admits the shape; this also checks the MOD 37,36 check character and the issuer's USCC. */
export function licenceIdParam(ctx: RequestContext): string {
  const raw = ctx.params.licenceId ?? '';
  const parsed = parseLicenceId(raw);
  if (!parsed.ok) throw DomainError.invalid('LICENCE_ID_INVALID', `licenceId ${parsed.message}`, [{ field: 'licenceId', message: parsed.message }]);
  return raw;
}

function encodeCursor(l: Licence): string {
  return Buffer.from(JSON.stringify([l.issuedAt, l.id])).toString('base64url');
}

function decodeCursor(cursor: unknown): { issuedAt: string; id: string } | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [issuedAt, id] = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8')) as [string, string];
    if (typeof issuedAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(issuedAt))) return { issuedAt, id };
  } catch {
    // fall through to the problem below
  }
  throw DomainError.invalid('CURSOR_INVALID', 'cursor is not one this service returned', [{ field: 'cursor', message: 'is not valid' }]);
}

export function licenceRoutes(service: LicenceService, presentations: LicencePresentations, metrics: Metrics, publicBaseUrl: string): OperationHandlers {
  const json = (status: number, body: unknown, headers?: Record<string, string>): HttpResult => ({ status, json: body, headers });
  return {
    async presentLicence(ctx) {
      return json(201, await presentations.present(ctx.principal, licenceIdParam(ctx), (ctx.body ?? {}) as PresentationRequest), { 'Cache-Control': 'no-store' });
    },
    async issueLicence(ctx) {
      const key = ctx.headers['idempotency-key'];
      const outcome = await service.issue(ctx.principal, ctx.body as IssueLicenceRequest, typeof key === 'string' ? key : null);
      if (!outcome.replayed) metrics.licencesIssued.inc({ type: outcome.licence.typeKey });
      const body = licenceRepresentation(outcome.licence, publicBaseUrl);
      if (outcome.replayed) return json(200, body, { 'Idempotent-Replayed': 'true' });
      return json(201, { ...body, verificationCode: outcome.verificationCode }, { Location: body.links.self, 'Cache-Control': 'no-store' });
    },
    async listLicences(ctx) {
      const limit = Number(ctx.query.limit ?? 50);
      const items = await service.list(ctx.principal, {
        limit: limit + 1,
        typeKey: ctx.query.type as string | undefined,
        status: ctx.query.status as LicenceStatus | undefined,
        holderId: ctx.query.holderId as string | undefined,
        after: decodeCursor(ctx.query.cursor),
      });
      const page = items.slice(0, limit);
      const nextCursor = items.length > limit ? encodeCursor(page[page.length - 1]!) : null;
      return json(200, { items: page.map((l) => licenceRepresentation(l, publicBaseUrl)), nextCursor });
    },
    async getLicence(ctx) {
      return json(200, licenceRepresentation(await service.get(ctx.principal, licenceIdParam(ctx)), publicBaseUrl));
    },
    async getLicenceDocument(ctx) {
      const { licence, bytes } = await service.document(ctx.principal, licenceIdParam(ctx));
      return {
        status: 200,
        body: bytes,
        contentType: 'application/pdf',
        headers: {
          'Content-Disposition': `attachment; filename="${licence.id}.pdf"`,
          Digest: `sha-256=${Buffer.from(licence.document.sha256, 'hex').toString('base64')}`,
          'Cache-Control': 'private, no-store',
        },
      };
    },
    async getLicenceHistory(ctx) {
      const events = await service.history(ctx.principal, licenceIdParam(ctx));
      return json(200, { items: events.map(eventRepresentation) });
    },
    async changeLicenceStatus(ctx) {
      const { action, reason } = ctx.body as { action: StatusChangeAction; reason: string };
      const licence = await service.changeStatus(ctx.principal, licenceIdParam(ctx), action, reason);
      metrics.statusChanges.inc({ action });
      return json(200, licenceRepresentation(licence, publicBaseUrl));
    },
    async renewLicence(ctx) {
      const { licence, verificationCode } = await service.renew(ctx.principal, licenceIdParam(ctx), ctx.body as RenewLicenceRequest);
      metrics.statusChanges.inc({ action: 'renew' });
      metrics.licencesIssued.inc({ type: licence.typeKey });
      const body = licenceRepresentation(licence, publicBaseUrl);
      return json(201, { ...body, verificationCode }, { Location: body.links.self, 'Cache-Control': 'no-store' });
    },
  };
}
