/** Thin mapping of the exchange operations: queries, document links, catalogue, access log, alerts. */
import { DomainError } from '../errors/domain-error.ts';
import type { OperationHandlers } from '../http/http-types.ts';
import type { Licence } from '../licences/licence-types.ts';
import type { DocumentLinks } from './document-links.ts';
import type { ExchangeQuery, ExchangeService } from './exchange-service.ts';
import type { CreateLegalBasisRequest, LegalBasisService } from './legal-basis-service.ts';

/** Serves a licence's PDF, re-checked against its recorded hash (LicenceService.documentForLink). */
export interface LinkedDocuments {
  documentForLink(licenceId: string): Promise<{ licence: Licence; bytes: Uint8Array } | null>;
}

export function exchangeRoutes(deps: { exchange: ExchangeService; legalBases: LegalBasisService; links: DocumentLinks; documents: LinkedDocuments }): OperationHandlers {
  const { exchange, legalBases } = deps;
  return {
    async queryExchange(ctx) {
      return { status: 200, json: await exchange.query(ctx.principal, ctx.body as ExchangeQuery), headers: { 'Cache-Control': 'no-store' } };
    },
    async getExchangeDocument(ctx) {
      const opened = deps.links.open(ctx.params.token ?? '');
      if (!opened) throw DomainError.notFound('LINK_INVALID', 'this download link is invalid or expired');
      const document = await deps.documents.documentForLink(opened.licenceId);
      if (!document) throw DomainError.notFound('LINK_INVALID', 'this download link is invalid or expired');
      const { licence, bytes } = document;
      return { status: 200, body: bytes, contentType: 'application/pdf', headers: { 'Cache-Control': 'private, no-store', 'Content-Disposition': `attachment; filename="${licence.id}.pdf"` } };
    },
    async createLegalBasis(ctx) {
      const basis = await legalBases.create(ctx.principal, ctx.body as CreateLegalBasisRequest);
      return { status: 201, json: basis, headers: { Location: `/exchange/legal-bases/${basis.id}` } };
    },
    async listLegalBases(ctx) {
      return { status: 200, json: { items: await legalBases.list(ctx.principal) } };
    },
    async revokeLegalBasis(ctx) {
      return { status: 200, json: await legalBases.revoke(ctx.principal, ctx.params.legalBasisId ?? '') };
    },
    async listCatalogueChanges(ctx) {
      return { status: 200, json: { items: await legalBases.changes(ctx.principal) } };
    },
    async listMyAccesses(ctx) {
      return { status: 200, json: { origin: exchange.accessLogOrigin, items: await exchange.accessesOfHolder(ctx.principal) } };
    },
    async exportAccessLog(ctx) {
      const items = await exchange.accessLog(ctx.principal, { requester: ctx.query.requester as string | undefined, from: ctx.query.from as string | undefined, to: ctx.query.to as string | undefined });
      return { status: 200, json: { items } };
    },
    async listExchangeAlerts(ctx) {
      return { status: 200, json: { items: await exchange.alerts(ctx.principal) } };
    },
  };
}
