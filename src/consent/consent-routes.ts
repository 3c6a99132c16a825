import type { OperationHandlers } from '../http/http-types.ts';
import type { ConsentService, GrantConsentRequest } from './consent-service.ts';
import type { Consent } from './consent-types.ts';

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
