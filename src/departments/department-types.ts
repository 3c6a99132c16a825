import type { JSONWebKeySet } from 'jose';

export type DepartmentRole = 'issuer' | 'requester' | 'auditor' | 'admin';
export const DEPARTMENT_ROLES: readonly DepartmentRole[] = ['issuer', 'requester', 'auditor', 'admin'];

export interface Department {
  /** Unified social credit code (GB 32100) of the department. */
  code: string;
  nameZh: string;
  nameEn: string;
  roles: DepartmentRole[];
  /** Public keys the department signs its client assertions with (RFC 7523). */
  jwks: JSONWebKeySet;
  /** Issuers only: the PDF signing certificate chain, leaf first, PEM. */
  signingChainPem: string[] | null;
}

/** Port: the department registry. */
export interface DepartmentStore {
  get(code: string): Promise<Department | null>;
  list(): Promise<Department[]>;
  upsert(department: Department): Promise<void>;
}
