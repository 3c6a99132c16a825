import type { DepartmentRole } from '../departments/department-types.ts';
import type { HolderKind } from '../licence-types/catalogue.ts';

/** Who is calling, established from a verified bearer token; every route decides from this alone. */
export type Principal = DepartmentPrincipal | HolderPrincipal;

export interface DepartmentPrincipal {
  kind: 'department';
  code: string;
  roles: DepartmentRole[];
  tokenId: string;
}

export interface HolderPrincipal {
  kind: 'holder';
  holderKind: HolderKind;
  /** Resident ID number (person) or unified social credit code (organisation), normalised. */
  holderId: string;
  name: string | null;
}

export function hasRole(p: Principal | null, role: DepartmentRole): p is DepartmentPrincipal {
  return p?.kind === 'department' && p.roles.includes(role);
}
