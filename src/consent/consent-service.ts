/**
 * Consents: a holder grants a requesting department access to named licence types (or licences) and
 * fields, for a purpose (service item), a window and a number of uses; withdrawal takes effect on the
 * department's next request. Holders list, inspect and withdraw; the department can read its artefact.
 */
import crypto from 'node:crypto';
import type { SigningKey } from '../auth/key-files.ts';
import type { Principal } from '../principals/principal.ts';
import { hasRole } from '../principals/principal.ts';
import type { DepartmentStore } from '../departments/department-types.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { FieldError } from '../errors/domain-error.ts';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { LicenceStore } from '../licences/licence-types.ts';
import { signConsentArtefact } from './consent-artefact.ts';
import type { Consent, ConsentStore } from './consent-types.ts';
import { consentStatus } from './consent-types.ts';

export interface GrantConsentRequest {
  requester: string;
  purpose: { code: string; text: string };
  licenceTypes: string[];
  licenceIds?: string[];
  fields: string[];
  allowDocument?: boolean;
  validFrom?: string;
  validUntil: string;
  maxUses: number;
}

const MAX_WINDOW_MS = 366 * 24 * 3600 * 1000;

export class ConsentService {
  constructor(
    private readonly deps: {
      consents: ConsentStore;
      departments: DepartmentStore;
      catalogue: LicenceTypeCatalogue;
      licences: LicenceStore;
      signingKey: SigningKey;
      issuer: string;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async grant(principal: Principal | null, request: GrantConsentRequest): Promise<Consent> {
    const holder = requireHolder(principal);
    const errors: FieldError[] = [];
    const requester = await this.deps.departments.get(request.requester);
    if (!requester || !requester.roles.includes('requester')) errors.push({ field: 'requester', message: 'is not a registered requesting department' });
    const types = request.licenceTypes.map((key) => ({ key, type: this.deps.catalogue.get(key) }));
    for (const { key, type } of types) {
      if (!type) errors.push({ field: 'licenceTypes', message: `${key} is not a licence type` });
      else if (type.sharingClass === 'not-shared') errors.push({ field: 'licenceTypes', message: `${key} is not shared through the exchange, even with consent` });
      else if (type.holderKind !== holder.holderKind) errors.push({ field: 'licenceTypes', message: `${key} is not held by a ${holder.holderKind}` });
    }
    const disclosable = new Set(types.flatMap(({ type }) => type?.fields.filter((f) => f.disclosable).map((f) => f.name) ?? []));
    for (const field of request.fields) if (!disclosable.has(field)) errors.push({ field: 'fields', message: `${field} is not a disclosable field of the chosen licence types` });
    for (const id of request.licenceIds ?? []) {
      const licence = await this.deps.licences.get(id);
      if (!licence || licence.holder.id !== holder.holderId || !request.licenceTypes.includes(licence.typeKey)) {
        errors.push({ field: 'licenceIds', message: `${id} is not one of your licences of the chosen types` });
      }
    }
    const now = this.now();
    const validFrom = request.validFrom ? new Date(request.validFrom) : now;
    const validUntil = new Date(request.validUntil);
    if (Number.isNaN(validFrom.getTime())) errors.push({ field: 'validFrom', message: 'is not a date-time' });
    if (Number.isNaN(validUntil.getTime()) || validUntil <= validFrom) errors.push({ field: 'validUntil', message: 'must be a date-time after validFrom' });
    else if (validUntil.getTime() - validFrom.getTime() > MAX_WINDOW_MS) errors.push({ field: 'validUntil', message: 'a consent lasts at most one year' });
    if (validUntil <= now) errors.push({ field: 'validUntil', message: 'is in the past' });
    if (errors.length > 0) throw DomainError.invalid('CONSENT_INVALID', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
    // The same consent twice helps nobody and confuses the data tracker: point at the one in force.
    const duplicate = await this.findActiveEquivalent(holder.holderId, request, { sameWindowAndUses: true });
    if (duplicate) {
      throw new DomainError('conflict', 'CONSENT_DUPLICATE', `consent ${duplicate.id} already gives this department the same access for this purpose`, { extensions: { consentId: duplicate.id } });
    }

    const draft = {
      id: `cns_${crypto.randomUUID()}`,
      holder: { id: holder.holderId, kind: holder.holderKind },
      requester: request.requester,
      purpose: request.purpose,
      licenceTypes: [...new Set(request.licenceTypes)].sort(),
      licenceIds: request.licenceIds?.length ? [...new Set(request.licenceIds)].sort() : null,
      fields: [...new Set(request.fields)].sort(),
      allowDocument: request.allowDocument ?? false,
      validFrom: validFrom.toISOString(),
      validUntil: validUntil.toISOString(),
      maxUses: request.maxUses,
      createdAt: now.toISOString(),
      grantedByAgent: holder.agent?.id ?? null,
    };
    const consent: Consent = { ...draft, uses: 0, storedStatus: 'ACTIVE', revokedAt: null, withdrawnByAgent: null, artefact: await signConsentArtefact(draft, this.deps.signingKey, this.deps.issuer) };
    await this.deps.consents.insert(consent);
    return consent;
  }

  /**
   * A consent of this holder in force on the same terms: department, purpose, types, licences, fields and
   * document — and, with `sameWindowAndUses`, the same end and number of uses, which is what makes a
   * holder's second grant a mere repetition (the same form sent twice) (a consent raised again by a department reuses one
   * in force on the same terms, whatever its window).
   */
  async findActiveEquivalent(
    holderId: string,
    request: Pick<GrantConsentRequest, 'requester' | 'purpose' | 'licenceTypes' | 'licenceIds' | 'fields' | 'allowDocument' | 'validUntil' | 'maxUses'>,
    options: { sameWindowAndUses?: boolean } = {},
  ): Promise<Consent | null> {
    const key = (values: string[] | null | undefined) => (values?.length ? [...new Set(values)].sort().join(',') : '');
    const now = this.now();
    const terms = (c: Pick<GrantConsentRequest, 'requester' | 'purpose' | 'licenceTypes' | 'licenceIds' | 'fields' | 'allowDocument' | 'validUntil' | 'maxUses'>) => [
      c.requester, c.purpose.code, key(c.licenceTypes), key(c.licenceIds), key(c.fields), String(c.allowDocument ?? false),
      ...(options.sameWindowAndUses ? [new Date(c.validUntil).toISOString(), c.maxUses] : []),
    ].join('|');
    const wanted = terms(request);
    return (await this.deps.consents.listByHolder(holderId)).find((c) => consentStatus(c, now) === 'ACTIVE' && terms({ ...c, licenceIds: c.licenceIds ?? undefined }) === wanted) ?? null;
  }

  async list(principal: Principal | null): Promise<Consent[]> {
    return this.deps.consents.listByHolder(requireHolder(principal).holderId);
  }

  /** The holder and the department named in the consent may read it; nobody else learns it exists. */
  async get(principal: Principal | null, id: string): Promise<Consent> {
    const consent = await this.deps.consents.get(id);
    const party = consent && ((principal?.kind === 'holder' && principal.holderId === consent.holder.id) || (hasRole(principal, 'requester') && principal.code === consent.requester));
    if (!consent || !party) throw DomainError.notFound('CONSENT_NOT_FOUND', `no consent ${id} that you may see`);
    return consent;
  }

  async withdraw(principal: Principal | null, id: string): Promise<Consent> {
    const holder = requireHolder(principal);
    const consent = await this.deps.consents.get(id);
    if (!consent || consent.holder.id !== holder.holderId) throw DomainError.notFound('CONSENT_NOT_FOUND', `no consent ${id} that you may see`);
    if (consent.storedStatus === 'REVOKED') throw DomainError.conflict('CONSENT_ALREADY_WITHDRAWN', 'this consent was already withdrawn');
    await this.deps.consents.withdraw(id, this.now().toISOString(), holder.agent?.id ?? null);
    return (await this.deps.consents.get(id))!;
  }

  status(consent: Consent) {
    return consentStatus(consent, this.now());
  }
}

function requireHolder(principal: Principal | null) {
  if (!principal) throw DomainError.authenticationRequired();
  if (principal.kind !== 'holder') throw DomainError.forbidden('HOLDER_REQUIRED', 'only the holder manages consents');
  return principal;
}
