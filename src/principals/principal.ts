import type { DepartmentRole } from '../departments/department-types.ts';
import type { HolderKind } from '../identity/holder-id.ts';

/** Who is calling, established from a verified bearer token; every route decides from this alone. */
export type Principal = DepartmentPrincipal | HolderPrincipal;

export interface DepartmentPrincipal {
  kind: 'department';
  code: string;
  roles: DepartmentRole[];
  tokenId: string;
  /** A person of the department signed in through the staff identity provider (pages), not a machine client. */
  staff?: { id: string; name: string | null };
}

export interface HolderPrincipal {
  kind: 'holder';
  holderKind: HolderKind;
  /** Resident ID number (person) or unified social credit code (organisation), normalised. */
  holderId: string;
  name: string | null;
  /**
   * Set when a person acts for this company as its appointed agent (see AgentService.actFor): the holder is
   * the company, and the agent is recorded where it matters (who granted or withdrew a consent).
   */
  agent?: { id: string; name: string | null };
}

/**
 * True when `p` is a department holding `role`. The predicate carries a brand so that a false answer does
 * not narrow `p` to "not a department" (a department without this role is still a department).
 */
export function hasRole<R extends DepartmentRole>(p: Principal | null, role: R): p is DepartmentPrincipal & { readonly __hasRole: R } {
  return p?.kind === 'department' && p.roles.includes(role);
}
