/**
 * The public directory of registered departments: code, names and roles, so pages and clients show a
 * department by its name instead of keeping their own copy of the list. Keys and certificates stay out.
 */
import type { OperationHandlers } from '../http/http-types.ts';
import type { DepartmentStore } from './department-types.ts';

export function departmentRoutes(departments: DepartmentStore): OperationHandlers {
  return {
    async listDepartments() {
      const items = (await departments.list()).map((d) => ({ code: d.code, nameZh: d.nameZh, nameEn: d.nameEn, roles: d.roles }));
      return { status: 200, json: { items }, headers: { 'Cache-Control': 'public, max-age=300' } };
    },
  };
}
