/** Thin mapping of the exchange operations: queries, document links, catalogue, access log, alerts. */
import { DomainError } from '../errors/domain-error.ts';
import type { OperationHandlers } from '../http/http-types.ts';
import { stringify } from 'csv-stringify/sync';
import type { Licence } from '../licences/licence-types.ts';
import type { AccessDescription } from './access-descriptions.ts';
import type { AccessRecord } from './exchange-types.ts';
import type { DocumentLinks } from './document-links.ts';
import type { ExchangeQuery, ExchangeService } from './exchange-service.ts';
import type { CreateLegalBasisRequest, LegalBasisService } from './legal-basis-service.ts';
import { todayInChina } from '../verify/verdict.ts';

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
      const filter = { requester: ctx.query.requester as string | undefined, from: ctx.query.from as string | undefined, to: ctx.query.to as string | undefined };
      return { status: 200, json: { origin: exchange.accessLogOrigin, items: await exchange.accessesOfHolder(ctx.principal, filter) } };
    },
    async exportAccessLog(ctx) {
      const filter = {
        requester: ctx.query.requester as string | undefined, holderId: ctx.query.holderId as string | undefined,
        result: ctx.query.result as 'ALLOWED' | 'REFUSED' | undefined, from: ctx.query.from as string | undefined, to: ctx.query.to as string | undefined,
      };
      const items = await exchange.accessLog(ctx.principal, filter, ctx.query.format === 'csv' ? 10_000 : 1000);
      if (ctx.query.format !== 'csv') return { status: 200, json: { items } };
      const rows = await Promise.all(items.map(async (r) => ({ record: r, described: await exchange.describe(r) })));
      return {
        status: 200, body: accessLogCsv(rows), contentType: 'text/csv; charset=utf-8',
        headers: { 'Content-Disposition': `attachment; filename="access-log-${todayInChina()}.csv"`, 'Cache-Control': 'no-store' },
      };
    },
    async listExchangeAlerts(ctx) {
      return { status: 200, json: { items: await exchange.alerts(ctx.principal) } };
    },
  };
}

/**
 * The access log as a spreadsheet an auditor opens (UTF-8 with a BOM, as Excel and WPS expect): one row per
 * request with names beside codes and the outcome as a sentence.
 */
function accessLogCsv(rows: Array<{ record: AccessRecord; described: AccessDescription }>): string {
  const header = ['时间 time', '部门 department', '部门名称 department name', '事项编码 service item', '事项名称 service item name', '持证主体 holder', '案件号 case number', '经办人 official', '依据 basis', '证照 licences', '字段 fields', '结果 result', '原因 reason code', '说明 outcome', '记录 record id'];
  const body = rows.map(({ record: r, described: d }) => [
    r.at, r.requester, d.requester.nameZh, r.serviceItem, d.serviceItem.nameZh, r.holderId, r.caseNumber, r.officialId, r.basisKind,
    r.licenceIds.join(' '), d.fields.map((f) => f.labelZh).join('、'), r.result, r.reasonCode, d.outcome.zh, r.id,
  ]);
  return `\uFEFF${stringify([header, ...body])}`;
}
