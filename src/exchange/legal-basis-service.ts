/** The sharing catalogue's legal bases, managed by an administrator; every change is logged. */
import crypto from 'node:crypto';
import type { Principal } from '../principals/principal.ts';
import { hasRole } from '../principals/principal.ts';
import type { DepartmentStore } from '../departments/department-types.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { FieldError } from '../errors/domain-error.ts';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { ExchangeStore } from './exchange-types.ts';
import type { LegalBasis } from './exchange-types.ts';

export interface CreateLegalBasisRequest {
  requester: string;
  serviceItem: { code: string; name: string };
  licenceTypes: string[];
  fields: string[];
  legalReference: string;
}

export class LegalBasisService {
  constructor(private readonly deps: { store: ExchangeStore; departments: DepartmentStore; catalogue: LicenceTypeCatalogue; now?: () => Date }) {}

  async create(principal: Principal | null, request: CreateLegalBasisRequest): Promise<LegalBasis> {
    const admin = requireRole(principal, 'admin');
    const errors: FieldError[] = [];
    const requester = await this.deps.departments.get(request.requester);
    if (!requester?.roles.includes('requester')) errors.push({ field: 'requester', message: 'is not a registered requesting department' });
    const types = request.licenceTypes.map((k) => this.deps.catalogue.get(k));
    request.licenceTypes.forEach((k, i) => {
      const t = types[i];
      if (!t) errors.push({ field: 'licenceTypes', message: `${k} is not a licence type` });
      else if (t.sharingClass === 'not-shared') errors.push({ field: 'licenceTypes', message: `${k} is not shared through the exchange` });
    });
    const disclosable = new Set(types.flatMap((t) => t?.fields.filter((f) => f.disclosable).map((f) => f.name) ?? []));
    for (const f of request.fields) if (!disclosable.has(f)) errors.push({ field: 'fields', message: `${f} is not a disclosable field of these types` });
    if (errors.length) throw DomainError.invalid('LEGAL_BASIS_INVALID', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
    const basis: LegalBasis = {
      id: `lgb_${crypto.randomUUID()}`,
      requester: request.requester,
      serviceItem: request.serviceItem,
      licenceTypes: [...new Set(request.licenceTypes)].sort(),
      fields: [...new Set(request.fields)].sort(),
      legalReference: request.legalReference,
      createdBy: admin,
      createdAt: (this.deps.now?.() ?? new Date()).toISOString(),
      revokedAt: null,
    };
    await this.deps.store.createLegalBasis(basis);
    return basis;
  }

  async revoke(principal: Principal | null, id: string): Promise<LegalBasis> {
    const admin = requireRole(principal, 'admin');
    const revoked = await this.deps.store.revokeLegalBasis(id, admin, (this.deps.now?.() ?? new Date()).toISOString());
    if (!revoked) throw DomainError.notFound('LEGAL_BASIS_NOT_FOUND', `no legal basis ${id}`);
    return revoked;
  }

  /** Admins and auditors see the whole catalogue; a requesting department sees its own entries. */
  async list(principal: Principal | null): Promise<LegalBasis[]> {
    if (hasRole(principal, 'admin') || hasRole(principal, 'auditor')) return this.deps.store.listLegalBases();
    if (principal?.kind === 'department' && principal.roles.includes('requester')) return this.deps.store.listLegalBases(principal.code);
    if (!principal) throw DomainError.authenticationRequired();
    throw DomainError.forbidden('ROLE_REQUIRED', 'the legal-basis catalogue is for departments');
  }

  async changes(principal: Principal | null) {
    if (!hasRole(principal, 'admin') && !hasRole(principal, 'auditor')) {
      throw principal ? DomainError.forbidden('ROLE_REQUIRED', 'this needs the auditor or admin role') : DomainError.authenticationRequired();
    }
    return this.deps.store.catalogueChanges(500);
  }
}

function requireRole(principal: Principal | null, role: 'admin'): string {
  if (!principal) throw DomainError.authenticationRequired();
  if (!hasRole(principal, role)) throw DomainError.forbidden('ROLE_REQUIRED', `this needs the ${role} role`);
  return principal.code;
}
