/** Types of the consent-checked exchange, and its store ports. */
import type { LicenceStatus } from '../licences/licence-types.ts';

export type RefusalCode =
  | 'NO_CONSENT'
  | 'CONSENT_EXPIRED'
  | 'CONSENT_REVOKED'
  | 'CONSENT_EXHAUSTED'
  | 'FIELD_NOT_COVERED'
  | 'NOT_SHARED'
  | 'PURPOSE_MISMATCH'
  | 'LICENCE_NOT_FOUND'
  | 'RATE_LIMITED';

export type BasisKind = 'consent' | 'legal-basis' | 'unconditional';

export interface LegalBasis {
  id: string;
  requester: string;
  serviceItem: { code: string; name: string };
  licenceTypes: string[];
  fields: string[];
  legalReference: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface AccessRecord {
  id: string;
  at: string;
  requester: string;
  officialId: string;
  caseNumber: string;
  serviceItem: string;
  basisKind: BasisKind;
  basisId: string | null;
  holderId: string;
  /**
   * The identifier the department asked with, when it was not the canonical one (an old registration
   * number, an organisation code, a 15-digit resident ID); absent otherwise.
   */
  identifierUsed?: string;
  licenceIds: string[];
  fields: string[];
  result: 'ALLOWED' | 'REFUSED';
  reasonCode: 'OK' | RefusalCode;
}

export interface ExchangeAlert {
  id: string;
  requester: string;
  kind: string;
  detail: Record<string, unknown>;
  windowStart: string;
  at: string;
}

/** The basis the write re-checks as it is now: a consent (and spends a use of it) or a legal basis. */
export type CheckedBasis = { consentId: string } | { legalBasisId: string } | null;

/**
 * The access log port: every exchange request, allowed or refused, with its reason; each record becomes a
 * leaf of the access transparency log (`accessLogOrigin`) when the anchorer sequences it.
 */
export interface AccessLogStore {
  readonly accessLogOrigin: string;
  /** Records a refused request (or one that needs no basis re-checked). */
  recordAccess(record: AccessRecord): Promise<void>;
  /**
   * Records an allowed request and returns the current status of each licence it names, or null, recording
   * nothing, when its consent is no longer usable at `now` or its legal basis has been revoked; under a
   * consent one use is spent if and only if the access is recorded.
   */
  recordAllowedAccess(record: AccessRecord, basis: CheckedBasis, now: Date): Promise<Map<string, LicenceStatus> | null>;
  /** Appends unsequenced records to the access transparency log; returns how many. */
  sequencePending(batchSize?: number): Promise<number>;
  accessesOfHolder(holderId: string, limit: number, filter?: AccessFilter): Promise<AccessRecord[]>;
  accesses(filter: AccessFilter, limit: number): Promise<AccessRecord[]>;
  distinctHoldersSince(requester: string, since: Date): Promise<number>;
}

/** Which access records to list: by department, holder, outcome and time (`from` inclusive, `to` exclusive). */
export interface AccessFilter {
  requester?: string;
  holderId?: string;
  result?: AccessRecord['result'];
  from?: string;
  to?: string;
}

/** The exchange's catalogue port: legal bases (every change logged) and pattern alerts. */
export interface ExchangeStore {
  createLegalBasis(basis: LegalBasis): Promise<void>;
  revokeLegalBasis(id: string, actor: string, at: string): Promise<LegalBasis | null>;
  getLegalBasis(id: string): Promise<LegalBasis | null>;
  listLegalBases(requester?: string): Promise<LegalBasis[]>;
  catalogueChanges(limit: number): Promise<CatalogueChange[]>;
  /** At most one alert per department, kind and window. */
  raiseAlert(alert: ExchangeAlert): Promise<void>;
  alerts(limit: number): Promise<ExchangeAlert[]>;
}

export interface CatalogueChange {
  id: number;
  actor: string;
  action: string;
  entityId: string;
  before: unknown;
  after: unknown;
  at: string;
}
