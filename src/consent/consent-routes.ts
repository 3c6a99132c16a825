import type { OperationHandlers } from '../http/http-types.ts';
import type { ConsentService, GrantConsentRequest } from './consent-service.ts';
import type { Consent } from './consent-types.ts';
import type { ConsentRequests, CreateConsentRequest } from './consent-requests.ts';

export function consentRepresentation(c: Consent, status: string) {
  return {
    id: c.id,
    status,
    holder: c.holder,
    requester: c.requester,
    purpose: c.purpose,
    licenceTypes: c.licenceTypes,
    licenceIds: c.licenceIds,
    fields: c.fields,
    allowDocument: c.allowDocument,
    validFrom: c.validFrom,
    validUntil: c.validUntil,
    maxUses: c.maxUses,
    uses: c.uses,
    revokedAt: c.revokedAt,
    createdAt: c.createdAt,
    artefact: c.artefact,
    grantedByAgent: c.grantedByAgent,
    withdrawnByAgent: c.withdrawnByAgent,
  };
}

export function consentRoutes(service: ConsentService): OperationHandlers {
  const view = (c: Consent) => consentRepresentation(c, service.status(c));
  return {
    async grantConsent(ctx) {
      const consent = await service.grant(ctx.principal, ctx.body as GrantConsentRequest);
      return { status: 201, json: view(consent), headers: { Location: `/consents/${consent.id}` } };
    },
    async listMyConsents(ctx) {
      return { status: 200, json: { items: (await service.list(ctx.principal)).map(view) } };
    },
    async getConsent(ctx) {
      return { status: 200, json: view(await service.get(ctx.principal, ctx.params.consentId ?? '')) };
    },
    async withdrawConsent(ctx) {
      return { status: 200, json: view(await service.withdraw(ctx.principal, ctx.params.consentId ?? '')) };
    },
  };
}

export function consentRequestRoutes(requests: ConsentRequests, consents: ConsentService): OperationHandlers {
  const view = (c: Consent) => consentRepresentation(c, consents.status(c));
  return {
    async createConsentRequest(ctx) {
      const request = await requests.create(ctx.principal, ctx.body as CreateConsentRequest);
      return { status: 201, json: request, headers: { Location: `/consent-requests/${request.id}` } };
    },
    async listConsentRequests(ctx) {
      return { status: 200, json: { items: await requests.listForRequester(ctx.principal) } };
    },
    async getConsentRequest(ctx) {
      return { status: 200, json: await requests.getForRequester(ctx.principal, ctx.params.requestId ?? '') };
    },
    async listMyConsentRequests(ctx) {
      return { status: 200, json: { items: await requests.pendingForHolder(ctx.principal) } };
    },
    async getMyConsentRequest(ctx) {
      return { status: 200, json: await requests.open(ctx.principal, ctx.params.requestId ?? '') };
    },
    async approveConsentRequest(ctx) {
      const { request, consent, created } = await requests.approve(ctx.principal, ctx.params.requestId ?? '');
      return { status: created ? 201 : 200, json: { request, consent: view(consent) } };
    },
    async declineConsentRequest(ctx) {
      return { status: 200, json: await requests.decline(ctx.principal, ctx.params.requestId ?? '', (ctx.body as { reason?: string } | undefined)?.reason) };
    },
  };
}
