/**
 * An access record in plain words, for the person whose data it is (the data tracker, the notification
 * feed) and for auditors: the department and the service item by name, which licences and fields were
 * seen, and the outcome as a sentence in Chinese and English — not codes. The record itself (and its proof)
 * stays beside it for experts.
 */
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { ServiceItemCatalogue } from '../catalogue/service-items.ts';
import type { DepartmentStore } from '../departments/department-types.ts';
import { parseLicenceId } from '../identity/licence-id.ts';
import type { AccessRecord, RefusalCode } from './exchange-types.ts';

export interface AccessDescription {
  requester: { code: string; nameZh: string; nameEn: string };
  serviceItem: { code: string; nameZh: string; nameEn: string };
  licences: Array<{ id: string; typeKey: string | null; typeNameZh: string; typeNameEn: string }>;
  fields: Array<{ name: string; labelZh: string; labelEn: string }>;
  basis: { kind: AccessRecord['basisKind']; zh: string; en: string };
  outcome: { allowed: boolean; zh: string; en: string };
}

/** Why a request was refused, as the holder reads it. */
export const OUTCOME_SENTENCES: Record<'OK' | RefusalCode, { zh: string; en: string }> = {
  OK: { zh: '已查看', en: 'Looked at' },
  NO_CONSENT: { zh: '已拒绝：您没有同意，也没有法律依据', en: 'Refused: you had not consented and there was no legal basis' },
  CONSENT_EXPIRED: { zh: '已拒绝：您的授权已过期', en: 'Refused: your consent had expired' },
  CONSENT_REVOKED: { zh: '已拒绝：您已撤回授权', en: 'Refused: you had withdrawn your consent' },
  CONSENT_EXHAUSTED: { zh: '已拒绝：授权次数已用完', en: 'Refused: your consent had no uses left' },
  FIELD_NOT_COVERED: { zh: '已拒绝：所要的信息超出您授权的范围', en: 'Refused: it asked for more than you had allowed' },
  NOT_SHARED: { zh: '已拒绝：此类证照不对外共享', en: 'Refused: this kind of licence is never shared' },
  PURPOSE_MISMATCH: { zh: '已拒绝：办理的事项与您授权的事项不符', en: 'Refused: the service it was for is not the one you consented to' },
  LICENCE_NOT_FOUND: { zh: '已拒绝：所查的证照不是您的', en: 'Refused: the licence asked about is not yours' },
  RATE_LIMITED: { zh: '已拒绝：查询过于频繁', en: 'Refused: too many requests' },
};

const BASIS_SENTENCES: Record<AccessRecord['basisKind'], { zh: string; en: string }> = {
  consent: { zh: '凭您的授权', en: 'under your consent' },
  'legal-basis': { zh: '依法律规定', en: 'under a legal basis' },
  unconditional: { zh: '公开信息', en: 'public information' },
};

export class AccessDescriber {
  constructor(private readonly deps: { departments: DepartmentStore; serviceItems: ServiceItemCatalogue; catalogue: LicenceTypeCatalogue }) {}

  async describe(record: AccessRecord): Promise<AccessDescription> {
    const department = await this.deps.departments.get(record.requester);
    const item = this.deps.serviceItems.get(record.serviceItem);
    const types = this.deps.catalogue.list();
    const licences = record.licenceIds.map((id) => {
      const parsed = parseLicenceId(id);
      const type = parsed.ok ? types.find((t) => t.code === parsed.typeCode) : undefined;
      return { id, typeKey: type?.key ?? null, typeNameZh: type?.nameZh ?? id, typeNameEn: type?.nameEn ?? id };
    });
    // Field labels from the types the record is about, else from any type that has the field.
    const candidates = licences.some((l) => l.typeKey) ? types.filter((t) => licences.some((l) => l.typeKey === t.key)) : types;
    const label = (name: string) => candidates.flatMap((t) => t.fields).find((f) => f.name === name) ?? types.flatMap((t) => t.fields).find((f) => f.name === name);
    const outcome = OUTCOME_SENTENCES[record.reasonCode as 'OK' | RefusalCode] ?? { zh: `已拒绝（${record.reasonCode}）`, en: `Refused (${record.reasonCode})` };
    return {
      requester: { code: record.requester, nameZh: department?.nameZh ?? record.requester, nameEn: department?.nameEn ?? record.requester },
      serviceItem: { code: record.serviceItem, nameZh: item?.nameZh ?? record.serviceItem, nameEn: item?.nameEn ?? record.serviceItem },
      licences,
      fields: record.fields.map((name) => ({ name, labelZh: label(name)?.labelZh ?? name, labelEn: label(name)?.labelEn ?? name })),
      basis: { kind: record.basisKind, ...BASIS_SENTENCES[record.basisKind] },
      outcome: { allowed: record.result === 'ALLOWED', ...outcome },
    };
  }
}
