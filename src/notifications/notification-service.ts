/**
 * The holder's notification feed in the portal: new accesses to their data (from the access log, in plain
 * words), licences that expire within 30 days, and consent requests waiting for an answer. Read-marks are
 * kept per holder, so a second device sees what the first read.
 *
 * In production the same events would also go out by SMS or app push (the provincial 政务 app's push
 * channel): a sender subscribed to new access records and to a daily expiry scan, with the holder's
 * channel preferences — not built here; the feed is the source of truth either would read.
 */
import { DomainError } from '../errors/domain-error.ts';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { ConsentRequests } from '../consent/consent-requests.ts';
import type { AccessDescriber } from '../exchange/access-descriptions.ts';
import type { AccessLogStore } from '../exchange/exchange-types.ts';
import type { LicenceStore } from '../licences/licence-types.ts';
import type { HolderPrincipal, Principal } from '../principals/principal.ts';
import type { Notification, NotificationMarkStore } from './notification-types.ts';

export const EXPIRY_NOTICE_DAYS = 30;
const FEED_DAYS = 90;

export class NotificationService {
  constructor(private readonly deps: {
    marks: NotificationMarkStore;
    accessLog: AccessLogStore;
    describer: AccessDescriber;
    licences: LicenceStore;
    catalogue: LicenceTypeCatalogue;
    consentRequests: ConsentRequests;
    now?: () => Date;
  }) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async feed(principal: Principal | null): Promise<{ unread: number; seenUntil: string | null; items: Notification[] }> {
    const holder = requireHolder(principal);
    const now = this.now();
    const seenUntil = await this.deps.marks.seenUntil(holder.holderId);
    const unread = (at: string) => seenUntil === null || at > seenUntil;
    const items: Notification[] = [];

    const since = new Date(now.getTime() - FEED_DAYS * 86400_000).toISOString();
    for (const record of await this.deps.accessLog.accessesOfHolder(holder.holderId, 100, { from: since })) {
      const d = await this.deps.describer.describe(record);
      const types = [...new Set(d.licences.map((l) => l.typeNameZh))].join('、') || '证照';
      const typesEn = [...new Set(d.licences.map((l) => l.typeNameEn))].join(', ') || 'licences';
      const fields = d.fields.map((f) => f.labelZh).join('、');
      const fieldsEn = d.fields.map((f) => f.labelEn).join(', ');
      items.push({
        id: `access:${record.id}`, kind: 'access', at: record.at, unread: unread(record.at), subject: { accessId: record.id, licenceId: record.licenceIds[0] },
        zh: d.outcome.allowed
          ? `${d.requester.nameZh}为办理“${d.serviceItem.nameZh}”查看了您的${types}${fields ? `（${fields}）` : ''}`
          : `${d.requester.nameZh}为办理“${d.serviceItem.nameZh}”查询您的证照，${d.outcome.zh}`,
        en: d.outcome.allowed
          ? `${d.requester.nameEn} looked at your ${typesEn}${fieldsEn ? ` (${fieldsEn})` : ''} for “${d.serviceItem.nameEn}”`
          : `${d.requester.nameEn} asked about your licences for “${d.serviceItem.nameEn}”. ${d.outcome.en}`,
      });
    }

    const today = chinaDate(now);
    const horizon = chinaDate(new Date(now.getTime() + EXPIRY_NOTICE_DAYS * 86400_000));
    for (const licence of await this.deps.licences.list({ holderId: holder.holderId, status: 'active', limit: 500 })) {
      if (!licence.validUntil || licence.validUntil < today || licence.validUntil > horizon) continue;
      const type = this.deps.catalogue.get(licence.typeKey);
      const days = Math.round((Date.parse(`${licence.validUntil}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86400_000);
      // It became news the day it entered the 30-day window.
      const at = new Date(Date.parse(`${licence.validUntil}T00:00:00+08:00`) - EXPIRY_NOTICE_DAYS * 86400_000).toISOString();
      items.push({
        id: `expiring:${licence.id}`, kind: 'expiring', at, unread: unread(at), subject: { licenceId: licence.id },
        zh: `您的${type?.nameZh ?? '证照'}将于${zhDate(licence.validUntil)}到期${days === 0 ? '（今天）' : `（还有${days}天）`}，请及时办理延续`,
        en: `Your ${type?.nameEn ?? 'licence'} expires on ${licence.validUntil}${days === 0 ? ' (today)' : ` (in ${days} days)`}; renew it in time`,
      });
    }

    for (const request of await this.deps.consentRequests.pendingForHolder(principal)) {
      items.push({
        id: `consent-request:${request.id}`, kind: 'consent-request', at: request.createdAt, unread: unread(request.createdAt), subject: { consentRequestId: request.id },
        zh: `${request.requester.nameZh}请求您授权，用于办理“${request.serviceItem.nameZh}”，请在${zhDate(request.expiresAt.slice(0, 10))}前答复`,
        en: `${request.requester.nameEn} asks for your consent for “${request.serviceItem.nameEn}”; answer by ${request.expiresAt.slice(0, 10)}`,
      });
    }

    items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    return { unread: items.filter((i) => i.unread).length, seenUntil, items };
  }

  async markSeen(principal: Principal | null, until?: string): Promise<void> {
    const holder = requireHolder(principal);
    const at = until ?? this.now().toISOString();
    if (Number.isNaN(Date.parse(at))) throw DomainError.invalid('TIME_INVALID', 'until must be a date-time', [{ field: 'until', message: 'not a date-time' }]);
    await this.deps.marks.markSeen(holder.holderId, new Date(Math.min(Date.parse(at), this.now().getTime())).toISOString());
  }
}

function requireHolder(principal: Principal | null): HolderPrincipal {
  if (!principal) throw DomainError.authenticationRequired();
  if (principal.kind !== 'holder') throw DomainError.forbidden('HOLDER_REQUIRED', 'only the holder has a notification feed');
  return principal;
}

/** YYYY-MM-DD in China Standard Time. */
function chinaDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

function zhDate(day: string): string {
  const [y, m, d] = day.split('-');
  return `${y}年${Number(m)}月${Number(d)}日`;
}
