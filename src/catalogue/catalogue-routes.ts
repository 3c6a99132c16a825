import { DomainError } from '../errors/domain-error.ts';
import type { OperationHandlers } from '../http/http-types.ts';
import type { DepartmentStore } from '../departments/department-types.ts';
import type { LicenceType, LicenceTypeCatalogue } from './catalogue.ts';
import type { ServiceItemCatalogue } from './service-items.ts';

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

/**
 * The public reference data: the licence-type catalogue, and the directory of registered departments (code,
 * names, roles: pages and clients show a department by its name instead of keeping their own list; keys and
 * certificates stay out).
 */
export function catalogueRoutes(catalogue: LicenceTypeCatalogue, departments: DepartmentStore, serviceItems: ServiceItemCatalogue): OperationHandlers {
  return {
    async listServiceItems() {
      return { status: 200, json: { items: serviceItems.list() }, headers: { 'Cache-Control': 'public, max-age=300' } };
    },
    async listDepartments() {
      const items = (await departments.list()).map((d) => ({ code: d.code, nameZh: d.nameZh, nameEn: d.nameEn, roles: d.roles }));
      return { status: 200, json: { items }, headers: { 'Cache-Control': 'public, max-age=300' } };
    },
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
