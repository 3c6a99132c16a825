import { DomainError } from '../errors/domain-error.ts';
import type { OperationHandlers } from '../http/http-types.ts';
import type { LicenceType, LicenceTypeCatalogue } from './catalogue.ts';

function representation(t: LicenceType) {
  return {
    key: t.key,
    code: t.code,
    nameZh: t.nameZh,
    nameEn: t.nameEn,
    issuer: t.issuer,
    holderKind: t.holderKind,
    sharingClass: t.sharingClass,
    defaultValidityYears: t.defaultValidityYears,
    fields: t.fields,
    publicFields: t.publicFields,
    schema: t.schema,
  };
}

export function catalogueRoutes(catalogue: LicenceTypeCatalogue): OperationHandlers {
  return {
    async listLicenceTypes() {
      return { status: 200, json: { items: catalogue.list().map(representation) } };
    },
    async getLicenceType(ctx) {
      const type = catalogue.get(ctx.params.typeKey ?? '');
      if (!type) throw DomainError.notFound('LICENCE_TYPE_UNKNOWN', `no licence type ${ctx.params.typeKey}`);
      return { status: 200, json: representation(type) };
    },
  };
}
